package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.nativelib.NativeCalls;
import io.github.leanpo.oracle.Oracle;
import io.github.leanpo.oracle.OracleConfig;
import io.github.leanpo.oracle.OracleObjective;
import io.github.leanpo.oracle.OracleResult;
import io.github.leanpo.oracle.OracleSmoothing;
import io.github.leanpo.testing.Gpu;
import io.github.leanpo.testing.RandomBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The native CPU engine against the fp64 oracle: odd and realistic shapes, every dtype with its own
 * tolerance, masked rows, every objective and smoothing mode, both CPU instruction sets; loss, every
 * per-sequence and per-pair output, and every element of the gradient.
 */
class LeanPoLossOracleTest {

    /** Forward values are fp32 math on exactly representable inputs for every dtype; the gradient is rounded to the dtype. */
    record Tol(double fwdAbs, double fwdRel, double gradAbs, double gradRel) {}

    static Tol tol(DType d) {
        return switch (d) {
            case F32 -> new Tol(2e-5, 2e-5, 2e-7, 2e-5);
            case BF16 -> new Tol(2e-5, 2e-5, 1e-7, 8e-3);   // bf16 keeps 8 significant bits: half-ulp 2^-9
            case F16 -> new Tol(2e-5, 2e-5, 1e-7, 1.1e-3);  // f16 keeps 11 bits; subnormals below 6e-5 are spaced 6e-8
            default -> throw new IllegalArgumentException();
        };
    }

    /** Worst error seen per dtype and quantity, printed at the end for the record. */
    static final Map<String, double[]> WORST = new TreeMap<>();

    static synchronized void note(String key, double absErr, double relErr) {
        double[] w = WORST.computeIfAbsent(key, k -> new double[2]);
        w[0] = Math.max(w[0], absErr);
        w[1] = Math.max(w[1], relErr);
    }

    @AfterAll
    static void report() {
        StringBuilder sb = new StringBuilder("oracle agreement (max abs err, max rel err where |ref| > 1e-3):\n");
        WORST.forEach((k, v) -> sb.append(String.format("  %-22s %.3e  %.3e%n", k, v[0], v[1])));
        System.out.print(sb);
    }

    static int[] lens(int n, int min, int max, long seed) {
        java.util.Random r = new java.util.Random(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = min + r.nextInt(max - min + 1);
        }
        return a;
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            out.add(Arguments.of("V=3 one pair of one row each", d, 3, new int[] {1}, new int[] {1}));
            out.add(Arguments.of("V=123 T=47", d, 123, new int[] {9, 4, 13}, new int[] {7, 11, 3}));
            out.add(Arguments.of("V=1000 P=10", d, 1000, lens(10, 1, 30, 1), lens(10, 1, 30, 2)));
            out.add(Arguments.of("V=32768 P=4", d, 32768, new int[] {8, 5, 9, 3}, new int[] {6, 10, 2, 7}));
            out.add(Arguments.of("V=50 P=1000", d, 50, lens(1000, 1, 3, 3), lens(1000, 1, 3, 4)));
            out.add(Arguments.of("V=257 T~4000 P=20", d, 257, lens(20, 80, 120, 5), lens(20, 80, 120, 6)));
            out.add(Arguments.of("V=33 (vector tail) P=5", d, 33, lens(5, 2, 9, 7), lens(5, 2, 9, 8)));
        }
        out.add(Arguments.of("V=152064 f32", DType.F32, 152064, new int[] {3}, new int[] {2}));
        out.add(Arguments.of("V=152064 bf16", DType.BF16, 152064, new int[] {2, 1}, new int[] {1, 3}));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void leanpoDefaultAgainstOracle(String name, DType dtype, int vocab, int[] chosen, int[] rejected) {
        RandomBatch b = new RandomBatch(name.hashCode() * 31L + dtype.ordinal(), vocab, chosen, rejected, dtype, 0.2, 2.0, -100);
        compare(b, LossConfig.leanpo(), OracleConfig.leanpo(), dtype.name().toLowerCase());
    }

