package io.github.leanpo.cli;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.CudaBackend;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceMemory;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.engine.LinearOptions;
import io.github.leanpo.loss.BackendChoice;
import io.github.leanpo.loss.LeanPoLoss;
import io.github.leanpo.loss.LinearBatch;
import io.github.leanpo.loss.LogitsBatch;
import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.loss.LossResult;
import io.github.leanpo.nativelib.CudaCalls;
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
 * shape. Logits mode reports the ideal bytes (logits read once, gradient written once) and the
 * bandwidth that achieves; linear mode reports useful GFLOP/s (6·T·d·V over the time) next to the
 * OpenBLAS sgemm rate measured in the same run on the head's own product shapes. Both report the
 * median and minimum time and the process's peak resident memory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time the loss head's forward+backward on random data and print the timing as JSON or text.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--mode", defaultValue = "logits", description = "logits or linear (fused-linear head). Default: ${DEFAULT-VALUE}")
    String mode;

    @Option(names = "--T", defaultValue = "4096", description = "Response rows. Default: ${DEFAULT-VALUE}")
    long rows;

    @Option(names = "--V", defaultValue = "32768", description = "Vocabulary size. Default: ${DEFAULT-VALUE}")
    long vocab;

    @Option(names = "--d", defaultValue = "1024", description = "Hidden size (linear mode). Default: ${DEFAULT-VALUE}")
    long hiddenSize;

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

    @Option(names = "--in-place", description = "Logits mode: write the gradient over the logits.")
    boolean inPlace;

    @Option(names = "--chunk-rows", defaultValue = "0", description = "Linear mode: rows per chunk (0: chosen from V).")
    int chunkRows;

    @Option(names = "--vocab-tile", defaultValue = "0", description = "Linear mode: vocabulary columns per tile (0: default).")
    int vocabTile;

    @Option(names = "--impl", defaultValue = "leanpo",
            description = "Linear mode: leanpo (the fused head) or torch (libtorch: materialised logits, log_softmax, autograd), "
                    + "for the DESIGN.md comparison; run each in its own process so peak memory is its own. Default: ${DEFAULT-VALUE}")
    String impl;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        boolean linear = switch (mode) {
            case "logits" -> false;
            case "linear" -> true;
            default -> throw new ParameterException(spec.commandLine(), "unknown --mode " + mode + " (use logits or linear)");
        };
        if (rows < 2 || vocab < 1 || pairs < 1 || 2L * pairs > rows || repeat < 1 || (linear && hiddenSize < 1)) {
            throw new ParameterException(spec.commandLine(),
                    "need --T >= 2·--pairs, --pairs >= 1, --V >= 1, --d >= 1 and --repeat >= 1 (got T=" + rows + ", pairs=" + pairs
                            + ", V=" + vocab + ", d=" + hiddenSize + ", repeat=" + repeat + ")");
        }
        DType dt = DType.parse(dtype);
        if (!dt.isFloating()) {
            throw new ParameterException(spec.commandLine(), "--dtype must be f32, bf16 or f16");
        }
        BackendChoice choice = BackendChoice.parse(backend);
        if (!impl.equals("leanpo") && !impl.equals("torch")) {
            throw new ParameterException(spec.commandLine(), "unknown --impl " + impl + " (use leanpo or torch)");
        }
        if (impl.equals("torch")) {
            if (!linear || dt != DType.F32) {
                throw new ParameterException(spec.commandLine(), "--impl torch compares the fused-linear head in f32: use --mode linear --dtype f32");
            }
            return torchLinear();
        }
        LinearOptions opts = null;
        if (linear && (chunkRows > 0 || vocabTile > 0)) {
            boolean gpu = choice == BackendChoice.CUDA || (choice == BackendChoice.AUTO && CudaBackend.unavailableReason() == null);
            LinearOptions def = gpu ? CudaBackend.defaultLinearOptions(vocab) : LinearOptions.defaults(vocab);
            opts = new LinearOptions(chunkRows > 0 ? chunkRows : def.chunkRows(), vocabTile > 0 ? vocabTile : def.vocabTile(),
                    def.singlePassBytes());
        }
        try (PointerScope scope = new PointerScope();
             LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), choice, threads, opts)) {
            HostTensor tgt = HostTensor.of(new LongPointer(BenchInputs.targets(rows, vocab, 7)), DType.I64, rows);
            BatchLayout layout = BatchLayout.fromOffsets(BenchInputs.pairOffsets(rows, pairs));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", mode);
            m.put("backend", loss.backendName());
            m.put("dtype", dt.name().toLowerCase(Locale.ROOT));
            m.put("T", rows);
            m.put("V", vocab);
            if (linear) {
                m.put("d", hiddenSize);
            }
            m.put("pairs", pairs);
            m.put("threads", NativeCalls.threads());
            m.put("cpu_isa", NativeCalls.cpuIsa());
            double[] times;
            LossResult[] last = new LossResult[1];
            if (loss.backendName().equals("cuda")) {
                try (DeviceMemory gpu = new DeviceMemory(0)) {
                    times = onGpu(gpu, loss, m, linear, dt, layout, opts, last);
                }
            } else if (!linear) {
                long elems = Math.multiplyExact(rows, vocab);
                Pointer x = BenchInputs.random(dt, elems, 4f, 0x2545F4914F6CDD1DL);
                Pointer g = inPlace ? x : BenchInputs.alloc(dt, elems);
                LogitsBatch batch = LogitsBatch.of(HostTensor.of(x, dt, elems), vocab, tgt, layout);
                HostTensor grad = HostTensor.of(g, dt, elems);
                times = time(() -> {
                    if (inPlace) {
                        BenchInputs.fill(x, dt, elems, 4f, 0x2545F4914F6CDD1DL); // the previous run overwrote the logits (untimed)
                    }
                }, () -> last[0] = loss.forwardBackward(batch, grad));
                long ideal = 2 * elems * dt.byteSize();
                m.put("peak_rss_bytes", ProcStatus.peakRssBytes()); // before the ceiling's own buffers
                putBandwidth(m, ideal, median(times), copyBandwidth(Math.min(ideal / 2, 512L << 20)));
            } else {
                long d = hiddenSize;
                Pointer h = BenchInputs.random(dt, rows * d, 2f, 0x2545F4914F6CDD1DL);
                Pointer w = BenchInputs.random(dt, vocab * d, (float) (4 / Math.sqrt(d)), 0x1234567887654321L);
                Pointer gh = BenchInputs.alloc(dt, rows * d);
                FloatPointer gw = new FloatPointer(vocab * d);
                LinearBatch batch = LinearBatch.of(HostTensor.of(h, dt, rows * d), HostTensor.of(w, dt, vocab * d), null, d, vocab, tgt, layout);
                LinearGrads grads = new LinearGrads(HostTensor.of(gh, dt, rows * d), HostTensor.of(gw, DType.F32, vocab * d), null, false);
                times = time(() -> { }, () -> last[0] = loss.forwardBackward(batch, grads));
                m.put("peak_rss_bytes", ProcStatus.peakRssBytes()); // before the ceiling's own buffers
                LinearOptions used = opts != null ? opts : LinearOptions.defaults(vocab);
                double sgemm = sgemmRate(Math.min(used.chunkRows(), rows), d, vocab, Math.min(used.vocabTile(), vocab));
                putFlops(m, median(times), used, "sgemm", sgemm);
            }
            double[] sorted = times.clone();
            Arrays.sort(sorted);
            m.put("repeat", repeat);
            m.put("median_s", median(times));
            m.put("min_s", sorted[0]);
            m.put("times_s", times);
            m.put("loss", last[0].loss());
            print(m);
            return 0;
        }
    }

    /**
     * The same runs on a GPU with every input and output resident in device memory, so the time is the head's (one host
     * wait per call, for the loss) and not PCIe copies; ceilings measured in this process: device copy bandwidth (logits
     * mode) or the cuBLAS rate of the head's three products on a chunk (linear mode). Peak memory is the device's.
     */
    private double[] onGpu(DeviceMemory gpu, LeanPoLoss loss, Map<String, Object> m, boolean linear, DType dt, BatchLayout layout,
                           LinearOptions opts, LossResult[] last) {
        DeviceTensor tgt = gpu.upload(new LongPointer(BenchInputs.targets(rows, vocab, 7)), DType.I64, rows);
        double[] times;
        if (!linear) {
            long elems = Math.multiplyExact(rows, vocab);
            DeviceTensor pristine = gpu.upload(BenchInputs.random(dt, elems, 4f, 0x2545F4914F6CDD1DL), dt, elems);
            DeviceTensor x = inPlace ? gpu.alloc(dt, elems) : pristine;
            DeviceTensor g = inPlace ? x : gpu.alloc(dt, elems);
            LogitsBatch batch = LogitsBatch.of(x, vocab, tgt, layout);
            CudaCalls.poolPeak(true);
            times = time(() -> {
                if (inPlace) {
                    gpu.copy(x, pristine);  // the previous run overwrote the logits (untimed)
                    gpu.synchronize();
                }
            }, () -> last[0] = loss.forwardBackward(batch, g));
            m.put("peak_device_bytes", CudaCalls.poolPeak(false));
            long ideal = 2 * elems * dt.byteSize();
            putBandwidth(m, ideal, median(times), GpuBench.copyBandwidth(gpu, Math.min(ideal / 2, 4L << 30)));
        } else {
            long d = hiddenSize;
            DeviceTensor h = gpu.upload(BenchInputs.random(dt, rows * d, 2f, 0x2545F4914F6CDD1DL), dt, rows * d);
            DeviceTensor w = gpu.upload(BenchInputs.random(dt, vocab * d, (float) (4 / Math.sqrt(d)), 0x1234567887654321L), dt, vocab * d);
            DeviceTensor gh = gpu.alloc(dt, rows * d);
            DeviceTensor gw = gpu.alloc(DType.F32, vocab * d);
            LinearBatch batch = LinearBatch.of(h, w, null, d, vocab, tgt, layout);
            LinearGrads grads = new LinearGrads(gh, gw, null, false);
            CudaCalls.poolPeak(true);
            times = time(() -> { }, () -> last[0] = loss.forwardBackward(batch, grads));
            m.put("peak_device_bytes", CudaCalls.poolPeak(false));
            LinearOptions used = opts != null ? opts : CudaBackend.defaultLinearOptions(vocab);
            double rate = GpuBench.gemmRate(gpu, Math.min(used.chunkRows(), rows), d, vocab, dt, h, w);
            putFlops(m, median(times), used, "gemm", rate);
        }
        m.put("peak_rss_bytes", ProcStatus.peakRssBytes());
        return times;
    }

    /** The linear mode's useful rate (6·T·d·V over the median) next to the product ceiling ({@code ceiling}: sgemm or gemm) of the same run. */
    private void putFlops(Map<String, Object> m, double median, LinearOptions used, String ceiling, double rate) {
        double useful = 6.0 * rows * hiddenSize * vocab;
        m.put("useful_flops", useful);
        m.put("useful_GFLOPs", useful / median / 1e9);
        m.put(ceiling + "_GFLOPs", rate / 1e9);
        m.put("fraction_of_" + ceiling, useful / median / rate);
        m.put("chunk_rows", used.chunkRows());
        m.put("vocab_tile", used.vocabTile());
        m.put("tv_buffer_bytes", rows * vocab * 4);
    }

    /** The logits mode's bandwidth over the ideal bytes (one read, one write) next to the copy ceiling of the same run. */
    private void putBandwidth(Map<String, Object> m, long ideal, double median, double copy) {
        m.put("in_place", inPlace);
        m.put("ideal_bytes", ideal);
        m.put("achieved_GBps", ideal / median / 1e9);
        m.put("copy_GBps", copy / 1e9);
        m.put("fraction_of_copy", ideal / median / copy);
    }

    /** The libtorch baseline on exactly the inputs the leanpo run uses (same generator, same seeds). */
    private Integer torchLinear() {
        io.github.leanpo.model.TorchRuntime.init(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        long d = hiddenSize;
        long[] targets = BenchInputs.targets(rows, vocab, 7);
        long[] offsets = BenchInputs.pairOffsets(rows, pairs);
        org.bytedeco.pytorch.Tensor h = org.bytedeco.pytorch.Tensor.create(
                BenchInputs.randomArray(Math.toIntExact(rows * d), 2f, 0x2545F4914F6CDD1DL), rows, d).requires_grad_(true);
        org.bytedeco.pytorch.Tensor w = org.bytedeco.pytorch.Tensor.create(
                BenchInputs.randomArray(Math.toIntExact(vocab * d), (float) (4 / Math.sqrt(d)), 0x1234567887654321L), vocab, d)
                .requires_grad_(true);
        double[] lossOut = new double[1];
        double[] times = time(() -> { }, () -> {
            try (PointerScope scope = new PointerScope()) {
                org.bytedeco.pytorch.Tensor loss = io.github.leanpo.model.TorchLeanPoReference.loss(h, w, targets, offsets, 2.0, 0.2);
                loss.backward();
                lossOut[0] = loss.item_float();
            }
        });
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "linear");
        m.put("impl", "torch");
        m.put("dtype", "f32");
        m.put("T", rows);
        m.put("V", vocab);
        m.put("d", d);
        m.put("pairs", pairs);
        m.put("threads", org.bytedeco.pytorch.global.torch.get_num_threads());
        double median = median(times);
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        m.put("useful_GFLOPs", 6.0 * rows * d * vocab / median / 1e9);
        m.put("repeat", repeat);
        m.put("median_s", median);
        m.put("min_s", sorted[0]);
        m.put("times_s", times);
        m.put("peak_rss_bytes", ProcStatus.peakRssBytes());
        m.put("loss", lossOut[0]);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(m));
        } else {
            out.printf(Locale.ROOT, "libtorch reference (logits materialised, autograd), T=%d d=%d V=%d: median %.4f s, min %.4f s, "
                    + "%.1f useful GFLOP/s, peak resident memory %.1f MiB, loss %.6f%n", rows, d, vocab, median, sorted[0],
                    (double) m.get("useful_GFLOPs"), ProcStatus.peakRssBytes() / 1048576.0, lossOut[0]);
        }
        return 0;
    }

    private void print(Map<String, Object> m) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "leanpo bench: %s, %s, T=%s V=%s%s P=%s on %s (%s threads, %s)%n", m.get("mode"), m.get("dtype"), m.get("T"),
                m.get("V"), m.containsKey("d") ? " d=" + m.get("d") : "", m.get("pairs"), m.get("backend"), m.get("threads"), m.get("cpu_isa"));
        out.printf(Locale.ROOT, "  forward+backward: median %.4f s, min %.4f s over %d runs%n", (double) m.get("median_s"),
                (double) m.get("min_s"), repeat);
        if (m.containsKey("ideal_bytes")) {
            out.printf(Locale.ROOT, "  ideal bytes %.3f GB (read logits once, write grads once) -> %.2f GB/s; memory copy %.2f GB/s (%.0f%%)%n",
                    (long) m.get("ideal_bytes") / 1e9, (double) m.get("achieved_GBps"), (double) m.get("copy_GBps"),
                    100 * (double) m.get("fraction_of_copy"));
        } else {
            boolean gpu = m.containsKey("gemm_GFLOPs");
            out.printf(Locale.ROOT, "  useful 6·T·d·V = %.1f GFLOP -> %.1f GFLOP/s; %s on the same shapes %.1f GFLOP/s (%.0f%%)%n",
                    (double) m.get("useful_flops") / 1e9, (double) m.get("useful_GFLOPs"), gpu ? "cuBLAS" : "OpenBLAS sgemm",
                    (double) m.get(gpu ? "gemm_GFLOPs" : "sgemm_GFLOPs"), 100 * (double) m.get(gpu ? "fraction_of_gemm" : "fraction_of_sgemm"));
        }
        if (m.containsKey("peak_device_bytes")) {
            out.printf(Locale.ROOT, "  peak device memory %.1f MiB (inputs, outputs and the calls' scratch)%n",
                    (long) m.get("peak_device_bytes") / 1048576.0);
        }
        out.printf(Locale.ROOT, "  peak resident memory %.1f MiB; loss %.6f%n", (long) m.get("peak_rss_bytes") / 1048576.0, (double) m.get("loss"));
    }

    /** One warm-up, then {@code repeat} timed runs; {@code before} runs untimed before each. */
    private double[] time(Runnable before, Runnable body) {
        double[] times = new double[repeat];
        for (int i = -1; i < repeat; i++) {
            before.run();
            long t0 = System.nanoTime();
            body.run();
            long t1 = System.nanoTime();
            if (i >= 0) {
                times[i] = (t1 - t0) / 1e9;
            }
        }
        return times;
    }

    /**
     * The ceiling for the fused-linear head: the rate of exactly the three fp32 products it is made of for one chunk of
     * {@code c} rows over the whole vocabulary in tiles (X = H·Wᵀ, dH = G·W, dW += Gᵀ·H), median of three runs (the head's
     * time is a median too, so the ratio compares like with like), after one warm-up run.
     */
    private static double sgemmRate(long c, long d, long vocab, long tile) {
        try (PointerScope scope = new PointerScope()) {
            FloatPointer h = (FloatPointer) BenchInputs.random(DType.F32, c * d, 1f, 7);
            FloatPointer w = (FloatPointer) BenchInputs.random(DType.F32, vocab * d, 1f, 11);
            FloatPointer x = new FloatPointer(c * tile);
            FloatPointer dh = new FloatPointer(c * d);
            FloatPointer dw = new FloatPointer(vocab * d);
            double[] t = new double[3];
            for (int rep = -1; rep < t.length; rep++) { // rep -1 warms up OpenBLAS's threads and buffers
                long t0 = System.nanoTime();
                BenchInputs.headProducts(h, w, x, dh, dw, c, d, vocab, c, tile);
                if (rep >= 0) {
                    t[rep] = (System.nanoTime() - t0) / 1e9;
                }
            }
            return 6.0 * c * d * vocab / median(t);
        }
    }

    /**
     * The memory ceiling for the logits head: a plain copy of {@code bytes} (at least 4× the last-level cache, so it
     * runs from memory), counted as bytes read plus bytes written, median of 5.
     */
    static double copyBandwidth(long bytes) {
        bytes = Math.max(bytes, 128L << 20);
        try (PointerScope scope = new PointerScope()) {
            org.bytedeco.javacpp.BytePointer src = new org.bytedeco.javacpp.BytePointer(bytes);
            org.bytedeco.javacpp.BytePointer dst = new org.bytedeco.javacpp.BytePointer(bytes);
            Pointer.memset(src, 1, bytes);
            Pointer.memset(dst, 2, bytes);
            double[] t = new double[5];
            for (int i = -1; i < t.length; i++) {
                long t0 = System.nanoTime();
                Pointer.memcpy(dst, src, bytes);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    t[i] = (t1 - t0) / 1e9;
                }
            }
            return 2.0 * bytes / median(t);
        }
    }

    static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
