package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.engine.LinearOptions;
import io.github.leanpo.oracle.Oracle;
import io.github.leanpo.oracle.OracleConfig;
import io.github.leanpo.oracle.OracleLinearResult;
import io.github.leanpo.oracle.OracleObjective;
import io.github.leanpo.oracle.OracleResult;
import io.github.leanpo.oracle.OracleSmoothing;
import io.github.leanpo.testing.Half;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused-linear head (x = h·Wᵀ + b never stored) against the fp64 oracle: single pass and two
 * passes, tiles that divide neither V nor T, pairs split across chunks, many pairs in a chunk, bias on
 * and off, bf16 inputs, accumulation into existing buffers, every objective; loss, per-sequence and
 * per-pair outputs and all three gradients.
 */
class LinearOracleTest {

    /** A random fused-linear problem; values as the engine sees them and their exact fp64 twins. */
    static final class Problem {
        final int rows, d, vocab;
        final DType dtype;
        final long[] offsets, targets;
        final double[] h64, w64, b64;
        final float[] h32, w32, b32;
        final short[] h16, w16;
        final float[] refSum;

        Problem(long seed, int d, int vocab, int[] chosen, int[] rejected, DType dtype, boolean bias, double maskFrac) {
            Random r = new Random(seed);
            this.d = d;
            this.vocab = vocab;
            this.dtype = dtype;
            BatchLayout.Builder lb = BatchLayout.builder();
            for (int p = 0; p < chosen.length; p++) {
                lb.addPair(chosen[p], rejected[p]);
            }
            offsets = lb.build().offsets();
            rows = (int) offsets[offsets.length - 1];
            targets = new long[rows];
            for (int s = 0; s + 1 < offsets.length; s++) {
                int b = (int) offsets[s], e = (int) offsets[s + 1];
                int keep = e > b ? b + r.nextInt(e - b) : -1;
                for (int t = b; t < e; t++) {
                    targets[t] = t != keep && r.nextDouble() < maskFrac ? -100 : r.nextInt(vocab);
                }
            }
            double ws = 2.0 / Math.sqrt(d);
            h64 = new double[rows * d];
            w64 = new double[vocab * d];
            h32 = new float[h64.length];
            w32 = new float[w64.length];
            h16 = dtype == DType.F32 ? null : new short[h64.length];
            w16 = dtype == DType.F32 ? null : new short[w64.length];
            fill(r, h64, h32, h16, 1.0);
            fill(r, w64, w32, w16, ws);
            if (bias) {
                b64 = new double[vocab];
                b32 = new float[vocab];
                fill(r, b64, b32, null, 0.5);
            } else {
                b64 = null;
                b32 = null;
            }
            refSum = new float[offsets.length - 1];
            for (int s = 0; s < refSum.length; s++) {
                refSum[s] = (float) (-(offsets[s + 1] - offsets[s]) * (1.5 + r.nextDouble()));
            }
        }

        private void fill(Random r, double[] x64, float[] x32, short[] x16, double scale) {
            for (int i = 0; i < x64.length; i++) {
                float v = (float) (r.nextGaussian() * scale);
                if (x16 != null) {
                    x16[i] = dtype == DType.BF16 ? Half.toBf16(v) : Half.toF16(v);
                    v = dtype == DType.BF16 ? Half.bf16ToFloat(x16[i]) : Half.f16ToFloat(x16[i]);
                }
                x32[i] = v;
                x64[i] = v;
            }
        }

        HostTensor hidden() {
            return dtype == DType.F32 ? HostTensor.of(h32) : HostTensor.of(h16, dtype);
        }

        HostTensor weight() {
            return dtype == DType.F32 ? HostTensor.of(w32) : HostTensor.of(w16, dtype);
        }

        LinearBatch batch() {
            return LinearBatch.of(hidden(), weight(), b32 != null ? HostTensor.of(b32) : null, d, vocab, HostTensor.of(targets),
                    BatchLayout.fromOffsets(offsets));
        }

