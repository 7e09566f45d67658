package io.github.leanpo.engine;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Orchestrates the fused-linear loss head: x = h·Wᵀ + b, the loss on x, and dH = G·W, dW = Gᵀ·H,
 * db = Σ_t G_t with G = dL/dx, without ever holding a [T, V] buffer.
 *
 * <p>Rows are taken in chunks of whole pairs (at most {@code chunkRows} rows). A chunk whose full
 * logits rows fit {@code singlePassBytes} runs in one pass: its logits are computed once (vocabulary
 * tile by tile), the loss and G are formed in place, and the two backward products follow
 * (6·T·d·V flops). A pair longer than a chunk is split into sub-chunks and runs two passes: pass 1
 * merges each row's log-sum-exp online across vocabulary tiles, pass 2 recomputes every tile and
 * forms its share of the three gradients (8·T·d·V flops). Either way the extra memory is set by
 * chunkRows, vocabTile and V, never by T.
 *
 * <p>bf16/f16 hidden states and weights are widened to fp32 per chunk and per tile; all products
 * accumulate in fp32 (OpenBLAS sgemm on the CPU).
 */
public final class LinearEngine {
    private final Backend backend;
    private final LinearOptions options;

    /** @param options chunk and tile sizes, or null for {@link LinearOptions#defaults(long)} per call */
    public LinearEngine(Backend backend, LinearOptions options) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must be given");
        }
        this.backend = backend;
        this.options = options;
    }

    /**
     * Forward, and backward into whichever of {@code grads} are given.
     *
     * @throws IllegalArgumentException for invalid input, naming the offending index, before any native call;
     *                                  or for a non-finite logit, naming the first such row
     */
    public EngineResult run(LinearInput in, PairFunction f, long ignoreIndex, double normalizer, LinearGrads grads) {
        LinearGrads g = grads != null ? grads : LinearGrads.none();
        Validation.Checked checked = Validation.linearBatch(in, f, ignoreIndex, g);
        long[] targets = checked.targets();
        BatchLayout layout = in.layout();
        double n = PairState.normalizer(normalizer, layout.pairs());
        float[] ref = checked.refSum();
        LinearOptions o = options != null ? options : LinearOptions.defaults(in.vocab());
        try (PointerScope scope = new PointerScope()) {
            Call c = new Call(in, g, o, new PairState(targets, layout, ref), ignoreIndex);
            List<int[]> groups = c.groups();
            c.allocateTile(groups);
            for (int[] grp : groups) {
                int p0 = grp[0];
                int p1 = grp[1];
                long r0 = layout.offset(2 * p0);
                long r1 = layout.offset(2 * p1);
                if (grp[2] == 1) {
                    c.singlePass(r0, r1, () -> c.st.finishPairs(backend, f, n, ignoreIndex, p0, p1, c.wantGrad));
                } else {
                    c.twoPass(r0, r1, () -> c.st.finishPairs(backend, f, n, ignoreIndex, p0, p1, c.wantGrad));
                }
            }
            c.finish();
            return c.st.result(n);
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(g);
        }
    }

    /** The state of one call: inputs as native fp32-capable views, scratch buffers and gradient accumulators. */
    private final class Call {
        final LinearInput in;
        final LinearGrads grads;
        final PairState st;
        final long ignoreIndex;
        final long d;
        final long vocab;
        final int chunkRows;
        final int vocabTile;
        final long singlePassBytes;
        final boolean wantGrad;
        final HostTensor hidden;
        final HostTensor weight;
        final FloatPointer bias32;
        final HostTensor gHidden;
        final HostTensor gWeight;
        final HostTensor gBias;
        final FloatPointer dW32;
        final FloatPointer dB32;
        final FloatPointer hiddenScratch;
        final FloatPointer weightScratch;
        final FloatPointer dHiddenScratch;
        final FloatPointer ones;
        final float[] negInf;
        final FloatPointer runMax;
        final FloatPointer runSum;
        final FloatPointer tgtLogit;
        FloatPointer tile;

        Call(LinearInput in, LinearGrads grads, LinearOptions o, PairState st, long ignoreIndex) {
            this.in = in;
            this.grads = grads;
            this.st = st;
            this.ignoreIndex = ignoreIndex;
            this.d = in.hiddenSize();
            this.vocab = in.vocab();
            this.chunkRows = (int) Math.min(o.chunkRows(), st.rows);
            this.vocabTile = (int) Math.min(o.vocabTile(), vocab);
            this.singlePassBytes = o.singlePassBytes();
            this.wantGrad = grads.hidden() != null || grads.weight() != null || grads.bias() != null;
            hidden = in.hidden().nativeView();
            weight = in.weight().nativeView();
            if (in.bias() == null) {
                bias32 = null;
            } else {
                HostTensor b = in.bias().nativeView();
                bias32 = widenAll(b, vocab);
            }
            gHidden = grads.hidden() != null ? grads.hidden().nativeStaging() : null;
            gWeight = grads.weight() == null ? null : grads.accumulate() ? grads.weight().nativeView() : grads.weight().nativeStaging();
            gBias = grads.bias() == null ? null : grads.accumulate() ? grads.bias().nativeView() : grads.bias().nativeStaging();
            dW32 = accumulator(gWeight, vocab * d, grads.accumulate());
            dB32 = accumulator(gBias, vocab, grads.accumulate());
            hiddenScratch = hidden.dtype() == DType.F32 ? null : new FloatPointer((long) chunkRows * d);
            weightScratch = weight.dtype() == DType.F32 ? null : new FloatPointer((long) vocabTile * d);
            dHiddenScratch = gHidden != null && gHidden.dtype() != DType.F32 ? new FloatPointer((long) chunkRows * d) : null;
            ones = new FloatPointer(chunkRows);
            float[] one = new float[chunkRows];
            Arrays.fill(one, 1f);
            ones.put(one);
            negInf = new float[chunkRows];
            Arrays.fill(negInf, Float.NEGATIVE_INFINITY);
            runMax = new FloatPointer(chunkRows);
            runSum = new FloatPointer(chunkRows);
            tgtLogit = new FloatPointer(st.rows);
        }

        /** One logits buffer for the whole call, sized for the largest group. */
        void allocateTile(List<int[]> groups) {
            long floats = 0;
            for (int[] g : groups) {
                long rows = st.layout.offset(2 * g[1]) - st.layout.offset(2 * g[0]);
                floats = Math.max(floats, g[2] == 1 ? rows * vocab : (long) chunkRows * vocabTile);
            }
            tile = new FloatPointer(floats);
        }

        private FloatPointer widenAll(HostTensor t, long count) {
            if (t.dtype() == DType.F32) {
                return t.f32At(0);
            }
            FloatPointer p = new FloatPointer(count);
            backend.convert(t.at(0), t.dtype(), p, DType.F32, count);
            return p;
        }

        /** fp32 accumulator of an output: the output itself when it is f32, else zeroed scratch. */
        private FloatPointer accumulator(HostTensor out, long count, boolean accumulate) {
            if (out == null) {
                return null;
            }
            if (out.dtype() == DType.F32) {
                if (!accumulate) {
                    Pointer.memset(out.at(0), 0, count * 4);
                }
                return out.f32At(0);
            }
            FloatPointer p = new FloatPointer(count);
            Pointer.memset(p, 0, count * 4);
            return p;
        }

        /** Groups of consecutive whole pairs: {p0, p1, singlePass ? 1 : 0}. */
        List<int[]> groups() {
            List<int[]> out = new ArrayList<>();
            BatchLayout layout = st.layout;
            int pairs = layout.pairs();
            int p = 0;
            while (p < pairs) {
                int p0 = p;
                long begin = layout.offset(2 * p);
                p++;
                while (p < pairs && layout.offset(2 * p + 2) - begin <= chunkRows) {
                    p++;
                }
                long rows = layout.offset(2 * p) - begin;
                boolean single = rows <= chunkRows && rows * vocab * 4 <= singlePassBytes;
                out.add(new int[] {p0, p, single ? 1 : 0});
            }
            return out;
        }

        /** Hidden rows [a, b) as fp32. */
        FloatPointer hiddenRows(long a, long b) {
            if (hiddenScratch == null) {
                return hidden.f32At(a * d);
            }
            backend.convert(hidden.at(a * d), hidden.dtype(), hiddenScratch, DType.F32, (b - a) * d);
            return hiddenScratch;
        }

        /** Weight rows [v0, v1) as fp32. */
        FloatPointer weightRows(long v0, long v1) {
            if (weightScratch == null) {
                return weight.f32At(v0 * d);
            }
            backend.convert(weight.at(v0 * d), weight.dtype(), weightScratch, DType.F32, (v1 - v0) * d);
            return weightScratch;
        }

        void resetRunning(long a, long b) {
            runMax.position(0).put(negInf, 0, (int) (b - a));
            Pointer.memset(runSum, 0, (b - a) * 4);
        }

        /** Logits of rows [a, b) for columns [v0, v1) into x (row stride ld). */
        void logitsTile(FloatPointer h, long rows, long v0, long v1, FloatPointer x, long ld) {
            backend.gemm(false, true, rows, v1 - v0, d, 1f, h, d, weightRows(v0, v1), d, 0f, x, ld);
        }

        void merge(FloatPointer x, long a, long b, long cols, long ld, long v0) {
            long bad = backend.tileLseMerge(x, b - a, cols, ld, v0, bias32, PairState.at(st.targets, a), ignoreIndex, runMax, runSum,
                    PairState.at(tgtLogit, a));
            if (bad >= 0) {
                throw st.nonFinite(a + bad, "check the hidden states and the LM-head weight (and bias)");
            }
        }

        /** The three backward products of one gradient tile G [rows × (v1−v0)] with row stride ld. */
        void backwardTile(FloatPointer gTile, long a, long b, long v0, long v1, long ld, FloatPointer h, FloatPointer w,
                          boolean firstTile) {
            long rows = b - a;
            long cols = v1 - v0;
            if (gHidden != null) {
                FloatPointer dh = dHiddenScratch != null ? dHiddenScratch : gHidden.f32At(a * d);
                backend.gemm(false, false, rows, d, cols, 1f, gTile, ld, w, d, firstTile ? 0f : 1f, dh, d);
            }
            if (dW32 != null) {
                backend.gemm(true, false, cols, d, rows, 1f, gTile, ld, h, d, 1f, PairState.at(dW32, v0 * d), d);
            }
            if (dB32 != null) {
                backend.columnSumAdd(gTile, rows, cols, ld, ones, PairState.at(dB32, v0));
            }
        }

        void storeHiddenGrad(long a, long b) {
            if (dHiddenScratch != null) {
                backend.convert(dHiddenScratch, DType.F32, gHidden.at(a * d), gHidden.dtype(), (b - a) * d);
            }
        }

        /** Rows [r0, r1) hold whole pairs and their full logits rows fit: compute them once. */
        void singlePass(long r0, long r1, Runnable finishPairs) {
            long rows = r1 - r0;
            FloatPointer x = tile;
            FloatPointer h = hiddenRows(r0, r1);
            for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                long v1 = Math.min(vocab, v0 + vocabTile);
                logitsTile(h, rows, v0, v1, PairState.at(x, v0), vocab);
            }
            resetRunning(r0, r1);
            merge(x, r0, r1, vocab, vocab, 0);
            backend.lseFinish(runMax, runSum, PairState.at(tgtLogit, r0), PairState.at(st.targets, r0), ignoreIndex, rows,
                    PairState.at(st.lse, r0), PairState.at(st.logp, r0));
            finishPairs.run();
            if (!wantGrad) {
                return;
            }
            backend.tileGrad(x, rows, vocab, vocab, 0, bias32, PairState.at(st.targets, r0), ignoreIndex, PairState.at(st.lse, r0),
                    PairState.at(st.weight, r0));
            for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                long v1 = Math.min(vocab, v0 + vocabTile);
                FloatPointer w = gHidden != null || dW32 != null ? weightRows(v0, v1) : null;
                backwardTile(PairState.at(x, v0), r0, r1, v0, v1, vocab, h, w, v0 == 0);
            }
            storeHiddenGrad(r0, r1);
        }

        /** Rows [r0, r1) in sub-chunks: pass 1 merges lse over vocabulary tiles, pass 2 recomputes tiles for the gradients. */
        void twoPass(long r0, long r1, Runnable finishPairs) {
            FloatPointer x = tile;
            for (long a = r0; a < r1; a += chunkRows) {
                long b = Math.min(r1, a + chunkRows);
                FloatPointer h = hiddenRows(a, b);
                resetRunning(a, b);
                for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                    long v1 = Math.min(vocab, v0 + vocabTile);
                    logitsTile(h, b - a, v0, v1, x, vocabTile);
                    merge(x, a, b, v1 - v0, vocabTile, v0);
                }
                backend.lseFinish(runMax, runSum, PairState.at(tgtLogit, a), PairState.at(st.targets, a), ignoreIndex, b - a,
                        PairState.at(st.lse, a), PairState.at(st.logp, a));
            }
            finishPairs.run();
            if (!wantGrad) {
                return;
            }
            for (long a = r0; a < r1; a += chunkRows) {
                long b = Math.min(r1, a + chunkRows);
                FloatPointer h = hiddenRows(a, b);
                for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                    long v1 = Math.min(vocab, v0 + vocabTile);
                    FloatPointer w = weightRows(v0, v1);
                    backend.gemm(false, true, b - a, v1 - v0, d, 1f, h, d, w, d, 0f, x, vocabTile);
                    backend.tileGrad(x, b - a, v1 - v0, vocabTile, v0, bias32, PairState.at(st.targets, a), ignoreIndex,
                            PairState.at(st.lse, a), PairState.at(st.weight, a));
                    backwardTile(x, a, b, v0, v1, vocabTile, h, w, v0 == 0);
                }
                storeHiddenGrad(a, b);
            }
        }

        /** Narrows fp32 accumulators into non-f32 outputs and copies staged outputs back into Java arrays. */
        void finish() {
            if (gWeight != null && gWeight.dtype() != DType.F32) {
                backend.convert(dW32, DType.F32, gWeight.at(0), gWeight.dtype(), vocab * d);
            }
            if (gBias != null && gBias.dtype() != DType.F32) {
                backend.convert(dB32, DType.F32, gBias.at(0), gBias.dtype(), vocab);
            }
            if (gHidden != null) {
                grads.hidden().copyBackTo(gHidden);
            }
            if (gWeight != null) {
                grads.weight().copyBackTo(gWeight);
            }
            if (gBias != null) {
                grads.bias().copyBackTo(gBias);
            }
        }
    }
}
