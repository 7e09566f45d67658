package io.github.leanpo.loss;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * The child process of {@link NativeMemoryTest}: N loss calls of one kind after a warm-up, with JavaCPP's native
 * byte count and the process's resident set size read before and after. Prints one line,
 * {@code calls=N totalBefore=.. totalAfter=.. physicalBefore=.. physicalAfter=.. rssBefore=.. rssAfter=..}.
 *
 * <p>Kinds: {@code logits} (logits-in, f32 Java arrays, T=64, V=512, forward and backward), {@code logits-pointer}
 * (bf16 logits and gradient in JavaCPP memory), {@code linear} (fused-linear from Java arrays, which the engine copies
 * to native memory each call: T=32, d=32, V=256, all three gradients), {@code hf} (an HF batch built, used and closed
 * each call). The logits kinds create and close a {@link LeanPoLoss} per call, so the backend's life cycle is measured
 * too; the others use one loss for all calls, as a trainer does (creating a backend and first touching OpenBLAS costs
 * about 2 ms, which would make the fused-linear run ten times longer).
 */
public final class LossCallsChild {
    static final int T = 64;
    static final int V = 512;
    /**
     * Calls before the first reading. Measured: with C2, RSS grows ~15 MB until about 12,500 calls (compilation),
     * then stays flat; with C1 only (how the test runs the child) it is flat after 2,500.
     */
    static final int WARM_UP = 3000;

    private LossCallsChild() {}

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int calls = Integer.parseInt(args[1]);
        Runnable call = call(kind);
        for (int i = 0; i < WARM_UP; i++) { // JIT compilation, thread pool and allocator arenas settle first
            call.run();
        }
        rss(); // its first call loads classes; done here, so the two readings below see only the calls
        System.gc();
        long totalBefore = Pointer.totalBytes();
        long physicalBefore = Pointer.physicalBytes();
        long rssBefore = rss();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        System.gc();
        long totalAfter = Pointer.totalBytes();
        long physicalAfter = Pointer.physicalBytes();
        long rssAfter = rss();
        System.out.printf("calls=%d totalBefore=%d totalAfter=%d physicalBefore=%d physicalAfter=%d rssBefore=%d rssAfter=%d%n", calls,
                totalBefore, totalAfter, physicalBefore, physicalAfter, rssBefore, rssAfter);
    }

    private static Runnable call(String kind) {
        Random rnd = new Random(1);
        BatchLayout layout = BatchLayout.builder().addPair(10, 6).addPair(20, 8).addPair(4, 16).build(); // T = 64
        int[] targets = new int[T];
        for (int t = 0; t < T; t++) {
            targets[t] = t % 7 == 3 ? -100 : rnd.nextInt(V);
        }
        float[] logits = random(rnd, T * V);
        return switch (kind) {
            case "logits" -> {
                float[] grad = new float[T * V];
                yield () -> {
                    try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CPU, 0)) {
                        loss.forwardBackward(LogitsBatch.of(HostTensor.of(logits), V, HostTensor.of(targets), layout), HostTensor.of(grad));
                    }
                };
            }
            case "logits-pointer" -> {
                // allocated once, outside any scope: the calls must not add native memory of their own
                Pointer x = new org.bytedeco.javacpp.ShortPointer(T * V);
                Pointer g = new org.bytedeco.javacpp.ShortPointer(T * V);
                short[] bits = new short[T * V];
                for (int i = 0; i < bits.length; i++) {
                    bits[i] = (short) (Float.floatToIntBits(logits[i]) >>> 16);
                }
                ((org.bytedeco.javacpp.ShortPointer) x).put(bits);
                yield () -> {
                    try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.dpo(), BackendChoice.CPU, 0)) {
                        loss.forwardBackward(LogitsBatch.of(HostTensor.of(x, DType.BF16, (long) T * V), V, HostTensor.of(targets), layout)
                                .withRefSum(HostTensor.of(new float[layout.sequences()])), HostTensor.of(g, DType.BF16, (long) T * V));
                    }
                };
            }
            case "linear" -> {
                int rows = 32;
                int d = 32;
                int vocab = 256;
                BatchLayout small = BatchLayout.builder().addPair(9, 7).addPair(5, 11).build();
                float[] h = random(rnd, rows * d);
                float[] w = random(rnd, vocab * d);
                float[] b = random(rnd, vocab);
                int[] y = new int[rows];
                for (int t = 0; t < rows; t++) {
                    y[t] = rnd.nextInt(vocab);
                }
                float[] gh = new float[rows * d];
                float[] gw = new float[vocab * d];
                float[] gb = new float[vocab];
                LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CPU, 0); // one per trainer, as trainers do
                yield () -> loss.forwardBackward(LinearBatch.of(HostTensor.of(h), HostTensor.of(w), HostTensor.of(b), d, vocab,
                        HostTensor.of(y), small), new LinearGrads(HostTensor.of(gh), HostTensor.of(gw), HostTensor.of(gb), false));
            }
            case "hf" -> {
                int batch = 4;
                int len = 20;
                int d = 16;
                int vocab = 64;
                float[] hidden = random(rnd, batch * len * d);
                float[] w = random(rnd, vocab * d);
                long[] labels = new long[batch * len];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = i % len < 8 ? -100 : rnd.nextInt(vocab);
                }
                float[] full = new float[batch * len * d];
                LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CPU, 0);
                yield () -> {
                    try (PointerScope scope = new PointerScope();
                         HfBatch hb = HfBatch.ofHidden(HostTensor.of(hidden), batch, len, d, HostTensor.of(labels), PairMapping.interleaved(2),
                                 LossConfig.leanpo())) {
                        io.github.leanpo.engine.Tensor g = hb.newCompactGrad();
                        loss.forwardBackward(hb.linear(HostTensor.of(w), null, vocab), new LinearGrads(g, null, null, false));
                        hb.scatterGrad(g, HostTensor.of(full));
                    }
                };
            }
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        };
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** Resident set size from /proc/self/status (VmRSS), in bytes. */
    static long rss() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