        OracleLinearResult oracle(OracleConfig cfg) {
            double[] ref = null;
            if (cfg.objective() == OracleObjective.DPO) {
                ref = new double[refSum.length];
                for (int i = 0; i < ref.length; i++) {
                    ref[i] = refSum[i];
                }
            }
            return Oracle.computeLinear(h64, w64, b64, rows, d, vocab, targets, offsets, ref, cfg);
        }
    }

    static double worstRel = 0;

    @AfterAll
    static void report() {
        System.out.printf("fused-linear worst error relative to the gradient's scale: %.3e%n", worstRel);
    }

    /** Gradient element check: |got − ref| ≤ abs·scale + rel·|ref|, scale = max |ref| of the tensor. */
    static void assertGrad(String what, double[] ref, float[] got, double abs, double rel) {
        double scale = 0;
        for (double v : ref) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            if (scale > 0) {
                worstRel = Math.max(worstRel, err / scale);
            }
            if (!(err <= abs * scale + rel * Math.abs(ref[i]))) {
                throw new AssertionError(what + "[" + i + "]: got " + got[i] + ", oracle " + ref[i] + " (scale " + scale + ")");
            }
        }
    }

    static float[] widen(short[] a, DType t) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = t == DType.BF16 ? Half.bf16ToFloat(a[i]) : Half.f16ToFloat(a[i]);
        }
        return f;
    }

    /** Runs the engine with f32 grad_weight/grad_bias and grad_hidden in the input dtype, and checks everything. */
    static LossResult check(Problem pb, LossConfig cfg, OracleConfig ocfg, LinearOptions opts) {
        return check(pb, cfg, ocfg, opts, BackendChoice.CPU);
    }

    /**
     * As {@link #check(Problem, LossConfig, OracleConfig, LinearOptions)} on the given backend. On a GPU, bf16/f16 inputs
     * go to the tensor cores as they are and G is rounded once into their type before the two backward products (as
     * autograd in that type does), so the gradients carry that rounding: tolerances relative to the gradient's scale.
     */
    static LossResult check(Problem pb, LossConfig cfg, OracleConfig ocfg, LinearOptions opts, BackendChoice choice) {
        OracleLinearResult ref = pb.oracle(ocfg);
        LinearBatch batch = pb.batch();
        if (cfg.objective() == Objective.DPO) {
            batch = batch.withRefSum(HostTensor.of(pb.refSum));
        }
        float[] gW = new float[pb.vocab * pb.d];
        float[] gB = pb.b32 != null ? new float[pb.vocab] : null;
        Object gH = pb.dtype == DType.F32 ? new float[pb.rows * pb.d] : new short[pb.rows * pb.d];
        HostTensor gHt = pb.dtype == DType.F32 ? HostTensor.of((float[]) gH) : HostTensor.of((short[]) gH, pb.dtype);
        LossResult r;
        try (LeanPoLoss loss = LeanPoLoss.create(cfg, choice, 0, opts)) {
            r = loss.forwardBackward(batch, new LinearGrads(gHt, HostTensor.of(gW), gB != null ? HostTensor.of(gB) : null, false));
        }
        OracleResult lr = ref.logitsResult();
        assertEquals(lr.loss(), r.loss(), 2e-5 + 2e-5 * Math.abs(lr.loss()), "loss");
        float[] mean = r.seqMeanLogp();
        for (int s = 0; s < mean.length; s++) {
            assertEquals(lr.seqMean()[s], mean[s], 5e-5 + 2e-5 * Math.abs(lr.seqMean()[s]), "mean of sequence " + s);
            assertEquals(lr.seqTokens()[s], r.seqTokens()[s], "tokens of sequence " + s);
        }
        float[] pl = r.pairLoss();
        for (int p = 0; p < pl.length; p++) {
            assertEquals(lr.pairLoss()[p], pl[p], 1e-4 + 2e-5 * Math.abs(lr.pairLoss()[p]), "loss of pair " + p);
            assertEquals(lr.rewardChosen()[p], r.rewardChosen()[p], 1e-4 + 2e-5 * Math.abs(lr.rewardChosen()[p]), "chosen reward " + p);
            assertEquals(lr.epsilon()[p], r.pairEpsilon()[p], 1e-7, "epsilon of pair " + p);
        }
        double hRel = pb.dtype == DType.F32 ? 1e-4 : pb.dtype == DType.BF16 ? 8e-3 : 1.1e-3;
        // G rounded into bf16/f16 on a GPU: each product term carries up to half an ulp of that type
        boolean narrowG = choice != BackendChoice.CPU && pb.dtype != DType.F32;
        double gAbs = !narrowG ? 2e-5 : pb.dtype == DType.BF16 ? 8e-3 : 1.1e-3;
        double gRel = !narrowG ? 1e-4 : 2 * hRel;
        float[] gh = gH instanceof float[] f ? f : widen((short[]) gH, pb.dtype);
        assertGrad("grad_hidden", ref.gradHidden(), gh, narrowG ? gAbs : 2e-5, narrowG ? gRel : hRel);
        assertGrad("grad_weight", ref.gradWeight(), gW, gAbs, gRel);
        if (gB != null) {
            assertGrad("grad_bias", ref.gradBias(), gB, gAbs, gRel);
        }
        for (int t = 0; t < pb.rows; t++) {
            if (pb.targets[t] == cfg.ignoreIndex()) {
                for (int j = 0; j < pb.d; j++) {
                    assertEquals(0.0, gh[t * pb.d + j], 0.0, "masked row " + t + " must have zero grad_hidden");
                }
            }
        }
        return r;
    }

    static int[] lens(int n, int min, int max, long seed) {
        Random r = new Random(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = min + r.nextInt(max - min + 1);
        }
        return a;
    }

    static Stream<Arguments> layouts() {
        return Stream.of(
                // name, d, V, chosen, rejected, options (null = defaults), bias
                Arguments.of("defaults, one chunk, bias", 16, 123, new int[] {9, 4, 13}, new int[] {7, 11, 3}, null, true),
                Arguments.of("defaults, no bias", 24, 1000, lens(10, 1, 20, 1), lens(10, 1, 20, 2), null, false),
                Arguments.of("single pass, tile 37 divides neither V nor T", 8, 301, new int[] {5, 8}, new int[] {6, 4},
                        new LinearOptions(64, 37, 1L << 30), true),
                Arguments.of("two passes, pair split across chunks of 7 rows, tile 50", 12, 257, new int[] {23, 5}, new int[] {9, 17},
                        new LinearOptions(7, 50, 0), true),
                Arguments.of("two passes, no bias, tile larger than V", 12, 64, new int[] {15}, new int[] {11},
                        new LinearOptions(4, 1000, 0), false),
                Arguments.of("many pairs in one chunk", 8, 97, lens(40, 1, 4, 3), lens(40, 1, 4, 4), new LinearOptions(1000, 33, 1L << 30),
                        true),
                Arguments.of("chunks of whole pairs, some pairs too long", 8, 150, new int[] {3, 30, 2, 4}, new int[] {2, 3, 40, 1},
                        new LinearOptions(12, 64, 1L << 30), true),
                Arguments.of("single row tile", 4, 5, new int[] {3}, new int[] {2}, new LinearOptions(1, 1, 0), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void f32AgainstOracle(String name, int d, int vocab, int[] chosen, int[] rejected, LinearOptions opts, boolean bias) {
        Problem pb = new Problem(name.hashCode(), d, vocab, chosen, rejected, DType.F32, bias, 0.2);
        check(pb, LossConfig.leanpo(), OracleConfig.leanpo(), opts);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void bf16AgainstOracle(String name, int d, int vocab, int[] chosen, int[] rejected, LinearOptions opts, boolean bias) {
        Problem pb = new Problem(name.hashCode() + 1, d, vocab, chosen, rejected, DType.BF16, bias, 0.2);
        check(pb, LossConfig.leanpo(), OracleConfig.leanpo(), opts);
    }

    @Test
    void f16AndEveryObjective() {
        f16EveryObjective(BackendChoice.CPU);
    }

    /** f16 inputs under LeanPO with NLL, SimPO, cDPO and SFT, two passes and one, on the given backend. */
    static void f16EveryObjective(BackendChoice on) {
        OracleConfig o = OracleConfig.leanpo();
        Problem pb = new Problem(5, 16, 211, lens(6, 2, 9, 5), lens(6, 2, 9, 6), DType.F16, true, 0.2);
        check(pb, LossConfig.leanpo().withNllWeight(0.5), o.withNllWeight(0.5), new LinearOptions(5, 40, 0), on);
        check(pb, LossConfig.simpo(), o.withObjective(OracleObjective.SIMPO).withGamma(0.5).withSmoothing(OracleSmoothing.NONE, 0), null,
                on);
        check(pb, LossConfig.dpo().withSmoothing(Smoothing.fixed(0.1)),
                o.withObjective(OracleObjective.DPO).withBeta(0.1).withSmoothing(OracleSmoothing.FIXED, 0.1), null, on);
        check(pb, LossConfig.sft(), o.withObjective(OracleObjective.SFT).withBeta(1.0).withSmoothing(OracleSmoothing.NONE, 0),
                new LinearOptions(3, 17, 0), on);
    }

    /** Gradient buffers that already hold something, as after an earlier micro-batch: {grad_weight, grad_bias}. */
    static float[][] earlierGradients(Problem pb) {
        float[] gW = new float[pb.vocab * pb.d];
        float[] gB = new float[pb.vocab];
        for (int i = 0; i < gW.length; i++) {
            gW[i] = (float) Math.sin(i);
        }
        for (int i = 0; i < gB.length; i++) {
            gB[i] = (float) Math.cos(i);
        }
        return new float[][] {gW, gB};
    }

    /** grad_weight and grad_bias hold what they held before ({@code before}) plus this batch's gradients. */
    static void assertAccumulated(OracleLinearResult ref, float[][] before, float[] gW, float[] gB) {
        double[] wantW = ref.gradWeight().clone();
        for (int i = 0; i < wantW.length; i++) {
            wantW[i] += before[0][i];
        }
        double[] wantB = ref.gradBias().clone();
        for (int i = 0; i < wantB.length; i++) {
            wantB[i] += before[1][i];
        }
        assertGrad("accumulated grad_weight", wantW, gW, 1e-6, 1e-5);
        assertGrad("accumulated grad_bias", wantB, gB, 1e-6, 1e-5);
    }

    @Test
    void accumulatesIntoExistingBuffers() {
        Problem pb = new Problem(6, 8, 77, new int[] {4, 6}, new int[] {5, 3}, DType.F32, true, 0.1);
        float[][] before = earlierGradients(pb);
        float[] gW = before[0].clone();
        float[] gB = before[1].clone();
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CPU, 0, new LinearOptions(4, 20, 0))) {
            loss.forwardBackward(pb.batch(), new LinearGrads(null, HostTensor.of(gW), HostTensor.of(gB), true));
        }
        assertAccumulated(pb.oracle(OracleConfig.leanpo()), before, gW, gB);
    }

    @Test
    void bf16WeightGradientStoredInBf16() {
        Problem pb = new Problem(7, 8, 90, new int[] {4}, new int[] {5}, DType.BF16, false, 0.0);
        OracleLinearResult ref = pb.oracle(OracleConfig.leanpo());
        short[] gW = new short[pb.vocab * pb.d];
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            loss.forwardBackward(pb.batch(), new LinearGrads(null, HostTensor.bf16(gW), null, false));
        }
        assertGrad("bf16 grad_weight", ref.gradWeight(), widen(gW, DType.BF16), 2e-5, 8e-3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
                loss.forwardBackward(pb.batch(), new LinearGrads(null, HostTensor.bf16(gW), null, true));
            }
        });
        assertTrue(e.getMessage().contains("must be f32 to accumulate"), e.getMessage());
    }

    /** Central differences of the engine's own fp32 loss through the whole fused path. */
    @Test
    void finiteDifferencesThroughTheFusedPath() {
        Problem pb = new Problem(8, 6, 11, new int[] {3, 2}, new int[] {2, 4}, DType.F32, true, 0.0);
        LossConfig cfg = LossConfig.leanpo().withSmoothing(Smoothing.fixed(0.1)).withNllWeight(0.3);
        LinearOptions opts = new LinearOptions(3, 4, 0); // two passes, tiles and chunks split everything
        float[] gH = new float[pb.rows * pb.d];
        float[] gW = new float[pb.vocab * pb.d];
        float[] gB = new float[pb.vocab];
        try (LeanPoLoss loss = LeanPoLoss.create(cfg, BackendChoice.CPU, 0, opts)) {
            loss.forwardBackward(pb.batch(), new LinearGrads(HostTensor.of(gH), HostTensor.of(gW), HostTensor.of(gB), false));
            Random r = new Random(1);
            for (int k = 0; k < 40; k++) {
                int which = k % 3;
                float[] x = which == 0 ? pb.h32 : which == 1 ? pb.w32 : pb.b32;
                float[] g = which == 0 ? gH : which == 1 ? gW : gB;
                int i = r.nextInt(x.length);
                float keep = x[i];
                float step = 1e-2f;
                x[i] = keep + step;
                double up = loss.forward(pb.batch()).loss();
                x[i] = keep - step;
                double down = loss.forward(pb.batch()).loss();
                x[i] = keep;
                double fd = (up - down) / (2 * step);
                assertEquals(fd, g[i], 2e-4 + 2e-2 * Math.abs(fd), (which == 0 ? "hidden" : which == 1 ? "weight" : "bias") + "[" + i + "]");
            }
        }
    }

    @Test
    void nonFiniteWeightNamesRow() {
        Problem pb = new Problem(9, 4, 20, new int[] {3}, new int[] {2}, DType.F32, false, 0.0);
        pb.h32[3 * pb.d + 1] = Float.NaN; // row 3: rejected response of pair 0
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
                loss.forward(pb.batch());
            }
        });
        assertTrue(e.getMessage().contains("row 3") && e.getMessage().contains("rejected"), e.getMessage());
    }

    @Test
    void shapeErrorsNameWhatIsWrong() {
        Problem pb = new Problem(10, 4, 20, new int[] {3}, new int[] {2}, DType.F32, true, 0.0);
        LinearBatch shortWeight = LinearBatch.of(HostTensor.of(pb.h32), HostTensor.of(new float[19 * 4]), null, 4, 20,
                HostTensor.of(pb.targets), BatchLayout.fromOffsets(pb.offsets));
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.forward(shortWeight));
            assertTrue(e.getMessage().contains("weight holds 76 elements"), e.getMessage());
            LinearBatch noBias = LinearBatch.of(HostTensor.of(pb.h32), HostTensor.of(pb.w32), null, 4, 20, HostTensor.of(pb.targets),
                    BatchLayout.fromOffsets(pb.offsets));
            e = assertThrows(IllegalArgumentException.class,
                    () -> loss.forwardBackward(noBias, new LinearGrads(null, null, HostTensor.of(new float[20]), false)));
            assertTrue(e.getMessage().contains("no bias"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> loss.forwardBackward(pb.batch(), new LinearGrads(HostTensor.bf16(new short[20]), null, null, false)));
            assertTrue(e.getMessage().contains("grad_hidden must have"), e.getMessage());
        }
    }
}
