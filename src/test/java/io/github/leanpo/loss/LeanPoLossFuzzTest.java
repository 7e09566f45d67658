package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.engine.LinearOptions;
import io.github.leanpo.oracle.Oracle;
import io.github.leanpo.oracle.OracleConfig;
import io.github.leanpo.oracle.OracleObjective;
import io.github.leanpo.oracle.OracleResult;
import io.github.leanpo.oracle.OracleSmoothing;
import io.github.leanpo.testing.Fuzzing;
import io.github.leanpo.testing.Half;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

/**
 * The public loss API on whatever a caller might hand it: random T, V and d, pair layouts (empty responses, raw
 * offsets that go backwards or have the wrong count), target ids in and out of range and the ignore index, NaN and
 * infinite logits, buffers one element short, every dtype, Java arrays, direct buffers and JavaCPP pointers, in place
 * or not, configurations out of range, and the fused-linear head with random chunk and tile sizes.
 *
 * <p>Every input must end in a {@link LossResult} or an {@link IllegalArgumentException} / {@link IllegalStateException}
 * with a message, before any native code reads out of bounds (the JVM must not crash). A result must also be right:
 * finite when the inputs are, never produced from non-finite logits, zero gradient on ignored rows, and for f32
 * inputs the loss agrees with the fp64 oracle. Shapes stay tiny so the fuzzer runs thousands of inputs a second.
 */
