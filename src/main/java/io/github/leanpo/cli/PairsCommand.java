package io.github.leanpo.cli;

import io.github.leanpo.pipeline.DegradeConfig;
import io.github.leanpo.pipeline.Degrader;
import io.github.leanpo.pipeline.KeepPolicy;
import io.github.leanpo.pipeline.OpenAiClient;
import io.github.leanpo.pipeline.Outcome;
import io.github.leanpo.pipeline.PairConfig;
import io.github.leanpo.pipeline.PairGenerator;
import io.github.leanpo.pipeline.PairPipeline;
import io.github.leanpo.pipeline.PairWriter;
import io.github.leanpo.pipeline.PromptTemplates;
import io.github.leanpo.pipeline.TripletReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code leanpo pairs}: self-generated preference pairs from video question-answering triplets, with the policy
 * served by an OpenAI-compatible server (vLLM). DESIGN.md §5; the pipeline is {@link PairPipeline}.
 *
 * <p>Exit status 0 when the run got through its input (failed samples are recorded, not fatal), 2 for a usage
 * error, 1 when the run could not start or stop cleanly, or when every sample it processed failed.
 */
@Command(name = "pairs", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate preference pairs from video/question/answer triplets with the policy itself: a winner written "
                + "with the answer as a hint and refined by self-reflection, a loser written from a degraded view, both scored by the policy.",
                "Resumable: run the same command again after an interruption. Pairs go to --output (TRL prompt/chosen/rejected), "
                        + "filtered pairs to <output stem>.filtered.jsonl, failures to <output stem>.failures.jsonl.",
                "The server must accept --frames images per prompt (vLLM: --limit-mm-per-prompt '{\"image\": 8}'). "
                        + "If the environment variable LEANPO_API_KEY is set, it is sent as a bearer token."})
