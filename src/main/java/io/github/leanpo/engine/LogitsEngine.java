package io.github.leanpo.engine;

import java.lang.ref.Reference;

/**
 * Orchestrates the logits-in loss head on any {@link Backend}: validates the whole input in Java,
 * then walks the batch in chunks of whole pairs. Per chunk: pass 1 (row log-sum-exp and target
 * log-prob), sequence reduction, pair losses and per-row weights, then pass 2 (the weighted row
 * gradient). On the CPU a chunk is sized so its logits stay in the last-level cache between the two
 * passes; on a GPU the whole batch is one chunk, every step is a kernel on the caller's stream, and
 * the host waits once, at the end, for the results.
 *
 * <p>When the gradient is written in place over the logits, pass 1 runs over every chunk before any
 * gradient is written, so a non-finite row found late never leaves the caller's logits half
 * overwritten (on a GPU, pass 2 reads the error status on the device and writes nothing).
 *
 * <p>Temporary memory is O(T + P) floats, freed when the call returns. Thread-safe if the backend is.
 */
public final class LogitsEngine {
    private static final String HINT = "check the model's forward pass or lower the learning rate";

    private final Backend backend;
    private final long chunkBytes;

    /**
     * @param backend    borrowed; closing the engine is the caller's business, not ours
     * @param chunkBytes target logits bytes per chunk (a chunk always holds at least one pair); {@code <= 0} takes the
     *                   backend's choice
     */
    public LogitsEngine(Backend backend, long chunkBytes) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must be given");
        }
        this.backend = backend;
        this.chunkBytes = chunkBytes > 0 ? chunkBytes : backend.logitsChunkBytes();
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
    public EngineResult run(LogitsInput in, PairFunction f, long ignoreIndex, double normalizer, Tensor grad) {
        BatchLayout layout = in.layout();
        try (Kernels k = backend.open(in.stream())) {
            Validation.Checked checked = Validation.logitsBatch(k, in, f, ignoreIndex, grad);
            double n = PairState.normalizer(normalizer, layout.pairs());
            boolean inPlace = grad != null && grad.sameStorage(in.logits());
            int[] chunkStarts = chunkPairs(layout, in.vocab() * in.logits().dtype().byteSize());
            PairState st = new PairState(k, checked, layout, in.vocab(), ignoreIndex);
            Tensor x = k.rowOperand(in.logits(), true);
            Tensor g = grad == null ? null : inPlace ? x : k.rowOperand(grad, false);
            if (inPlace) {
                for (int c = 0; c + 1 < chunkStarts.length; c++) {
                    pass1(k, x, in.vocab(), st, chunkStarts[c], chunkStarts[c + 1], ignoreIndex);
                }
            }
            for (int c = 0; c + 1 < chunkStarts.length; c++) {
                int p0 = chunkStarts[c];
                int p1 = chunkStarts[c + 1];
                if (!inPlace) {
                    pass1(k, x, in.vocab(), st, p0, p1, ignoreIndex);
                }
                st.finishPairs(f, n, ignoreIndex, p0, p1, g != null);
                if (g != null) {
                    k.rowGrad(x, in.vocab(), layout.offset(2 * p0), layout.offset(2 * p1), st.targets, ignoreIndex, st.lse, st.weight, g);
                }
            }
            EngineResult r = st.result(n, in.vocab(), ignoreIndex, HINT);
            if (g != null) {
                k.copyBack(grad, g);
            }
            return r;
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(grad);
        }
    }

    private static void pass1(Kernels k, Tensor x, long vocab, PairState st, int p0, int p1, long ignoreIndex) {
        long r0 = st.layout.offset(2 * p0);
        long r1 = st.layout.offset(2 * p1);
        long bad = k.rowLseTarget(x, vocab, r0, r1, st.targets, ignoreIndex, st.lse, st.logp);
        if (bad >= 0) {
            throw st.nonFinite(bad, HINT);
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
