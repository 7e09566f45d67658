package io.github.leanpo.train.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.files.AtomicFiles;
import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.loss.Smoothing;
import io.github.leanpo.model.ChatFormat;
import io.github.leanpo.model.FrameTensors;
import io.github.leanpo.model.InProcessPolicy;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.TinyVideoLM;
import io.github.leanpo.model.TorchRuntime;
import io.github.leanpo.model.WordTokenizer;
import io.github.leanpo.pipeline.DegradeConfig;
import io.github.leanpo.pipeline.Degrader;
import io.github.leanpo.pipeline.FrameSampler;
import io.github.leanpo.pipeline.KeepPolicy;
import io.github.leanpo.pipeline.Outcome;
import io.github.leanpo.pipeline.PairConfig;
import io.github.leanpo.pipeline.PairGenerator;
import io.github.leanpo.pipeline.PairPipeline;
import io.github.leanpo.pipeline.PairRecord;
import io.github.leanpo.pipeline.PairWriter;
import io.github.leanpo.pipeline.PromptTemplates;
import io.github.leanpo.pipeline.Sample;
import io.github.leanpo.pipeline.TripletReader;
import io.github.leanpo.pipeline.VideoException;
import io.github.leanpo.train.Checkpoint;
import io.github.leanpo.train.MetricsLog;
import io.github.leanpo.train.TrainConfig;
import io.github.leanpo.train.TrainPair;
import io.github.leanpo.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code leanpo demo}: the whole method end to end on synthetic videos (DESIGN.md §6).
 *
 * <ol>
 *   <li>render the shapes videos to MP4 files and write train / held-out question-answer triplets (JSONL);</li>
 *   <li>read them back through the pipeline's {@link TripletReader} and {@link FrameSampler};</li>
 *   <li>SFT a {@link TinyVideoLM} (its loss head is leanpo's fused-linear engine). The SFT mix also shows the
 *       pipeline's own prompts (answer-as-hint, reflection, no-hint) with the correct answer as target, so the
 *       model can follow them when the pipeline asks;</li>
 *   <li>generate preference pairs with the pipeline ({@link PairPipeline}) through the SFT model in process;</li>
 *   <li>from the same SFT checkpoint, on the same pairs in the same order, train DPO, LeanPO without smoothing and
 *       LeanPO with dynamic smoothing;</li>
 *   <li>evaluate held-out accuracy (greedy answers, exact match) and log-likelihoods, and write the report and the
 *       plot.</li>
 * </ol>
 */
public final class Demo {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String REPORT_FILE = "leanpo-demo-report.md";
    public static final String PLOT_FILE = "leanpo-demo-logps.png";
    public static final String WORK_DIR = "leanpo-demo";
    static final int FRAMES = 4;
    static final int FRAME_SIZE = 32;

    /** A question with its video's frames. */
    record QA(String id, Path video, ShapesWorld.Question question, int value, float[] frames) {
        String answer() {
            return question.answer(value);
        }
    }

    /**
     * Held-out evaluation.
     *
     * @param accuracy       exact-match accuracy of greedy answers
     * @param byQuestion     the same per question kind
     * @param correctLogp    mean token log-prob of the correct answers
     * @param distractorLogp mean token log-prob of one wrong answer per question
     * @param rankAccuracy   fraction where the correct answer's mean log-prob beats the wrong one's
     */
    public record Eval(double accuracy, Map<String, Double> byQuestion, double correctLogp, double distractorLogp, double rankAccuracy) {}

    /**
     * One trained variant.
     *
     * @param name          its label
     * @param loss          the loss config
     * @param steps         the per-step metrics, in order
     * @param eval          held-out evaluation after training
     * @param pairsBefore   mean token log-prob of {chosen, rejected} over all training pairs before training
     * @param pairsAfter    the same after training
     * @param seconds       wall time of its training
     */
    public record Variant(String name, LossConfig loss, List<Map<String, Double>> steps, Eval eval, double[] pairsBefore, double[] pairsAfter,
                          double seconds) {
        public double meanStepSeconds() {
            return steps.stream().mapToDouble(m -> m.getOrDefault("step_time_s", 0.0)).average().orElse(0);
        }
    }

    /**
     * What the pipeline produced.
     *
     * @param kept            pairs used for training
     * @param filtered        pairs filtered (the winner equalled the loser)
     * @param failed          samples that failed
     * @param chosenCorrect   kept pairs whose chosen response is exactly the ground truth
     * @param rejectedCorrect kept pairs whose rejected response is exactly the ground truth
     * @param ordered         kept pairs the SFT model already ranked right (mean log-prob)
     * @param seconds         wall time
     */
    public record PairStats(long kept, long filtered, long failed, long chosenCorrect, long rejectedCorrect, long ordered, double seconds) {}

    /** Everything the report shows. */
    public record Result(DemoConfig config, Map<String, Object> model, Eval sft, List<Map<String, Double>> sftSteps, PairStats pairs,
                         List<Variant> variants, Map<String, Double> phaseSeconds, Path report, Path plot) {}

    private final DemoConfig cfg;
    private final PrintWriter log;
    private final Map<String, Double> phases = new LinkedHashMap<>();

    private Demo(DemoConfig cfg, PrintWriter log) {
        this.cfg = cfg;
        this.log = log;
    }

    /** Runs the demo; progress lines go to {@code log}. */
    public static Result run(DemoConfig cfg, PrintWriter log) throws IOException {
        return new Demo(cfg, log).run();
    }

    private Result run() throws IOException {
        long tAll = System.nanoTime();
        TorchRuntime.ensureInit();
        Path out = work();
        Path data = out.resolve("data");
        Path videos = data.resolve("videos");
        Files.createDirectories(videos);
        Random rnd = new Random(cfg.seed());
        PromptTemplates templates = templates(out.resolve("templates"));

        // 1. data
        long t = System.nanoTime();
        List<ShapesWorld.Scene> trainScenes = new ArrayList<>();
        List<ShapesWorld.Scene> heldScenes = new ArrayList<>();
        for (int i = 0; i < cfg.trainVideos(); i++) {
            trainScenes.add(ShapesWorld.Scene.random(rnd));
        }
        for (int i = 0; i < cfg.heldoutVideos(); i++) {
            heldScenes.add(ShapesWorld.Scene.random(rnd));
        }
        Path trainJsonl = writeSplit(data, videos, "train", trainScenes);
        Path heldJsonl = writeSplit(data, videos, "heldout", heldScenes);
        phase("render videos", t);
        log.printf(Locale.ROOT, "rendered %d training and %d held-out videos (%d frames of %dx%d) in %.1f s%n", trainScenes.size(),
                heldScenes.size(), ShapesWorld.FRAMES, ShapesWorld.SIZE, ShapesWorld.SIZE, phases.get("render videos"));

        t = System.nanoTime();
        List<QA> train = readSplit(trainJsonl);
        List<QA> held = readSplit(heldJsonl);
        phase("sample frames", t);

        WordTokenizer tok = tokenizer(templates);
        ModelConfig mc = ModelConfig.tiny(tok.size());

        // 2. SFT
        t = System.nanoTime();
        Path sftDir = out.resolve("checkpoints").resolve("sft");
        List<Map<String, Double>> sftSteps = new ArrayList<>();
        Eval sftEval;
        Map<String, Object> modelInfo;
        PairStats pairStats;
        List<TrainPair> pairs = new ArrayList<>();
        try (TinyVideoLM model = new TinyVideoLM(mc, cfg.seed());
             Trainer trainer = new Trainer(model, new TrainConfig(LossConfig.sft(), cfg.sftLr(), 0.01, cfg.sftBatch(), 1.0,
                     Math.min(30, cfg.sftSteps() / 10), cfg.sftSteps()));
             MetricsLog metrics = MetricsLog.create(out.resolve("runs").resolve("sft").resolve("metrics.jsonl"))) {
            modelInfo = Checkpoint.describe(model);
            log.printf(Locale.ROOT, "model: %s parameters, d=%d, %d blocks, vocabulary %d%n", modelInfo.get("parameters"), mc.hidden(),
                    mc.layers(), mc.vocab());
            Random sftRnd = new Random(cfg.seed() + 1);
            for (int s = 0; s < cfg.sftSteps(); s++) {
                List<TrainPair> batch = new ArrayList<>(cfg.sftBatch());
                for (int i = 0; i < cfg.sftBatch(); i++) {
                    batch.add(sftExample(train.get(sftRnd.nextInt(train.size())), tok, templates, sftRnd));
                }
                Map<String, Double> m = trainer.step(batch);
                record(metrics, sftSteps, s + 1, 0, m);
                if ((s + 1) % Math.max(1, cfg.sftSteps() / 5) == 0) {
                    log.printf(Locale.ROOT, "sft step %d/%d: loss %.3f (%.0f ms/step)%n", s + 1, cfg.sftSteps(), m.get("loss"),
                            1000 * m.get("step_time_s"));
                }
            }
            Checkpoint.save(sftDir, model, tok, trainer);
            phase("sft", t);

            InProcessPolicy policy = new InProcessPolicy(model, tok, "leanpo-demo-sft");
            t = System.nanoTime();
            sftEval = evaluate(policy, trainer, held, templates, new Random(cfg.seed() + 2));
            phase("evaluate sft", t);
            log.printf(Locale.ROOT, "sft: held-out accuracy %.1f%%%n", 100 * sftEval.accuracy());

            // 3. pairs through the pipeline
            t = System.nanoTime();
            pairStats = generatePairs(policy, train, data, templates, pairs, tok);
            phase("generate pairs", t);
            log.printf(Locale.ROOT, "pairs: %d kept, %d filtered, %d failed; chosen correct %d, rejected correct %d, already ordered %d (%.1f s)%n",
                    pairStats.kept(), pairStats.filtered(), pairStats.failed(), pairStats.chosenCorrect(), pairStats.rejectedCorrect(),
                    pairStats.ordered(), pairStats.seconds());
        }
        if (pairs.size() < 2) {
            throw new IllegalStateException("the pipeline kept only " + pairs.size() + " pairs; nothing to train on (see "
                    + data.resolve("pairs.jsonl") + " and its .filtered/.failures files)");
        }

        // 4. preference variants from the same checkpoint, same pairs, same order
        List<Variant> variants = new ArrayList<>();
        variants.add(trainVariant("DPO", LossConfig.dpo(), pairs, held, templates, sftDir));
        variants.add(trainVariant("LeanPO, no smoothing", LossConfig.leanpo().withSmoothing(Smoothing.none()), pairs, held, templates, sftDir));
        variants.add(trainVariant("LeanPO, dynamic smoothing", LossConfig.leanpo(), pairs, held, templates, sftDir));

        phase("total", tAll);
        Result partial = new Result(cfg, modelInfo, sftEval, sftSteps, pairStats, variants, phases,
                cfg.out().resolve(REPORT_FILE), cfg.out().resolve(PLOT_FILE));
        DemoReport.write(partial);
        log.printf(Locale.ROOT, "report: %s%nplot:   %s%n", partial.report(), partial.plot());
        return partial;
    }

    /**
     * The pipeline's prompts in the demo's terse wording (resources {@code io/github/leanpo/train/demo/templates}),
     * copied to {@code dir} and loaded from there, the way a user overrides them: a 150k-parameter model with a
     * hundred-word vocabulary gains nothing from the built-in paragraphs, and every prompt token costs time.
     */
    static PromptTemplates templates(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (PromptTemplates.Kind k : PromptTemplates.Kind.values()) {
            String res = "/io/github/leanpo/train/demo/templates/" + k.fileName();
            try (java.io.InputStream in = Demo.class.getResourceAsStream(res)) {
                if (in == null) {
                    throw new IllegalStateException("the demo template " + res + " is missing from the classpath (broken build?)");
                }
                AtomicFiles.writeBytes(dir.resolve(k.fileName()), in.readAllBytes());
            }
        }
        return PromptTemplates.load(dir);
    }

    /** Data, checkpoints and metrics: {@code <out>/leanpo-demo/}. */
    private Path work() {
        return cfg.out().resolve(WORK_DIR);
    }

    /** The demo's vocabulary: its questions, every answer, and the words of the prompt templates. */
    static WordTokenizer tokenizer(PromptTemplates templates) {
        List<String> texts = new ArrayList<>(ShapesWorld.texts());
        for (PromptTemplates.Kind k : PromptTemplates.Kind.values()) {
            texts.add(templates.get(k).text().replaceAll("\\{[a-z_]+\\}", " "));
        }
        return WordTokenizer.fromTexts(texts);
    }

    private void phase(String name, long t0) {
        phases.put(name, (System.nanoTime() - t0) / 1e9);
    }

    private Variant trainVariant(String name, LossConfig loss, List<TrainPair> pairs, List<QA> held, PromptTemplates templates, Path sftDir)
            throws IOException {
        long t = System.nanoTime();
        int stepsPerEpoch = (pairs.size() + cfg.prefBatch() - 1) / cfg.prefBatch();
        String slug = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        Checkpoint.Loaded sft = Checkpoint.load(sftDir);
        List<Map<String, Double>> steps = new ArrayList<>();
        double[] before;
        double[] after;
        Eval eval;
        try (TinyVideoLM model = sft.model();
             Trainer trainer = new Trainer(model, new TrainConfig(loss, cfg.prefLr(), 0.0, cfg.microPairs(), 1.0, 0,
                     stepsPerEpoch * cfg.prefEpochs()));
             MetricsLog metrics = MetricsLog.create(work().resolve("runs").resolve(slug).resolve("metrics.jsonl"))) {
            List<TrainPair> data = loss.objective() == io.github.leanpo.loss.Objective.DPO ? trainer.withReferenceSums(pairs) : pairs;
            before = meanLogps(trainer, data);
            Random order = new Random(cfg.seed() + 3); // the same order for every variant
            int step = 0;
            for (int e = 0; e < cfg.prefEpochs(); e++) {
                List<TrainPair> shuffled = new ArrayList<>(data);
                Collections.shuffle(shuffled, order);
                for (int from = 0; from < shuffled.size(); from += cfg.prefBatch()) {
                    Map<String, Double> m = trainer.step(shuffled.subList(from, Math.min(shuffled.size(), from + cfg.prefBatch())));
                    record(metrics, steps, ++step, e + 1, m);
                }
            }
            after = meanLogps(trainer, data);
            Checkpoint.save(work().resolve("checkpoints").resolve(slug), model, sft.tokenizer(), trainer);
            eval = evaluate(new InProcessPolicy(model, sft.tokenizer(), slug), trainer, held, templates, new Random(cfg.seed() + 2));
        }
        double secs = (System.nanoTime() - t) / 1e9;
        phases.put("train+evaluate " + name, secs);
        log.printf(Locale.ROOT, "%s: %d steps, held-out accuracy %.1f%%, train pairs logps/chosen %.3f -> %.3f, logps/rejected %.3f -> %.3f (%.1f s)%n",
                name, steps.size(), 100 * eval.accuracy(), before[0], after[0], before[1], after[1], secs);
        return new Variant(name, loss, steps, eval, before, after, secs);
    }

    /** Mean token log-prob of the chosen and of the rejected responses over {@code pairs}. */
    private double[] meanLogps(Trainer trainer, List<TrainPair> pairs) {
        double c = 0;
        double r = 0;
        int chunk = 32;
        for (int from = 0; from < pairs.size(); from += chunk) {
            float[] m = trainer.sequenceLogps(pairs.subList(from, Math.min(pairs.size(), from + chunk)), true);
            for (int p = 0; p < m.length / 2; p++) {
                c += m[2 * p];
                r += m[2 * p + 1];
            }
        }
        return new double[] {c / pairs.size(), r / pairs.size()};
    }

    private static void record(MetricsLog metrics, List<Map<String, Double>> sink, int step, int epoch, Map<String, Double> m) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.put("epoch", epoch);
        line.putAll(m);
        metrics.write(line);
        sink.add(m);
    }

    /** One SFT example: the plain prompt most of the time, otherwise one of the pipeline's prompts; the target is always the true answer. */
    static TrainPair sftExample(QA qa, WordTokenizer tok, PromptTemplates templates, Random rnd) {
        double u = rnd.nextDouble();
        String q = qa.question().text;
        String a = qa.answer();
        String prompt;
        if (u < 0.55) {
            prompt = templates.prompt(q);
        } else if (u < 0.75) {
            prompt = templates.winner(q, a);
        } else if (u < 0.9) {
            String previous = qa.question().answer(rnd.nextInt(qa.question().choices()));
            prompt = templates.reflect(q, a, previous);
        } else {
            prompt = templates.loser(q);
        }
        return TrainPair.sft(qa.id(), qa.frames(), FRAMES, ChatFormat.prompt(tok, prompt), ChatFormat.response(tok, a, true));
    }

    private PairStats generatePairs(InProcessPolicy policy, List<QA> train, Path data, PromptTemplates templates, List<TrainPair> sink,
                                    WordTokenizer tok) throws IOException {
        long t = System.nanoTime();
        Random rnd = new Random(cfg.seed() + 4);
        List<QA> chosen = new ArrayList<>(train);
        Collections.shuffle(chosen, rnd);
        chosen = chosen.subList(0, cfg.pairSamples());
        Map<String, QA> byId = new HashMap<>();
        Path input = data.resolve("pairs-input.jsonl");
        StringBuilder lines = new StringBuilder();
        for (QA qa : chosen) {
            byId.put(qa.id(), qa);
            lines.append(JSON.writeValueAsString(Map.of("id", qa.id(), "video",
                    data.toAbsolutePath().normalize().relativize(qa.video().toAbsolutePath().normalize()).toString(), "question",
                    qa.question().text, "answer", qa.answer()))).append('\n');
        }
        AtomicFiles.writeString(input, lines);
        Path output = data.resolve("pairs.jsonl");
        Files.deleteIfExists(output);
        Files.deleteIfExists(PairWriter.defaultFailures(output));
        Files.deleteIfExists(PairWriter.defaultFiltered(output));
        PairConfig pc = PairConfig.defaults().withFrames(FRAMES, 2).withReflections(1).withMaxTokens(10)
                .withKeep(KeepPolicy.KEEP_ALL, 0).withSeed(cfg.seed());
        PairGenerator gen = new PairGenerator(policy, new Degrader(DegradeConfig.defaults()), templates, pc, FRAME_SIZE);
        List<PairRecord> kept = Collections.synchronizedList(new ArrayList<>());
        PairPipeline.Summary summary;
        try (PairWriter writer = PairWriter.open(output, null, null, pc.runSeed(), policy.name(), false)) {
            summary = new PairPipeline(gen, 1).run(new TripletReader(input, null), writer, new PairPipeline.Listener() {
                @Override
                public void finished(Outcome o) {
                    if (o instanceof Outcome.Kept k) {
                        kept.add(k.pair());
                    }
                }
            });
        }
        kept.sort(java.util.Comparator.comparing(PairRecord::id));
        long chosenOk = 0;
        long rejectedOk = 0;
        long ordered = 0;
        for (PairRecord p : kept) {
            QA qa = byId.get(p.id());
            chosenOk += p.chosen().equals(qa.answer()) ? 1 : 0;
            rejectedOk += p.rejected().equals(qa.answer()) ? 1 : 0;
            ordered += p.ordered() ? 1 : 0;
            int[] prompt = ChatFormat.prompt(tok, p.prompt());
            sink.add(TrainPair.preference(p.id(), qa.frames(), FRAMES, prompt, ChatFormat.response(tok, p.chosen(), true),
                    ChatFormat.response(tok, p.rejected(), true)));
        }
        return new PairStats(summary.kept(), summary.filtered(), summary.failed(), chosenOk, rejectedOk, ordered,
                (System.nanoTime() - t) / 1e9);
    }

    /** Greedy answers to every held-out question (exact match) and the log-likelihood of right and wrong answers. */
    static Eval evaluate(InProcessPolicy policy, Trainer trainer, List<QA> held, PromptTemplates templates, Random rnd) {
        WordTokenizer tok = policy.tokenizer();
        Map<String, Double> byQuestion = new LinkedHashMap<>();
        long correct = 0;
        for (ShapesWorld.Question q : ShapesWorld.Question.values()) {
            List<QA> group = held.stream().filter(x -> x.question() == q).toList();
            if (group.isEmpty()) {
                continue;
            }
            int[] prompt = ChatFormat.prompt(tok, templates.prompt(q.text));
            long ok = 0;
            int chunk = 64;
            for (int from = 0; from < group.size(); from += chunk) {
                List<QA> part = group.subList(from, Math.min(group.size(), from + chunk));
                int plane = part.get(0).frames().length;
                float[] frames = new float[part.size() * plane];
                List<int[]> prompts = new ArrayList<>();
                for (int i = 0; i < part.size(); i++) {
                    System.arraycopy(part.get(i).frames(), 0, frames, i * plane, plane);
                    prompts.add(prompt);
                }
                List<int[]> answers = policy.decode(frames, FRAMES, prompts, 12, 0, 1, null);
                for (int i = 0; i < part.size(); i++) {
                    ok += tok.decode(answers.get(i)).equals(part.get(i).answer()) ? 1 : 0;
                }
            }
            correct += ok;
            byQuestion.put(q.name().toLowerCase(Locale.ROOT), (double) ok / group.size());
        }
        List<TrainPair> probes = new ArrayList<>();
        for (QA qa : held) {
            int wrong = (qa.value() + 1 + rnd.nextInt(qa.question().choices() - 1)) % qa.question().choices();
            int[] prompt = ChatFormat.prompt(tok, templates.prompt(qa.question().text));
            probes.add(TrainPair.preference(qa.id(), qa.frames(), FRAMES, prompt, ChatFormat.response(tok, qa.answer(), true),
                    ChatFormat.response(tok, qa.question().answer(wrong), true)));
        }
        double c = 0;
        double w = 0;
        long ranked = 0;
        for (int from = 0; from < probes.size(); from += 32) {
            float[] m = trainer.sequenceLogps(probes.subList(from, Math.min(probes.size(), from + 32)), true);
            for (int p = 0; p < m.length / 2; p++) {
                c += m[2 * p];
                w += m[2 * p + 1];
                ranked += m[2 * p] > m[2 * p + 1] ? 1 : 0;
            }
        }
        return new Eval((double) correct / held.size(), byQuestion, c / held.size(), w / held.size(), (double) ranked / held.size());
    }

    static Path writeSplit(Path data, Path videos, String split, List<ShapesWorld.Scene> scenes) throws IOException {
        Path jsonl = data.resolve(split + ".jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < scenes.size(); i++) {
            String name = String.format(Locale.ROOT, "%s-%04d", split, i);
            Path file = videos.resolve(name + ".mp4");
            ShapesWorld.render(scenes.get(i), file);
            for (ShapesWorld.Question q : ShapesWorld.Question.values()) {
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("id", name + "-" + q.name().toLowerCase(Locale.ROOT));
                rec.put("video", "videos/" + name + ".mp4");
                rec.put("question", q.text);
                rec.put("answer", scenes.get(i).answer(q));
                lines.append(JSON.writeValueAsString(rec)).append('\n');
            }
        }
        // Written after its videos, so a split file on the disk never names a video that is not there yet.
        AtomicFiles.writeString(jsonl, lines);
        return jsonl;
    }

    /** Reads a split back through the pipeline's reader and frame sampler (the frames of each video once). */
    static List<QA> readSplit(Path jsonl) throws IOException {
        FrameSampler sampler = new FrameSampler(FRAMES, FRAME_SIZE);
        Map<Path, float[]> frames = new HashMap<>();
        List<QA> out = new ArrayList<>();
        for (Sample s : new TripletReader(jsonl, null).readAll()) {
            float[] px = frames.get(s.video());
            if (px == null) {
                try {
                    px = FrameTensors.toArray(sampler.sample(s.video()), FRAME_SIZE);
                } catch (VideoException e) {
                    throw new IOException("cannot read back the demo video " + s.video() + ": " + e.getMessage(), e);
                }
                frames.put(s.video(), px);
            }
            ShapesWorld.Question q = null;
            for (ShapesWorld.Question k : ShapesWorld.Question.values()) {
                if (k.text.equals(s.question())) {
                    q = k;
                }
            }
            if (q == null) {
                throw new IOException(s.source() + ": not a demo question: " + s.question());
            }
            int value = q.answers().indexOf(s.answer());
            if (value < 0) {
                throw new IOException(s.source() + ": not a demo answer: " + s.answer());
            }
            out.add(new QA(s.id(), s.video(), q, value, px));
        }
        return out;
    }
}
