package io.github.leanpo.engine;

import io.github.leanpo.nativelib.RawPointer;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Orchestrates the fused-linear loss head on any {@link Backend}: x = h·Wᵀ + b, the loss on x, and
 * dH = G·W, dW = Gᵀ·H, db = Σ_t G_t with G = dL/dx, without ever holding a [T, V] buffer.
 *
 * <p>Rows are taken in chunks of whole pairs (at most {@code chunkRows} rows). A chunk whose full
 * logits rows fit {@code singlePassBytes} runs in one pass: its logits are computed once (vocabulary
 * tile by tile), the loss and G are formed in place, and the two backward products follow
 * (6·T·d·V flops). A pair longer than a chunk is split into sub-chunks and runs two passes: pass 1
 * merges each row's log-sum-exp online across vocabulary tiles, pass 2 recomputes every tile and
 * forms its share of the three gradients (8·T·d·V flops). Either way the extra memory is set by
 * chunkRows, vocabTile and V, never by T.
 *
 * <p>Products accumulate in fp32. Where the backend multiplies bf16/f16 directly (cuBLAS on the tensor
 * cores) and hidden states and weight share that type, they go to the products as they are, and G is
 * rounded once into that type for the two backward products (as autograd in that type does);
 * otherwise (the CPU's sgemm) hidden states and weight are widened to fp32 per chunk and per tile and
 * G stays fp32.
 */
public final class LinearEngine {
    private static final String HINT = "check the hidden states and the LM-head weight (and bias)";

    private final Backend backend;
    private final LinearOptions options;

    /** @param options chunk and tile sizes, or null for the backend's defaults per call */
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
        BatchLayout layout = in.layout();
        try (Kernels k = backend.open(in.stream())) {
            Validation.Checked checked = Validation.linearBatch(k, in, f, ignoreIndex, g);
            double n = PairState.normalizer(normalizer, layout.pairs());
            LinearOptions o = options != null ? options : backend.linearDefaults(in.vocab());
            Call c = new Call(k, in, g, o, new PairState(k, checked, layout, in.vocab(), ignoreIndex), ignoreIndex);
            List<int[]> groups = c.groups();
            c.allocateTile(groups);
            for (int[] grp : groups) {
                int p0 = grp[0];
                int p1 = grp[1];
                long r0 = layout.offset(2 * p0);
                long r1 = layout.offset(2 * p1);
                Runnable finish = () -> c.st.finishPairs(f, n, ignoreIndex, p0, p1, c.wantGrad);
                if (grp[2] == 1) {
                    c.singlePass(r0, r1, finish);
                } else {
                    c.twoPass(r0, r1, finish);
                }
            }
            c.narrowAccumulators();
            EngineResult r = c.st.result(n, in.vocab(), ignoreIndex, HINT);
            c.copyBack();
            return r;
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(g);
        }
    }

    /** A raw pointer {@code bytes} past p's current element. */
    private static Pointer plus(Pointer p, long bytes) {
        return RawPointer.ofAddress(RawPointer.exact(p).address() + bytes, 0);
    }

    /** The state of one call: inputs where the kernels can reach them, scratch buffers and gradient accumulators. */
    private final class Call {
        final Kernels k;
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
        final Tensor hidden;
        final Tensor weight;
        /** The type the products take: the inputs' own when the backend multiplies it directly, else f32. */
        final DType opType;
        final int opBytes;
        final FloatPointer bias32;
        final Tensor gHidden;
        final Tensor gWeight;
        final Tensor gBias;
        final FloatPointer dW32;
        final FloatPointer dB32;
        final FloatPointer hiddenScratch;
        final FloatPointer weightScratch;
        final FloatPointer dHiddenScratch;
        final FloatPointer runMax;
        final FloatPointer runSum;
        final FloatPointer tgtLogit;
        FloatPointer tile;
        /** G rounded into opType for the backward products, when opType is not f32. */
        Pointer gNarrow;

        Call(Kernels k, LinearInput in, LinearGrads grads, LinearOptions o, PairState st, long ignoreIndex) {
            this.k = k;
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
            hidden = k.addressable(in.hidden(), true);
            weight = k.addressable(in.weight(), true);
            DType t = hidden.dtype();
            opType = t == weight.dtype() && k.gemmTakes(t) ? t : DType.F32;
            opBytes = opType.byteSize();
            bias32 = in.bias() == null ? null : widenAll(k.addressable(in.bias(), true), vocab);
            gHidden = grads.hidden() != null ? k.addressable(grads.hidden(), false) : null;
            gWeight = grads.weight() == null ? null : k.addressable(grads.weight(), grads.accumulate());
            gBias = grads.bias() == null ? null : k.addressable(grads.bias(), grads.accumulate());
            dW32 = accumulator(gWeight, vocab * d, grads.accumulate());
            dB32 = accumulator(gBias, vocab, grads.accumulate());
            hiddenScratch = hidden.dtype() == opType ? null : k.floats((long) chunkRows * d);
            weightScratch = weight.dtype() == opType ? null : k.floats((long) vocabTile * d);
            dHiddenScratch = gHidden != null && gHidden.dtype() != DType.F32 ? k.floats((long) chunkRows * d) : null;
            runMax = k.floats(chunkRows);
            runSum = k.floats(chunkRows);
            tgtLogit = k.floats(st.rows);
        }

        /** One logits buffer for the whole call, sized for the largest group (and its narrow copy of G). */
        void allocateTile(List<int[]> groups) {
            long floats = 0;
            for (int[] g : groups) {
                long rows = st.layout.offset(2 * g[1]) - st.layout.offset(2 * g[0]);
                floats = Math.max(floats, g[2] == 1 ? rows * vocab : (long) chunkRows * vocabTile);
            }
            tile = k.floats(floats);
            gNarrow = wantGrad && opType != DType.F32 ? k.bytes(floats * opBytes) : null;
        }

        private FloatPointer widenAll(Tensor t, long count) {
            if (t.dtype() == DType.F32) {
                return k.f32At(t, 0);
            }
            FloatPointer p = k.floats(count);
            k.convert(k.at(t, 0), t.dtype(), p, DType.F32, count);
            return p;
        }

        /** fp32 accumulator of an output: the output itself when it is f32, else zeroed scratch. */
        private FloatPointer accumulator(Tensor out, long count, boolean accumulate) {
            if (out == null) {
                return null;
            }
            if (out.dtype() == DType.F32) {
                if (!accumulate) {
                    k.zero(k.at(out, 0), count * 4);
                }
                return k.f32At(out, 0);
            }
            FloatPointer p = k.floats(count);
            k.zero(p, count * 4);
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

        /** Hidden rows [a, b) in opType. */
        Pointer hiddenRows(long a, long b) {
            if (hiddenScratch == null) {
                return k.at(hidden, a * d);
            }
            k.convert(k.at(hidden, a * d), hidden.dtype(), hiddenScratch, DType.F32, (b - a) * d);
            return hiddenScratch;
        }

        /** Weight rows [v0, v1) in opType. */
        Pointer weightRows(long v0, long v1) {
            if (weightScratch == null) {
                return k.at(weight, v0 * d);
            }
            k.convert(k.at(weight, v0 * d), weight.dtype(), weightScratch, DType.F32, (v1 - v0) * d);
            return weightScratch;
        }

        void resetRunning(long a, long b) {
            k.fill(runMax, Float.NEGATIVE_INFINITY, b - a);
            k.zero(runSum, (b - a) * 4);
        }

        /** Logits of rows [a, b) for columns [v0, v1) into x (row stride ld). */
        void logitsTile(Pointer h, long rows, long v0, long v1, FloatPointer x, long ld) {
            k.gemm(false, true, rows, v1 - v0, d, h, d, weightRows(v0, v1), d, opType, 0f, x, ld);
        }

        void merge(FloatPointer x, long a, long b, long cols, long ld, long v0) {
            long bad = k.tileLseMerge(x, b - a, cols, ld, v0, bias32, PairState.at(st.targets, a), ignoreIndex, runMax, runSum,
                    PairState.at(tgtLogit, a), a);
            if (bad >= 0) {
                throw st.nonFinite(bad, HINT);
            }
        }

        /** G of rows [a, b) over a tile x with row stride ld: in place, and rounded into gNarrow when the products want it. */
        void gradTile(FloatPointer x, long a, long b, long cols, long ld, long v0) {
            k.tileGrad(x, b - a, cols, ld, v0, bias32, PairState.at(st.targets, a), ignoreIndex, PairState.at(st.lse, a),
                    PairState.at(st.weight, a), gNarrow, opType, ld);
        }

        /** G's column v0 (relative to a tile whose column 0 is tile column 0) in the type the products take. */
        Pointer gAt(FloatPointer x, long col) {
            return gNarrow != null ? plus(gNarrow, col * opBytes) : PairState.at(x, col);
        }

        /** The three backward products of one gradient tile G [rows × (v1−v0)] with row stride ld. */
        void backwardTile(Pointer gTile, long a, long b, long v0, long v1, long ld, Pointer h, Pointer w, boolean firstTile) {
            long rows = b - a;
            long cols = v1 - v0;
            if (gHidden != null) {
                FloatPointer dh = dHiddenScratch != null ? dHiddenScratch : k.f32At(gHidden, a * d);
                k.gemm(false, false, rows, d, cols, gTile, ld, w, d, opType, firstTile ? 0f : 1f, dh, d);
            }
            if (dW32 != null) {
                k.gemm(true, false, cols, d, rows, gTile, ld, h, d, opType, 1f, PairState.at(dW32, v0 * d), d);
            }
            if (dB32 != null) {
                k.columnSumAdd(gTile, opType, rows, cols, ld, PairState.at(dB32, v0));
            }
        }

        void storeHiddenGrad(long a, long b) {
            if (dHiddenScratch != null) {
                k.convert(dHiddenScratch, DType.F32, k.at(gHidden, a * d), gHidden.dtype(), (b - a) * d);
            }
        }

        /** Rows [r0, r1) hold whole pairs and their full logits rows fit: compute them once. */
        void singlePass(long r0, long r1, Runnable finishPairs) {
            long rows = r1 - r0;
            FloatPointer x = tile;
            Pointer h = hiddenRows(r0, r1);
            for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                long v1 = Math.min(vocab, v0 + vocabTile);
                logitsTile(h, rows, v0, v1, PairState.at(x, v0), vocab);
            }
            resetRunning(r0, r1);
            merge(x, r0, r1, vocab, vocab, 0);
            k.lseFinish(runMax, runSum, PairState.at(tgtLogit, r0), PairState.at(st.targets, r0), ignoreIndex, rows,
                    PairState.at(st.lse, r0), PairState.at(st.logp, r0));
            finishPairs.run();
            if (!wantGrad) {
                return;
            }
            gradTile(x, r0, r1, vocab, vocab, 0);
            for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                long v1 = Math.min(vocab, v0 + vocabTile);
                Pointer w = gHidden != null || dW32 != null ? weightRows(v0, v1) : null;
                backwardTile(gAt(x, v0), r0, r1, v0, v1, vocab, h, w, v0 == 0);
            }
            storeHiddenGrad(r0, r1);
        }

        /** Rows [r0, r1) in sub-chunks: pass 1 merges lse over vocabulary tiles, pass 2 recomputes tiles for the gradients. */
        void twoPass(long r0, long r1, Runnable finishPairs) {
            FloatPointer x = tile;
            for (long a = r0; a < r1; a += chunkRows) {
                long b = Math.min(r1, a + chunkRows);
                Pointer h = hiddenRows(a, b);
                resetRunning(a, b);
                for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                    long v1 = Math.min(vocab, v0 + vocabTile);
                    logitsTile(h, b - a, v0, v1, x, vocabTile);
                    merge(x, a, b, v1 - v0, vocabTile, v0);
                }
                k.lseFinish(runMax, runSum, PairState.at(tgtLogit, a), PairState.at(st.targets, a), ignoreIndex, b - a,
                        PairState.at(st.lse, a), PairState.at(st.logp, a));
            }
            finishPairs.run();
            if (!wantGrad) {
                return;
            }
            for (long a = r0; a < r1; a += chunkRows) {
                long b = Math.min(r1, a + chunkRows);
                Pointer h = hiddenRows(a, b);
                for (long v0 = 0; v0 < vocab; v0 += vocabTile) {
                    long v1 = Math.min(vocab, v0 + vocabTile);
                    Pointer w = weightRows(v0, v1);
                    k.gemm(false, true, b - a, v1 - v0, d, h, d, w, d, opType, 0f, x, vocabTile);
                    gradTile(x, a, b, v1 - v0, vocabTile, v0);
                    backwardTile(gAt(x, 0), a, b, v0, v1, vocabTile, h, w, v0 == 0);
                }
                storeHiddenGrad(a, b);
            }
        }

        /** Narrows fp32 accumulators into non-f32 outputs. */
        void narrowAccumulators() {
            if (gWeight != null && gWeight.dtype() != DType.F32) {
                k.convert(dW32, DType.F32, k.at(gWeight, 0), gWeight.dtype(), vocab * d);
            }
            if (gBias != null && gBias.dtype() != DType.F32) {
                k.convert(dB32, DType.F32, k.at(gBias, 0), gBias.dtype(), vocab);
            }
        }

        /** Staged outputs back into the caller's tensors (Java arrays; host memory when the call ran on a GPU). */
        void copyBack() {
            if (gHidden != null) {
                k.copyBack(grads.hidden(), gHidden);
            }
            if (gWeight != null) {
                k.copyBack(grads.weight(), gWeight);
            }
            if (gBias != null) {
                k.copyBack(grads.bias(), gBias);
            }
        }
    }
}
