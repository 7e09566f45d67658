package io.github.leanpo.train.demo;

import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.TinyVideoLM;
import io.github.leanpo.model.TorchRuntime;
import io.github.leanpo.model.WordTokenizer;
import io.github.leanpo.safetensors.SafetensorsWriter;
import io.github.leanpo.train.Checkpoint;
import io.github.leanpo.train.MetricsLog;
import io.github.leanpo.train.TrainConfig;
import io.github.leanpo.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The child process of {@link CrashSafeWritesTest}: every file writer leanpo has, each in its own thread, rewriting
 * its target over and over (version 1, 2, 3, ...) until the process is killed; {@code "ready"} on stdout once every
 * writer has finished one version. With {@code once}, each writer writes one version and the process exits normally.
 *
 * <p>Targets under the directory given as the first argument: {@code tensors.safetensors} (two 1M-element f32 tensors
 * filled with the version, the version in the metadata — the {@code leanpo loss -o} writer), {@code checkpoint/}
 * ({@code model.safetensors} and libtorch's {@code optimizer.pt}), {@code metrics.jsonl} (one line per step),
 * {@code report/report.md} and {@code report/logps.png} (the demo report, seed = version) and
 * {@code videos/scene.mp4} (a demo video of the scene numbered by the version).
 */
public final class KilledWriters {
    static final int ELEMENTS = 1 << 20;

    private KilledWriters() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean once = args.length > 1 && args[1].equals("once");
        TorchRuntime.init(1);
        List<Writer> writers = List.of(KilledWriters::tensors, KilledWriters::checkpoint, KilledWriters::metrics,
                KilledWriters::report, KilledWriters::video);
        CountDownLatch first = new CountDownLatch(writers.size());
        List<Thread> threads = new ArrayList<>();
        Throwable[] failure = new Throwable[1];
        for (Writer w : writers) {
            Thread t = new Thread(() -> {
                try {
                    w.run(dir, once, first);
                } catch (Throwable e) {
                    failure[0] = e;
                    e.printStackTrace();
                    System.exit(3);
                }
            });
            t.start();
            threads.add(t);
        }
        first.await();
        System.out.println("ready");
        System.out.flush();
        for (Thread t : threads) {
            t.join();
        }
        System.exit(failure[0] == null ? 0 : 3);
    }

    private interface Writer {
        void run(Path dir, boolean once, CountDownLatch first) throws Exception;
    }

    private static void tensors(Path dir, boolean once, CountDownLatch first) throws Exception {
        float[] data = new float[ELEMENTS];
        for (int v = 1; ; v++) {
            Arrays.fill(data, v);
            new SafetensorsWriter().metadata("version", Integer.toString(v)).addF32("a", new long[] {ELEMENTS}, data)
                    .addF32("b", new long[] {ELEMENTS / 1024, 1024}, data).write(dir.resolve("tensors.safetensors"));
            if (done(v, once, first)) {
                return;
            }
        }
    }

    private static void checkpoint(Path dir, boolean once, CountDownLatch first) throws Exception {
        WordTokenizer tok = WordTokenizer.fromTexts(List.of("a b c d"));
        try (TinyVideoLM model = new TinyVideoLM(new ModelConfig(tok.size(), 32, 1, 2, 2, 16, 32), 5);
             Trainer trainer = new Trainer(model, new TrainConfig(LossConfig.leanpo(), 1e-3, 0.0, 1, 1.0, 0, 0))) {
            for (int v = 1; ; v++) {
                Checkpoint.save(dir.resolve("checkpoint"), model, tok, trainer);
                if (done(v, once, first)) {
                    return;
                }
            }
        }
    }

    private static void metrics(Path dir, boolean once, CountDownLatch first) throws Exception {
        try (MetricsLog log = MetricsLog.create(dir.resolve("metrics.jsonl"))) {
            for (int v = 1; ; v++) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", v);
                m.put("loss", 1.0 / v);
                m.put("note", "x".repeat(300)); // long enough that a line cut short would show
                log.write(m);
                if (done(v, once, first)) {
                    return;
                }
            }
        }
    }

    private static void report(Path dir, boolean once, CountDownLatch first) throws Exception {
        Files.createDirectories(dir.resolve("report"));
        for (int v = 1; ; v++) {
            DemoReport.write(result(dir.resolve("report"), v));
            if (done(v, once, first)) {
                return;
            }
        }
    }

    private static void video(Path dir, boolean once, CountDownLatch first) throws Exception {
        for (int v = 1; ; v++) {
            ShapesWorld.render(scene(v), dir.resolve("videos").resolve("scene.mp4"));
            if (done(v, once, first)) {
                return;
            }
        }
    }

    static ShapesWorld.Scene scene(int v) {
        return ShapesWorld.Scene.random(new java.util.Random(v));
    }

    /** A small but complete report whose text depends on {@code v} (its seed). */
    static Demo.Result result(Path dir, int v) {
        DemoConfig cfg = DemoConfig.quick(dir).withSeed(v);
        Demo.Eval eval = new Demo.Eval(0.5, Map.of("colour", 0.5), -1.0, -2.0, 0.5);
        List<Map<String, Double>> steps = new ArrayList<>();
        for (int s = 0; s < 20; s++) {
            steps.add(Map.of("logps/chosen", -1.0 - 0.01 * s * v, "logps/rejected", -2.0 - 0.02 * s, "step_time_s", 0.01));
        }
        List<Demo.Variant> variants = List.of(new Demo.Variant("DPO", LossConfig.dpo(), steps, eval, new double[] {-1, -2},
                new double[] {-1.5, -3}, 1.0), new Demo.Variant("LeanPO", LossConfig.leanpo(), steps, eval, new double[] {-1, -2},
                new double[] {-0.5, -3}, 1.0));
        return new Demo.Result(cfg, Map.of("parameters", 1000L), eval, steps, new Demo.PairStats(10, 1, 1, 5, 1, 6, 1.0), variants,
                Map.of("sft", 1.0), dir.resolve("report.md"), dir.resolve("logps.png"));
    }

    private static boolean done(int v, boolean once, CountDownLatch first) {
        if (v == 1) {
            first.countDown();
        }
        return once;
    }
}