    static Stream<Arguments> objectives() {
        OracleConfig o = OracleConfig.leanpo();
        return Stream.of(
                Arguments.of("leanpo none", LossConfig.leanpo().withSmoothing(Smoothing.none()), o.withSmoothing(OracleSmoothing.NONE, 0)),
                Arguments.of("leanpo fixed 0.1", LossConfig.leanpo().withSmoothing(Smoothing.fixed(0.1)), o.withSmoothing(OracleSmoothing.FIXED, 0.1)),
                Arguments.of("leanpo dynamic 0.2 nll 0.5 beta 2.5", LossConfig.leanpo().withNllWeight(0.5).withBeta(2.5),
                        o.withNllWeight(0.5).withBeta(2.5)),
                Arguments.of("leanpo gamma 0.3 N=64", LossConfig.leanpo().withGamma(0.3).withNormalizer(64),
                        o.withGamma(0.3).withNormalizer(64)),
                Arguments.of("simpo", LossConfig.simpo(),
                        o.withObjective(OracleObjective.SIMPO).withGamma(0.5).withSmoothing(OracleSmoothing.NONE, 0)),
                Arguments.of("dpo", LossConfig.dpo(),
                        o.withObjective(OracleObjective.DPO).withBeta(0.1).withSmoothing(OracleSmoothing.NONE, 0)),
                Arguments.of("cdpo fixed 0.1 nll 0.3", LossConfig.dpo().withSmoothing(Smoothing.fixed(0.1)).withNllWeight(0.3),
                        o.withObjective(OracleObjective.DPO).withBeta(0.1).withSmoothing(OracleSmoothing.FIXED, 0.1).withNllWeight(0.3)),
                Arguments.of("sft", LossConfig.sft(),
                        o.withObjective(OracleObjective.SFT).withBeta(1.0).withSmoothing(OracleSmoothing.NONE, 0)),
                Arguments.of("leanpo ignore index -1", LossConfig.leanpo().withIgnoreIndex(-1), o.withIgnoreIndex(-1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objectives")
    void everyObjectiveAgainstOracle(String name, LossConfig cfg, OracleConfig ocfg) {
        for (DType d : new DType[] {DType.F32, DType.BF16}) {
            RandomBatch b = new RandomBatch(name.hashCode(), 517, lens(12, 1, 20, 11), lens(12, 1, 20, 12), d, 0.25, 2.0,
                    cfg.ignoreIndex());
            compare(b, cfg, ocfg, d.name().toLowerCase());
        }
    }

    @ParameterizedTest(name = "isa {0}")
    @MethodSource("isas")
    void bothInstructionSetsAgreeWithOracle(String isa) {
        String before = NativeCalls.cpuIsa();
        boolean selected = NativeCalls.selectCpuIsa(isa);
        org.junit.jupiter.api.Assumptions.assumeTrue(selected, "this CPU lacks " + isa);
        try {
            for (DType d : DType.values()) {
                if (!d.isFloating()) {
                    continue;
                }
                RandomBatch b = new RandomBatch(77 + d.ordinal(), 1031, lens(6, 1, 25, 13), lens(6, 1, 25, 14), d, 0.2, 3.0, -100);
                compare(b, LossConfig.leanpo(), OracleConfig.leanpo(), d.name().toLowerCase() + "/" + isa);
            }
        } finally {
            NativeCalls.selectCpuIsa(before.startsWith("avx2") ? "avx2" : "generic");
        }
    }

    static Stream<String> isas() {
        return Stream.of("generic", "avx2");
    }

    /** Rows whose later blocks jump far above the running max (the kernel must re-shift, not overflow). */
    @org.junit.jupiter.api.Test
    void largeJumpsAcrossRowBlocks() {
        for (DType d : new DType[] {DType.F32, DType.BF16}) {
            RandomBatch b = new RandomBatch(31, 6000, new int[] {3}, new int[] {2}, d, 0.0, 1.0, -100);
            for (int row = 0; row < b.rows; row++) {
                for (int v = 2048 * (1 + row % 2); v < b.vocab; v++) { // +95 from the second or third block on
                    int i = row * b.vocab + v;
                    if (d == DType.F32) {
                        b.logitsF32[i] += 95f;
                        b.logitsF64[i] = b.logitsF32[i];
                    } else {
                        b.logits16[i] = io.github.leanpo.testing.Half.toBf16(io.github.leanpo.testing.Half.bf16ToFloat(b.logits16[i]) + 95f);
                        b.logitsF64[i] = io.github.leanpo.testing.Half.bf16ToFloat(b.logits16[i]);
                    }
                }
            }
            // SFT keeps the gradient large whatever the rewards do, so the gradient check has teeth here
            compare(b, LossConfig.sft(), OracleConfig.leanpo().withObjective(OracleObjective.SFT).withBeta(1.0)
                    .withSmoothing(OracleSmoothing.NONE, 0), d.name().toLowerCase() + " jumps");
        }
    }

    @org.junit.jupiter.api.Test
    void sftWithEmptyRejectedAndSingleRow() {
        RandomBatch b = new RandomBatch(5, 40, new int[] {1}, new int[] {0}, DType.F32, 0.0, 2.0, -100);
        compare(b, LossConfig.sft(), OracleConfig.leanpo().withObjective(OracleObjective.SFT).withBeta(1.0)
                .withSmoothing(OracleSmoothing.NONE, 0), "f32");
    }

    @org.junit.jupiter.api.Test
    void dynamicSmoothingSwitchesPerPairInOneBatch() {
        RandomBatch b = new RandomBatch(99, 300, lens(16, 2, 12, 21), lens(16, 2, 12, 22), DType.F32, 0.1, 2.0, -100);
        LossResult r = compare(b, LossConfig.leanpo(), OracleConfig.leanpo(), "f32");
        float[] eps = r.pairEpsilon();
        float[] mean = r.seqMeanLogp();
        int on = 0;
        for (int p = 0; p < eps.length; p++) {
            assertEquals(mean[2 * p] < mean[2 * p + 1] ? 0.2f : 0f, eps[p], 0f, "epsilon of pair " + p);
            on += eps[p] > 0 ? 1 : 0;
        }
        assertTrue(on > 0 && on < eps.length, "want some pairs smoothed and some not, got " + on + " of " + eps.length);
        assertEquals((double) on / eps.length, r.metrics().get("smoothing/active_fraction"), 1e-12);
    }

    /** Where a comparison runs: the CPU, a GPU with host tensors (copied in and out), or a GPU with device tensors. */
    enum Placement {
        CPU, GPU_HOST_TENSORS, GPU_DEVICE_TENSORS, GPU_DEVICE_IN_PLACE
    }

    /** Runs the engine and the oracle on the same batch and asserts every output. */
    static LossResult compare(RandomBatch b, LossConfig cfg, OracleConfig ocfg, String key) {
        return compare(b, cfg, ocfg, key, Placement.CPU);
    }

    /** As {@link #compare(RandomBatch, LossConfig, OracleConfig, String)}, on the CPU or a GPU. */
    static LossResult compare(RandomBatch b, LossConfig cfg, OracleConfig ocfg, String key, Placement where) {
        OracleResult ref = Oracle.compute(b.logitsF64, b.rows, b.vocab, b.targets, b.offsets,
                cfg.objective() == Objective.DPO ? toDouble(b.refSum) : null, ocfg);
        Object grad = b.newGradArray();
        LossResult r;
        BackendChoice choice = where == Placement.CPU ? BackendChoice.CPU : BackendChoice.CUDA;
        try (LeanPoLoss loss = LeanPoLoss.create(cfg, choice, 0); Gpu gpu = where.ordinal() >= 2 ? new Gpu() : null) {
            if (where.ordinal() >= 2) {
                DeviceTensor x = b.dtype == DType.F32 ? gpu.upload(b.logitsF32) : gpu.upload(b.logits16, b.dtype);
                LogitsBatch batch = LogitsBatch.of(x, b.vocab, gpu.upload(b.targets), BatchLayout.fromOffsets(b.offsets));
                if (cfg.objective() == Objective.DPO) {
                    batch = batch.withRefSum(gpu.upload(b.refSum));
                }
                DeviceTensor g = where == Placement.GPU_DEVICE_IN_PLACE ? x : gpu.poisoned(b.dtype, x.numel());
                r = loss.forwardBackward(batch, g);
                gpu.download(g, grad);
            } else {
                LogitsBatch batch = LogitsBatch.of(b.logitsTensor(), b.vocab, HostTensor.of(b.targets), BatchLayout.fromOffsets(b.offsets));
                if (cfg.objective() == Objective.DPO) {
                    batch = batch.withRefSum(HostTensor.of(b.refSum));
                }
                r = loss.forwardBackward(batch, RandomBatch.view(grad, b.dtype));
            }
        }
        Tol t = tol(b.dtype);
        close(key + " loss", ref.loss(), r.loss(), t.fwdAbs(), t.fwdRel(), "loss");
        float[] mean = r.seqMeanLogp();
        float[] sum = r.seqSumLogp();
        long[] tok = r.seqTokens();
        for (int s = 0; s < mean.length; s++) {
            assertEquals(ref.seqTokens()[s], tok[s], "tokens of sequence " + s);
            close(key + " seq_mean", ref.seqMean()[s], mean[s], t.fwdAbs(), t.fwdRel(), "mean of sequence " + s);
            close(key + " seq_sum", ref.seqSum()[s], sum[s], t.fwdAbs() * Math.max(1, tok[s]), t.fwdRel(), "sum of sequence " + s);
        }
        float[] pl = r.pairLoss();
        float[] rc = r.rewardChosen();
        float[] rr = r.rewardRejected();
        float[] eps = r.pairEpsilon();
        for (int p = 0; p < pl.length; p++) {
            close(key + " pair_loss", ref.pairLoss()[p], pl[p], t.fwdAbs() * 4, t.fwdRel(), "loss of pair " + p);
            close(key + " reward", ref.rewardChosen()[p], rc[p], t.fwdAbs() * 4, t.fwdRel(), "chosen reward of pair " + p);
            close(key + " reward", ref.rewardRejected()[p], rr[p], t.fwdAbs() * 4, t.fwdRel(), "rejected reward of pair " + p);
            if (Math.abs(ref.seqMean()[2 * p] - ref.seqMean()[2 * p + 1]) > 1e-4) { // away from the switching point
                assertEquals(ref.epsilon()[p], eps[p], 1e-7, "epsilon of pair " + p);
            }
        }
        double[] g = ref.gradLogits();
        for (int row = 0; row < b.rows; row++) {
            boolean masked = b.targets[row] == cfg.ignoreIndex();
            for (int v = 0; v < b.vocab; v++) {
                int i = row * b.vocab + v;
                double got = b.gradAt(grad, i);
                if (masked) {
                    if (got != 0.0) {
                        throw new AssertionError("masked row " + row + " has gradient " + got + " at column " + v);
                    }
                } else {
                    close(key + " grad", g[i], got, t.gradAbs(), t.gradRel(), "grad at row " + row + ", column " + v);
                }
            }
        }
        return r;
    }

    static void close(String key, double ref, double got, double abs, double rel, String what) {
        double err = Math.abs(got - ref);
        note(key, err, Math.abs(ref) > 1e-3 ? err / Math.abs(ref) : 0);
        if (!(err <= abs + rel * Math.abs(ref))) {
            throw new AssertionError(what + ": got " + got + ", oracle " + ref + ", error " + err + " > " + abs + " + " + rel + "·|ref|");
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static String arr(int[] a) {
        return Arrays.toString(a);
    }
}
