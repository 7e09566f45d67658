package io.github.leanpo.engine;

import java.lang.ref.Reference;
import org.bytedeco.javacpp.PointerScope;

/**
 * Orchestrates the logits-in loss head on any {@link Backend}: validates the whole input in Java,
 * then walks the batch in chunks of whole pairs. Per chunk: pass 1 (row log-sum-exp and target
 * log-prob), sequence reduction, pair losses and per-row weights, then pass 2 (the weighted row
 * gradient). A chunk is sized so its logits stay in the last-level cache between the two passes.
 *
 * <p>When the gradient is written in place over the logits, pass 1 runs over every chunk before any
 * gradient is written, so a non-finite row found late never leaves the caller's logits half
 * overwritten.
 *
 * <p>Temporary memory is O(T + P) floats, freed when the call returns. Thread-safe if the backend is.
 */
public final class LogitsEngine {
    /** Default chunk: 24 MiB of logits, a little under a 32 MiB L3. */
    public static final long DEFAULT_CHUNK_BYTES = 24L << 20;

    private final Backend backend;
    private final long chunkBytes;

    /**
     * @param backend    borrowed; closing the engine is the caller's business, not ours
     * @param chunkBytes target logits bytes per chunk (a chunk always holds at least one pair)
     */
    public LogitsEngine(Backend backend, long chunkBytes) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must be given");
        }
        if (chunkBytes <= 0) {
            throw new IllegalArgumentException("chunk size must be positive, got " + chunkBytes);
        }
        this.backend = backend;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Forward (and backward when {@code grad} is given) over one batch.
     *
     * @param f           the pair function
     * @param ignoreIndex target value of rows that take no part
     * @param normalizer  N in Loss = Σ L / N; {@code <= 0} means P
     * @param grad        borrowed output [T, V] in the logits' dtype, or null for forward only; may be the
     *                    logits themselves (in place)
     * @throws IllegalArgumentException for invalid input, naming the offending index, before any native call;
     *                                  or for a non-finite logit, naming the first such row
     */
    public EngineResult run(LogitsInput in, PairFunction f, long ignoreIndex, double normalizer, HostTensor grad) {
        BatchLayout layout = in.layout();
        Validation.Checked checked = Validation.logitsBatch(in, f, ignoreIndex, grad);
        long[] targets = checked.targets();
        double n = PairState.normalizer(normalizer, layout.pairs());
        float[] ref = checked.refSum();
        boolean inPlace = grad != null && grad.sameStorage(in.logits());
        int[] chunkStarts = chunkPairs(layout, in.vocab() * in.logits().dtype().byteSize());

        try (PointerScope scope = new PointerScope()) {
            PairState st = new PairState(targets, layout, ref);
            if (inPlace) {
                for (int c = 0; c + 1 < chunkStarts.length; c++) {
                    pass1(in, st, chunkStarts[c], chunkStarts[c + 1], ignoreIndex);
                }
            }
            for (int c = 0; c + 1 < chunkStarts.length; c++) {
                int p0 = chunkStarts[c];
                int p1 = chunkStarts[c + 1];
                if (!inPlace) {
                    pass1(in, st, p0, p1, ignoreIndex);
                }
                st.finishPairs(backend, f, n, ignoreIndex, p0, p1, grad != null);
                if (grad != null) {
                    backend.rowGrad(in.logits(), in.vocab(), layout.offset(2 * p0), layout.offset(2 * p1), st.targets, ignoreIndex,
                            st.lse, st.weight, grad);
                }
            }
            return st.result(n);
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(grad);
        }
    }

    private void pass1(LogitsInput in, PairState st, int p0, int p1, long ignoreIndex) {
        long r0 = st.layout.offset(2 * p0);
        long r1 = st.layout.offset(2 * p1);
        long bad = backend.rowLseTarget(in.logits(), in.vocab(), r0, r1, st.targets, ignoreIndex, st.lse, st.logp);
        if (bad >= 0) {
            throw st.nonFinite(bad, "check the model's forward pass or lower the learning rate");
        }
    }

    /** Chunk boundaries in pairs: consecutive whole pairs whose logits fit the chunk budget. */
    int[] chunkPairs(BatchLayout layout, long rowBytes) {
        int pairs = layout.pairs();
        int[] starts = new int[pairs + 1];
        int count = 0;
        int p = 0;
        while (p < pairs) {
            starts[count++] = p;
            long begin = layout.offset(2 * p);
            p++;
            while (p < pairs && (layout.offset(2 * p + 2) - begin) * rowBytes <= chunkBytes) {
                p++;
            }
        }
        starts[count++] = pairs;
        return java.util.Arrays.copyOf(starts, count);
    }
}
