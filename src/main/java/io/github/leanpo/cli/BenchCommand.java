package io.github.leanpo.cli;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.loss.BackendChoice;
import io.github.leanpo.loss.LeanPoLoss;
import io.github.leanpo.loss.LogitsBatch;
import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.loss.LossResult;
import io.github.leanpo.nativelib.NativeCalls;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.ShortPointer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code leanpo bench}: times the full forward+backward of the loss head on random data of a given
 * shape and reports the median and minimum time, the ideal bytes (logits read once, gradient written
 * once), the bandwidth that achieves, and the process's peak resident memory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time the loss head's forward+backward on random data and print the timing as JSON or text.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--mode", defaultValue = "logits", description = "logits (fused-linear arrives later). Default: ${DEFAULT-VALUE}")
    String mode;

    @Option(names = "--T", defaultValue = "4096", description = "Response rows. Default: ${DEFAULT-VALUE}")
    long rows;

    @Option(names = "--V", defaultValue = "32768", description = "Vocabulary size. Default: ${DEFAULT-VALUE}")
    long vocab;

    @Option(names = "--pairs", defaultValue = "8", description = "Preference pairs the T rows are split into. Default: ${DEFAULT-VALUE}")
    int pairs;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, bf16 or f16. Default: ${DEFAULT-VALUE}")
    String dtype;

    @Option(names = "--backend", defaultValue = "cpu", description = "cpu, cuda or auto. Default: ${DEFAULT-VALUE}")
    String backend;

    @Option(names = "--repeat", defaultValue = "5", description = "Timed runs (after one warm-up). Default: ${DEFAULT-VALUE}")
    int repeat;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: one per hardware thread).")
    int threads;

    @Option(names = "--in-place", description = "Write the gradient over the logits.")
    boolean inPlace;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        if (!mode.equals("logits")) {
            throw new ParameterException(spec.commandLine(), "--mode " + mode + " is not available in this version; use --mode logits");
        }
        if (rows < 2 || vocab < 1 || pairs < 1 || 2L * pairs > rows || repeat < 1) {
            throw new ParameterException(spec.commandLine(),
                    "need --T >= 2·--pairs, --pairs >= 1, --V >= 1 and --repeat >= 1 (got T=" + rows + ", pairs=" + pairs
                            + ", V=" + vocab + ", repeat=" + repeat + ")");
        }
        DType dt = DType.parse(dtype);
        if (!dt.isFloating()) {
            throw new ParameterException(spec.commandLine(), "--dtype must be f32, bf16 or f16");
        }
        long elems = Math.multiplyExact(rows, vocab);
        BackendChoice choice = BackendChoice.parse(backend);
        try (PointerScope scope = new PointerScope();
             LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), choice, threads)) {
            Pointer x = fillRandom(dt, rows, vocab);
            Pointer g = inPlace ? x : (dt == DType.F32 ? new FloatPointer(elems) : new ShortPointer(elems));
            long[] targets = new long[(int) rows];
            long state = 0x9E3779B97F4A7C15L;
            for (int t = 0; t < targets.length; t++) {
                state = xorshift(state);
                targets[t] = Math.floorMod(state, vocab);
            }
            LongPointer tp = new LongPointer(targets);
            long[] offsets = new long[2 * pairs + 1];
            for (int s = 0; s <= 2 * pairs; s++) {
                offsets[s] = rows * s / (2L * pairs);
            }
            LogitsBatch batch = LogitsBatch.of(HostTensor.of(x, dt, elems), vocab, HostTensor.of(tp, DType.I64, rows),
                    BatchLayout.fromOffsets(offsets));
            HostTensor grad = HostTensor.of(g, dt, elems);
            double[] times = new double[repeat];
            LossResult r = null;
            for (int i = -1; i < repeat; i++) {
                if (inPlace && i >= 0) {
                    refill(x, dt, rows, vocab); // the previous run overwrote the logits (untimed)
                }
                long t0 = System.nanoTime();
                r = loss.forwardBackward(batch, grad);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    times[i] = (t1 - t0) / 1e9;
                }
            }
            double[] sorted = times.clone();
            Arrays.sort(sorted);
            double median = repeat % 2 == 1 ? sorted[repeat / 2] : 0.5 * (sorted[repeat / 2 - 1] + sorted[repeat / 2]);
            long ideal = 2 * elems * dt.byteSize();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", mode);
            m.put("backend", loss.backendName());
            m.put("dtype", dt.name().toLowerCase(Locale.ROOT));
            m.put("T", rows);
            m.put("V", vocab);
            m.put("pairs", pairs);
            m.put("threads", NativeCalls.threads());
            m.put("cpu_isa", NativeCalls.cpuIsa());
            m.put("in_place", inPlace);
            m.put("repeat", repeat);
            m.put("median_s", median);
            m.put("min_s", sorted[0]);
            m.put("times_s", times);
            m.put("ideal_bytes", ideal);
            m.put("achieved_GBps", ideal / median / 1e9);
            m.put("peak_rss_bytes", ProcStatus.peakRssBytes());
            m.put("loss", r.loss());
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(m));
            } else {
                out.printf(Locale.ROOT, "leanpo bench: %s, %s, T=%d V=%d P=%d on %s (%d threads, %s)%n", mode, m.get("dtype"), rows,
                        vocab, pairs, loss.backendName(), NativeCalls.threads(), NativeCalls.cpuIsa());
                out.printf(Locale.ROOT, "  forward+backward: median %.4f s, min %.4f s over %d runs%n", median, sorted[0], repeat);
                out.printf(Locale.ROOT, "  ideal bytes %.3f GB (read logits once, write grads once) -> %.2f GB/s%n", ideal / 1e9,
                        ideal / median / 1e9);
                out.printf(Locale.ROOT, "  peak resident memory %.1f MiB; loss %.6f%n", ProcStatus.peakRssBytes() / 1048576.0, r.loss());
            }
            return 0;
        }
    }

    private static Pointer fillRandom(DType dt, long rows, long vocab) {
        Pointer p = dt == DType.F32 ? new FloatPointer(rows * vocab) : new ShortPointer(rows * vocab);
        refill(p, dt, rows, vocab);
        return p;
    }

    /** Logits spread like a trained model's (a few units), without Java's slow Gaussian generator. */
    private static void refill(Pointer p, DType dt, long rows, long vocab) {
        float[] row = new float[(int) vocab];
        short[] row16 = new short[(int) vocab];
        long state = 0x2545F4914F6CDD1DL;
        // A separate view whose position can move without touching the caller's pointer.
        FloatPointer f32 = dt == DType.F32 ? new FloatPointer(p) : null;
        ShortPointer s16 = dt == DType.F32 ? null : new ShortPointer(p);
        for (long r = 0; r < rows; r++) {
            for (int v = 0; v < vocab; v++) {
                state = xorshift(state);
                float u = ((state >>> 40) * 0x1p-24f) + (((state >>> 16) & 0xFFFFFF) * 0x1p-24f) - 1f; // triangular in (-1, 1)
                row[v] = 4f * u;
            }
            if (dt == DType.F32) {
                f32.position(r * vocab).put(row, 0, (int) vocab);
            } else {
                for (int v = 0; v < vocab; v++) {
                    row16[v] = dt == DType.BF16 ? (short) (Float.floatToRawIntBits(row[v]) >>> 16) : toF16Truncated(row[v]);
                }
                s16.position(r * vocab).put(row16, 0, (int) vocab);
            }
        }
    }

    /** f16 by truncation, enough for benchmark inputs in (-4, 4). */
    private static short toF16Truncated(float f) {
        int b = Float.floatToRawIntBits(f);
        int sign = (b >>> 16) & 0x8000;
        int exp = ((b >>> 23) & 0xFF) - 127 + 15;
        if (exp <= 0) {
            return (short) sign;
        }
        return (short) (sign | (exp << 10) | ((b >>> 13) & 0x3FF));
    }

    private static long xorshift(long s) {
        s ^= s << 13;
        s ^= s >>> 7;
        s ^= s << 17;
        return s;
    }
}