@Timeout(Fuzzing.TIMEOUT_S)
class LeanPoLossFuzzTest {
    private static final DType[] FLOATING = {DType.F32, DType.BF16, DType.F16};
    /** Logit scales: ordinary, large, and near the f32 limit (finite logits whose log-softmax can overflow). */
    private static final float[] SCALES = {1f, 30f, 1e4f, 3e38f};
    private static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 65504f, -3.4e38f};

    @AfterAll
    static void noScopeLeftOpen() {
        assertEquals(null, PointerScope.getInnerScope(), "every per-input PointerScope was closed");
    }

    /**
     * Runs one input in its own {@link PointerScope} (native copies made for it are freed with it). A refusal, by the
     * API or the engine, must say why; the result checks throw {@link AssertionError}, which goes to the fuzzer.
     */
    private static void oneInput(Runnable body) {
        try (PointerScope scope = new PointerScope()) {
            body.run();
        } catch (IllegalArgumentException | IllegalStateException e) {
            Fuzzing.assertClear(e);
        }
    }

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    void logitsBatch(FuzzedDataProvider data) {
        oneInput(() -> {
            LossConfig cfg = config(data);
            long vocab = data.consumeInt(-1, 40);
            BatchLayout layout = layout(data);
            if (cfg == null || layout == null) {
                return;
            }
            DType dtype = data.pickValue(FLOATING);
            int v = (int) Math.max(vocab, 0);
            int elems = size(layout.rows(), v, data.consumeInt(-2, 1));
            float[] x = values(data, elems);
            long[] targets = targets(data, size(layout.rows(), 1, data.consumeInt(-1, 1)), v, cfg.ignoreIndex());
            HostTensor logits = tensor(data, x, dtype);
            HostTensor tv = indexTensor(data, targets);
            String grad = data.pickValue(new String[] {"none", "separate", "in place", "short", "other dtype"});
            HostTensor g = switch (grad) {
                case "none" -> null;
                case "in place" -> logits;
                case "short" -> tensor(data, new float[size(layout.rows(), v, -1)], dtype);
                case "other dtype" -> tensor(data, new float[elems], dtype == DType.F32 ? DType.BF16 : DType.F32);
                default -> tensor(data, new float[x.length], dtype);
            };
            LogitsBatch batch = LogitsBatch.of(logits, vocab, tv, layout);
            HostTensor refSum = refSum(data, layout.sequences());
            if (refSum != null) {
                batch = batch.withRefSum(refSum);
            }
            LossResult r;
            try (LeanPoLoss loss = LeanPoLoss.create(cfg, BackendChoice.CPU, 0)) {
                r = g == null ? loss.forward(batch) : loss.forwardBackward(batch, g);
            }
            float[] read = dtype == DType.F32 ? x : rounded(x, dtype);
            checkResult(r, cfg, layout, targets, read, v);
            if (g != null) {
                checkIgnoredRowsHaveZeroGradient(g, dtype, layout, targets, v, cfg.ignoreIndex());
            }
            if (dtype == DType.F32 && moderate(x, cfg) && (refSum == null || cfg.objective() == Objective.DPO)) {
                agreesWithOracle(r, cfg, layout, targets, x, v, refSum);
            }
        });
    }

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    void linearBatch(FuzzedDataProvider data) {
        oneInput(() -> {
            LossConfig cfg = config(data);
            int d = data.consumeInt(0, 6);
            int vocab = data.consumeInt(0, 24);
            BatchLayout layout = layout(data);
            LinearOptions opts;
            try {
                opts = new LinearOptions(data.consumeInt(0, 9), data.consumeInt(0, 9), data.pickValue(new long[] {0, 64, 1 << 20}));
            } catch (IllegalArgumentException e) {
                Fuzzing.assertClear(e);
                return;
            }
            if (cfg == null || layout == null) {
                return;
            }
            long rows = layout.rows();
            DType ht = data.pickValue(FLOATING);
            DType wt = data.consumeBoolean() ? ht : data.pickValue(FLOATING);
            float[] h = values(data, size(rows, d, data.consumeInt(-1, 1)));
            float[] w = values(data, size(vocab, d, data.consumeInt(-1, 1)));
            long[] targets = targets(data, size(rows, 1, data.consumeInt(-1, 1)), vocab, cfg.ignoreIndex());
            int biasKind = data.consumeInt(0, 3);
            float[] bv = values(data, biasKind == 2 ? Math.max(0, vocab - 1) : vocab);
            HostTensor bias = switch (biasKind) {
                case 0 -> tensor(data, bv, DType.F32);
                case 1, 2 -> tensor(data, bv, wt);
                default -> null;
            };
            boolean accumulate = data.consumeBoolean();
            DType gw = data.consumeBoolean() ? DType.F32 : wt;
            LinearGrads grads = switch (data.consumeInt(0, 3)) {
                case 0 -> LinearGrads.none();
                case 1 -> new LinearGrads(tensor(data, new float[size(rows, d, 0)], ht), null, null, false);
                case 2 -> new LinearGrads(tensor(data, new float[size(rows, d, -data.consumeInt(0, 1))], ht),
                        tensor(data, new float[vocab * d], gw), bias == null ? null : tensor(data, new float[vocab], gw), accumulate);
                default -> new LinearGrads(null, tensor(data, new float[vocab * d], data.pickValue(FLOATING)), null, accumulate);
            };
            LinearBatch batch = LinearBatch.of(tensor(data, h, ht), tensor(data, w, wt), bias, d, vocab, indexTensor(data, targets), layout);
            HostTensor refSum = refSum(data, layout.sequences());
            if (refSum != null) {
                batch = batch.withRefSum(refSum);
            }
            LossResult r;
            try (LeanPoLoss loss = LeanPoLoss.create(cfg, BackendChoice.CPU, 0, opts)) {
                r = loss.forwardBackward(batch, grads);
            }
            assertEquals(layout.pairs(), r.pairs());
            // |logit| <= d·30·30 + 30: finite in every dtype (f32 logits near 3e38 may overflow log-softmax to -inf)
            if (finiteParams(cfg) && finite(h) && finite(w) && bounded(h, 30) && bounded(w, 30)
                    && (bias == null || finite(bv) && bounded(bv, 30))) {
                assertTrue(Double.isFinite(r.loss()), () -> "finite inputs gave loss " + r.loss());
            }
        });
    }

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    void hfBatch(FuzzedDataProvider data) {
        oneInput(() -> {
            LossConfig cfg = config(data);
            int b = data.consumeInt(0, 4);
            int len = data.consumeInt(0, 6);
            int width = data.consumeInt(0, 12);
            boolean hidden = data.consumeBoolean();
            int pairs = data.consumeInt(0, 3);
            int[] chosen = new int[pairs];
            int[] rejected = new int[pairs];
            for (int p = 0; p < pairs; p++) {
                chosen[p] = data.consumeInt(-1, b);
                rejected[p] = data.consumeInt(-1, b);
            }
            int vocab = hidden ? data.consumeInt(1, 10) : width;
            long[] labels = targets(data, size(b, len, data.consumeInt(-1, 1)), vocab, cfg == null ? -100 : cfg.ignoreIndex());
            DType dtype = data.pickValue(FLOATING);
            float[] x = values(data, size((long) b * len, width, data.consumeInt(-1, 1)));
            if (cfg == null) {
                return;
            }
            HostTensor input = tensor(data, x, dtype);
            try (LeanPoLoss loss = LeanPoLoss.create(cfg, BackendChoice.CPU, 0);
                 HfBatch hb = hidden
                         ? HfBatch.ofHidden(input, b, len, width, indexTensor(data, labels), new PairMapping(chosen, rejected), cfg)
                         : HfBatch.ofLogits(input, b, len, width, indexTensor(data, labels), new PairMapping(chosen, rejected), cfg)) {
                io.github.leanpo.engine.Tensor compact = hb.newCompactGrad();
                LossResult r;
                if (hidden) {
                    HostTensor weight = tensor(data, values(data, vocab * width), dtype);
                    r = loss.forwardBackward(hb.linear(weight, null, vocab), new LinearGrads(compact, null, null, false));
                } else {
                    r = loss.forwardBackward(hb.logits(), compact);
                }
                assertEquals(pairs, r.pairs());
                assertTrue(hb.rows() <= (long) b * len, "compaction keeps at most the batch's rows");
                hb.scatterGrad(compact, tensor(data, new float[b * len * width], dtype));
            }
        });
    }

    // ------------------------------------------------------------------ input generation

    /** A configuration, sometimes out of range (then null after checking the refusal is clear). */
    private static LossConfig config(FuzzedDataProvider data) {
        Objective obj = data.pickValue(Objective.values());
        double[] any = {Double.NaN, Double.POSITIVE_INFINITY, -1.0, 0.0, 0.5, 2.0, 10.0, 1e30};
        try {
            LossConfig cfg = LossConfig.defaults(obj);
            if (data.consumeBoolean()) {
                cfg = cfg.withBeta(data.pickValue(any)).withGamma(data.pickValue(any)).withNllWeight(data.pickValue(any))
                        .withNormalizer(data.pickValue(any));
            }
            switch (data.consumeInt(0, 3)) {
                case 0 -> cfg = cfg.withSmoothing(Smoothing.none());
                case 1 -> cfg = cfg.withSmoothing(Smoothing.fixed(data.pickValue(new double[] {0, 0.1, 0.99, 1, -0.1, Double.NaN})));
                case 2 -> cfg = cfg.withSmoothing(Smoothing.dynamic(data.pickValue(new double[] {0, 0.2, 0.5, 1, Double.NaN})));
                default -> { }
            }
            return cfg.withIgnoreIndex(data.pickValue(new long[] {-100, -1, 0, 3, Long.MIN_VALUE}));
        } catch (IllegalArgumentException e) {
            Fuzzing.assertClear(e);
            return null;
        }
    }

    /** A pair layout built pair by pair or from raw (possibly bad) offsets; null when refused (clearly). */
    private static BatchLayout layout(FuzzedDataProvider data) {
        try {
            if (data.consumeBoolean()) {
                long[] offsets = new long[data.consumeInt(0, 7)];
                for (int i = 0; i < offsets.length; i++) {
                    offsets[i] = data.consumeBoolean() ? data.consumeLong() : data.consumeLong(-1, 12);
                }
                return BatchLayout.fromOffsets(offsets);
            }
            BatchLayout.Builder b = BatchLayout.builder();
            int pairs = data.consumeInt(0, 3);
            for (int p = 0; p < pairs; p++) {
                boolean huge = data.consumeInt(0, 31) == 0; // row counts that overflow T
                b.addPair(huge ? data.consumeLong() : data.consumeInt(-1, 4), huge ? data.consumeLong() : data.consumeInt(-1, 4));
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            Fuzzing.assertClear(e);
            return null;
        }
    }

    /**
     * a·b + delta elements, at least 0 and at most 4096: raw offsets can claim a huge T, and then the engine must
     * refuse the buffers as too short rather than the test allocate them.
     */
    private static int size(long a, long b, int delta) {
        long n = a > 0 && b > 0 && a > 4096 / b ? 4096 : a * b + delta;
        return (int) Math.max(0, Math.min(4096, n));
    }

    /** n values at a random scale with a few specials (NaN, ±inf, the f16 limit) planted where the fuzzer says. */
    private static float[] values(FuzzedDataProvider data, int n) {
        float[] x = new float[n];
        Random rnd = new Random(data.consumeLong());
        float scale = data.pickValue(new Float[] {SCALES[0], SCALES[1], SCALES[2], SCALES[3]});
        for (int i = 0; i < x.length; i++) {
            x[i] = (rnd.nextFloat() * 2 - 1) * scale;
        }
        int specials = data.consumeInt(0, 2);
        for (int k = 0; k < specials && x.length > 0; k++) {
            x[data.consumeInt(0, x.length - 1)] = SPECIALS[data.consumeInt(0, SPECIALS.length - 1)];
        }
        return x;
    }

    /** Targets: mostly valid ids, some ignored, some out of range; the array may be one short or one long. */
    private static long[] targets(FuzzedDataProvider data, int n, int vocab, long ignore) {
        long[] t = new long[n];
        for (int i = 0; i < t.length; i++) {
            t[i] = switch (data.consumeInt(0, 7)) {
                case 0 -> ignore;
                case 1 -> data.consumeLong(-200, vocab + 2L);
                case 2 -> data.pickValue(new long[] {Long.MIN_VALUE, Integer.MAX_VALUE + 1L, -1, vocab});
                default -> vocab > 0 ? data.consumeInt(0, vocab - 1) : 0;
            };
        }
        return t;
    }

    private static HostTensor refSum(FuzzedDataProvider data, int sequences) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> null;
            case 1 -> HostTensor.of(values(data, sequences));
            case 2 -> HostTensor.of(new float[Math.max(0, sequences - 1)]);
            default -> HostTensor.of(new long[sequences]); // wrong dtype
        };
    }

    /** The values in the given dtype as a Java array, a direct buffer or a JavaCPP pointer (in the caller's scope). */
    private static HostTensor tensor(FuzzedDataProvider data, float[] x, DType dtype) {
        int kind = data.consumeInt(0, 2);
        if (kind == 0) {
            if (dtype == DType.F32) {
                return HostTensor.of(x.clone());
            }
            return HostTensor.of(bits(x, dtype), dtype);
        }
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(1, x.length * dtype.byteSize())).order(ByteOrder.nativeOrder());
        if (dtype == DType.F32) {
            b.asFloatBuffer().put(x);
        } else {
            b.asShortBuffer().put(bits(x, dtype));
        }
        b.limit(x.length * dtype.byteSize());
        if (kind == 1) {
            return HostTensor.of(b, dtype);
        }
        if (x.length == 0) {
            return HostTensor.of(new float[0]);
        }
        BytePointer p = new BytePointer(b);
        // A pointer that knows its size but is said to hold one element more: native code must never read it.
        long claimed = data.consumeInt(0, 15) == 0 ? x.length + 1 : x.length;
        return HostTensor.of(p, dtype, claimed);
    }

    /** i64 or i32 targets; for i32, {@code t} is narrowed in place to what the engine will read. */
    private static HostTensor indexTensor(FuzzedDataProvider data, long[] t) {
        if (data.consumeBoolean()) {
            return HostTensor.of(t.clone());
        }
        int[] i = new int[t.length];
        for (int k = 0; k < t.length; k++) {
            i[k] = (int) t[k];
            t[k] = i[k];
        }
        return HostTensor.of(i);
    }

    private static short[] bits(float[] x, DType dtype) {
        short[] s = new short[x.length];
        for (int i = 0; i < x.length; i++) {
            s[i] = dtype == DType.BF16 ? Half.toBf16(x[i]) : Half.toF16(x[i]);
        }
        return s;
    }

    /** What the engine reads from 16-bit logits: the values rounded to the dtype and widened back. */
    private static float[] rounded(float[] x, DType dtype) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = dtype == DType.BF16 ? Half.bf16ToFloat(Half.toBf16(x[i])) : Half.f16ToFloat(Half.toF16(x[i]));
        }
        return r;
    }

    // ------------------------------------------------------------------ checks on results

    /** A result never comes from non-finite logits in a scored row, and is finite when everything it read was moderate. */
    private static void checkResult(LossResult r, LossConfig cfg, BatchLayout layout, long[] targets, float[] x, int vocab) {
        assertEquals(layout.pairs(), r.pairs());
        boolean moderate = finiteParams(cfg);
        for (int row = 0; row < layout.rows(); row++) {
            boolean scored = targets[row] != cfg.ignoreIndex() && scoredSequence(cfg, layout, row);
            for (int c = 0; c < vocab; c++) {
                float v = x[row * vocab + c];
                if (scored && !Float.isFinite(v)) {
                    throw new AssertionError("a loss came back although row " + row + " holds " + v);
                }
                moderate &= !scored || Math.abs(v) <= 1e4f;
            }
        }
        if (moderate) {
            assertTrue(Double.isFinite(r.loss()), () -> "moderate finite logits gave loss " + r.loss());
        }
    }

    /** SFT reads only the chosen responses. */
    private static boolean scoredSequence(LossConfig cfg, BatchLayout layout, int row) {
        return cfg.objective() != Objective.SFT || layout.sequenceOfRow(row) % 2 == 0;
    }

    private static void checkIgnoredRowsHaveZeroGradient(HostTensor g, DType dtype, BatchLayout layout, long[] targets, int vocab,
                                                         long ignore) {
        if (!g.isArray()) {
            return; // native outputs are checked through arrays; the other kinds share the same kernels
        }
        for (int row = 0; row < layout.rows(); row++) {
            if (targets[row] != ignore) {
                continue;
            }
            for (int c = 0; c < vocab; c++) {
                double v = element(g, dtype, row * vocab + c);
                if (v != 0) {
                    throw new AssertionError("ignored row " + row + " has gradient " + v + " at column " + c);
                }
            }
        }
    }

    private static double element(HostTensor g, DType dtype, int i) {
        Object a = g.nativeArgument();
        if (a instanceof float[] f) {
            return f[i];
        }
        short s = ((short[]) a)[i];
        return dtype == DType.BF16 ? Half.bf16ToFloat(s) : Half.f16ToFloat(s);
    }

    private static void agreesWithOracle(LossResult r, LossConfig cfg, BatchLayout layout, long[] targets, float[] x, int vocab,
                                         HostTensor refSum) {
        int rows = (int) layout.rows();
        double[] logits = new double[rows * vocab];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = x[i];
        }
        double[] ref = null;
        if (refSum != null) {
            float[] f = refSum.readFloats(layout.sequences());
            ref = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                ref[i] = f[i];
            }
        }
        long[] t = java.util.Arrays.copyOf(targets, rows);
        OracleResult o;
        try {
            o = Oracle.compute(logits, rows, vocab, t, layout.offsets(), ref, new OracleConfig(
                    OracleObjective.valueOf(cfg.objective().name()), cfg.beta(), cfg.gamma(),
                    OracleSmoothing.valueOf(cfg.smoothing().mode().name()), cfg.smoothing().epsilon(), cfg.nllWeight(),
                    cfg.ignoreIndex(), cfg.normalizer()));
        } catch (IllegalArgumentException e) {
            throw new AssertionError("the engine accepted an input the oracle refuses: " + e.getMessage(), e);
        }
        for (int p = 0; p < layout.pairs(); p++) {
            if (Math.abs(o.seqMean()[2 * p] - o.seqMean()[2 * p + 1]) < 1e-3) {
                return; // dynamic smoothing switches at equal means; fp32 and fp64 may land on either side
            }
        }
        double err = Math.abs(r.loss() - o.loss());
        assertTrue(err <= 1e-3 + 1e-3 * Math.abs(o.loss()), () -> "loss " + r.loss() + ", oracle " + o.loss());
    }

    private static boolean moderate(float[] x, LossConfig cfg) {
        return finite(x) && bounded(x, 100) && finiteParams(cfg) && Math.abs(cfg.beta()) <= 10 && Math.abs(cfg.gamma()) <= 10
                && cfg.nllWeight() <= 10;
    }

    private static boolean finiteParams(LossConfig cfg) {
        return Math.abs(cfg.beta()) <= 10 && Math.abs(cfg.gamma()) <= 10 && Math.abs(cfg.nllWeight()) <= 10;
    }

    private static boolean finite(float[] x) {
        for (float v : x) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static boolean bounded(float[] x, float limit) {
        for (float v : x) {
            if (Math.abs(v) > limit) {
                return false;
            }
        }
        return true;
    }
}