final class PairsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "JSONL (or JSON array) of {id, video, question, answer} or LLaVA-Video {id, video, conversations} records.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Pairs file (JSONL), appended to and resumed.")
    Path output;

    @Option(names = "--server", required = true, paramLabel = "URL", description = "OpenAI-compatible server, e.g. http://localhost:8000 (vLLM).")
    String server;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "Model name as the server serves it.")
    String model;

    @Option(names = "--frames", defaultValue = "8", paramLabel = "K", description = "Frames sampled uniformly per video. Default: ${DEFAULT-VALUE}")
    int frames;

    @Option(names = "--loser-frames", defaultValue = "2", paramLabel = "K", description = "Frames of the loser's degraded view. Default: ${DEFAULT-VALUE}")
    int loserFrames;

    @Option(names = "--reflections", defaultValue = "1", paramLabel = "R", description = "Self-reflection rounds of the winner. Default: ${DEFAULT-VALUE}")
    int reflections;

    @Option(names = "--keep", defaultValue = "keep-all", paramLabel = "POLICY",
            description = "keep-all, require-order or reflect-until-ordered. Default: ${DEFAULT-VALUE}")
    String keep;

    @Option(names = "--max-extra-reflections", defaultValue = "2", paramLabel = "N",
            description = "Bound on extra rounds under reflect-until-ordered. Default: ${DEFAULT-VALUE}")
    int maxExtraReflections;

    @Option(names = "--concurrency", defaultValue = "4", paramLabel = "N", description = "Samples (and requests) in flight. Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Run seed; each sample's seeds derive from it and its id. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--templates", paramLabel = "DIR", description = "Directory of prompt templates (prompt.txt, winner.txt, reflect.txt, loser.txt) overriding the built-in ones.")
    Path templates;

    @Option(names = "--failures", paramLabel = "PATH", description = "Failures file. Default: <output stem>.failures.jsonl")
    Path failures;

    @Option(names = "--filtered", paramLabel = "PATH", description = "Filtered-pairs file. Default: <output stem>.filtered.jsonl")
    Path filtered;

    @Option(names = "--retry-failed", description = "Retry the samples recorded as failed (the old failures file is kept as .bak).")
    boolean retryFailed;

    @Option(names = "--video-root", paramLabel = "DIR", description = "Directory relative video paths are resolved against. Default: the input's directory")
    Path videoRoot;

    @Option(names = "--frame-size", defaultValue = "448", paramLabel = "PX", description = "Longer side of the frames sent, in pixels. Default: ${DEFAULT-VALUE}")
    int frameSize;

    @Option(names = "--max-tokens", defaultValue = "512", paramLabel = "N", description = "Most tokens of one answer. Default: ${DEFAULT-VALUE}")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", paramLabel = "T", description = "The loser's sampling temperature. Default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", paramLabel = "P", description = "The loser's nucleus mass. Default: ${DEFAULT-VALUE}")
    double topP;

    @Option(names = "--crop-scale", defaultValue = "0.08:0.25", paramLabel = "MIN:MAX", description = "Loser crop area as a fraction of the frame. Default: ${DEFAULT-VALUE}")
    String cropScale;

    @Option(names = "--jitter", defaultValue = "0.4", paramLabel = "J", description = "Loser brightness/contrast/saturation jitter. Default: ${DEFAULT-VALUE}")
    double jitter;

    @Option(names = "--hue", defaultValue = "0.1", paramLabel = "H", description = "Loser hue jitter, in turns. Default: ${DEFAULT-VALUE}")
    double hue;

    @Option(names = "--grayscale-p", defaultValue = "0.2", paramLabel = "P", description = "Probability of a gray loser view. Default: ${DEFAULT-VALUE}")
    double grayscaleP;

    @Option(names = "--blur-sigma", defaultValue = "0.5:2.0", paramLabel = "MIN:MAX", description = "Loser blur sigma in pixels. Default: ${DEFAULT-VALUE}")
    String blurSigma;

    @Option(names = "--flip-p", defaultValue = "0.5", paramLabel = "P", description = "Probability of a flipped loser view. Default: ${DEFAULT-VALUE}")
    double flipP;

    @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS", description = "Timeout of one request. Default: ${DEFAULT-VALUE}")
    double timeout;

    @Option(names = "--retries", defaultValue = "4", paramLabel = "N", description = "Retries of a request on 5xx, timeouts and connection errors. Default: ${DEFAULT-VALUE}")
    int retries;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PairConfig config;
        DegradeConfig degrade;
        OpenAiClient.Config clientConfig;
        try {
            config = new PairConfig(frames, loserFrames, reflections, KeepPolicy.parse(keep), maxExtraReflections, maxTokens, temperature, topP, seed);
            double[] crop = range(cropScale, "--crop-scale");
            double[] blur = range(blurSigma, "--blur-sigma");
            degrade = DegradeConfig.defaults().withCropScale(crop[0], crop[1]).withJitter(jitter, hue).withGrayscaleP(grayscaleP)
                    .withBlurSigma(blur[0], blur[1]).withFlipP(flipP);
            if (concurrency < 1 || concurrency > 1024) {
                throw new IllegalArgumentException("--concurrency must be in [1, 1024], got " + concurrency);
            }
            if (frameSize < 8) {
                throw new IllegalArgumentException("--frame-size must be at least 8, got " + frameSize);
            }
            if (!(timeout > 0) || timeout > 86400) {
                throw new IllegalArgumentException("--timeout must be in (0, 86400] seconds, got " + timeout);
            }
            String key = System.getenv("LEANPO_API_KEY");
            clientConfig = OpenAiClient.Config.of(server, model)
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofMillis((long) (timeout * 1000)))
                    .withRetries(retries, Duration.ofMillis(500), Duration.ofSeconds(16))
                    .withConcurrency(concurrency)
                    .withApiKey(key);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (Files.exists(output) && Files.exists(input) && Files.isSameFile(output, input)) {
            throw new ParameterException(spec.commandLine(), "--output is the input file " + input + "; choose another --output");
        }

        PromptTemplates prompts = templates != null ? PromptTemplates.load(templates) : PromptTemplates.builtIn();
        TripletReader reader = new TripletReader(input, videoRoot);
        reader.forEach(s -> { }); // validate the whole input before creating any file

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (OpenAiClient client = new OpenAiClient(clientConfig)) {
            client.checkModel();
            PairGenerator generator = new PairGenerator(client, new Degrader(degrade), prompts, config, frameSize);
            PairPipeline.Summary summary;
            long torn;
            Path outPath;
            Path failPath;
            Path filtPath;
            long retried;
            try (PairWriter writer = PairWriter.open(output, failures, filtered, seed, model, retryFailed);
                 Progress progress = new Progress(err, noProgress)) {
                torn = writer.tornBytes();
                retried = writer.retried();
                outPath = writer.outputPath();
                failPath = writer.failuresPath();
                filtPath = writer.filteredPath();
                summary = new PairPipeline(generator, concurrency).run(reader, writer, progress);
            }
            report(out, summary, outPath, failPath, filtPath, torn, retried);
            if (summary.processed() > 0 && summary.failed() == summary.processed()) {
                Outcome.Failed f = summary.firstFailure();
                err.println("leanpo: all " + summary.failed() + " samples failed; the first at " + f.stage() + ": " + f.reason()
                        + " (all reasons in " + failPath + ")");
                return 1;
            }
            return 0;
        }
    }

    private void report(PrintWriter out, PairPipeline.Summary s, Path outPath, Path failPath, Path filtPath, long torn, long retried) {
        double secs = s.elapsed().toNanos() / 1e9;
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("total", s.total());
            m.put("already_done", s.alreadyDone());
            m.put("kept", s.kept());
            m.put("filtered", s.filtered());
            m.put("failed", s.failed());
            m.put("retried", retried);
            m.put("unknown_ids", s.unknown());
            m.put("torn_bytes_dropped", torn);
            m.put("seconds", secs);
            m.put("output", outPath.toString());
            m.put("filtered_file", filtPath.toString());
            m.put("failures_file", failPath.toString());
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "leanpo pairs: %d kept, %d filtered, %d failed in %s%s%n", s.kept(), s.filtered(), s.failed(), time(secs),
                s.processed() > 0 ? String.format(Locale.ROOT, " (%.2f s per sample)", secs / s.processed()) : "");
        if (s.alreadyDone() > 0) {
            out.printf(Locale.ROOT, "  %d of %d samples were already done (resumed)%n", s.alreadyDone(), s.total());
        }
        if (retried > 0) {
            out.printf(Locale.ROOT, "  %d recorded failures were retried%n", retried);
        }
        if (torn > 0) {
            out.printf(Locale.ROOT, "  dropped a torn last line (%d bytes) left by an interrupted run%n", torn);
        }
        if (s.unknown() > 0) {
            out.printf(Locale.ROOT, "  note: %d recorded ids are not in the input%n", s.unknown());
        }
        out.printf(Locale.ROOT, "  pairs    %s%n  filtered %s%n  failures %s%n", outPath, filtPath, failPath);
    }

    private static String time(double secs) {
        if (secs < 120) {
            return String.format(Locale.ROOT, "%.1f s", secs);
        }
        long s = Math.round(secs);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    private static double[] range(String s, String option) {
        String[] p = s.split(":");
        try {
            if (p.length == 2) {
                return new double[] {Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim())};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " must be MIN:MAX, got '" + s + "'");
    }

    /** The progress bar (rate and ETA) on stderr: redrawn in place on a terminal, a line every 30 s otherwise. */
    private static final class Progress implements PairPipeline.Listener, AutoCloseable {
        private final PrintWriter err;
        private final boolean off;
        private final AtomicLong kept = new AtomicLong();
        private final AtomicLong filtered = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private volatile ProgressBar bar;

        Progress(PrintWriter err, boolean off) {
            this.err = err;
            this.off = off;
        }

        @Override
        public void started(long total, long alreadyDone) {
            if (off || total == alreadyDone) {
                return;
            }
            boolean terminal = System.console() != null;
            ProgressBarBuilder b = new ProgressBarBuilder()
                    .setTaskName("pairs")
                    .setInitialMax(total)
                    .startsFrom(alreadyDone, Duration.ZERO)
                    .setUnit(" samples", 1)
                    .showSpeed(new DecimalFormat("0.0"))
                    .setSpeedUnit(ChronoUnit.MINUTES);
            if (terminal) {
                b.setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(1000);
            } else {
                String[] last = {null};
                b.setStyle(ProgressBarStyle.ASCII)
                        .setConsumer(new DelegatingProgressBarConsumer(line -> {
                            if (!line.equals(last[0])) { // the bar renders its final state twice on close
                                err.println(line);
                                last[0] = line;
                            }
                        }, 120))
                        .setUpdateIntervalMillis(30_000);
            }
            bar = b.build();
        }

        @Override
        public void finished(Outcome o) {
            if (o instanceof Outcome.Kept) {
                kept.incrementAndGet();
            } else if (o instanceof Outcome.Filtered) {
                filtered.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
            ProgressBar b = bar;
            if (b != null) {
                b.step();
                b.setExtraMessage(" kept " + kept.get() + ", filtered " + filtered.get() + ", failed " + failed.get());
            }
        }

        @Override
        public void close() {
            ProgressBar b = bar;
            if (b != null) {
                b.close();
            }
        }
    }
}
