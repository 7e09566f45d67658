package io.github.leanpo.cli;

import io.github.leanpo.model.TorchRuntime;
import io.github.leanpo.train.demo.Demo;
import io.github.leanpo.train.demo.DemoConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code leanpo demo}: the whole method end to end on synthetic videos, with a report and a plot. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Render a synthetic video QA set, SFT a tiny video language model (libtorch, leanpo loss head), generate "
                + "preference pairs with the pipeline, train DPO and LeanPO (without and with dynamic smoothing) from the same "
                + "checkpoint, evaluate held-out accuracy, and write " + Demo.REPORT_FILE + " and " + Demo.PLOT_FILE
                + " (data, metrics and checkpoints under " + Demo.WORK_DIR + "/)."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write (default: the working directory).")
    Path out = Path.of(".");

    @Option(names = "--quick", description = "A toy-sized run (seconds, for tests); the numbers mean little.")
    boolean quick;

    @Option(names = "--seed", description = "Seed of the data, the model and the pipeline (default: ${DEFAULT-VALUE}).")
    long seed = 7;

    @Option(names = "--pref-lr", paramLabel = "LR", description = "Learning rate of every preference variant (default: the demo's 2e-4).")
    Double prefLr;

    @Option(names = "--threads", description = "libtorch intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = 1;

    @Override
    public Integer call() throws Exception {
        if (threads < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1");
        }
        PrintWriter log = spec.commandLine().getOut();
        TorchRuntime.init(threads);
        DemoConfig cfg = (quick ? DemoConfig.quick(out) : DemoConfig.defaults(out)).withSeed(seed);
        if (prefLr != null) {
            if (!(prefLr > 0)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--pref-lr must be positive");
            }
            cfg = cfg.withPrefLr(prefLr);
        }
        long t0 = System.nanoTime();
        Demo.Result r = Demo.run(cfg, log);
        log.printf(Locale.ROOT, "done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        log.flush();
        return r.variants().isEmpty() ? 1 : 0;
    }
}
