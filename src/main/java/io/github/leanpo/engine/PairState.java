package io.github.leanpo.engine;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The O(T + P) state both orchestrators share: per-row targets, lse, log-prob and gradient weight;
 * per-sequence sums, means, counts and coefficients; per-pair losses, rewards and ε. Allocated in
 * the caller's PointerScope, so it is freed when the call ends.
 */
final class PairState {
    final BatchLayout layout;
    final int rows;
    final int seqs;
    final int pairs;
    final LongPointer targets;
    final LongPointer offsets;
    final FloatPointer lse;
    final FloatPointer logp;
    final FloatPointer weight;
    final FloatPointer seqSum;
    final FloatPointer seqMean;
    final LongPointer seqTokens;
    final FloatPointer seqCoef;
    final FloatPointer pairLoss;
    final FloatPointer rewardChosen;
    final FloatPointer rewardRejected;
    final FloatPointer pairEpsilon;
    final FloatPointer refSum;

    PairState(long[] targetValues, BatchLayout layout, float[] ref) {
        this.layout = layout;
        this.rows = targetValues.length;
        this.seqs = layout.sequences();
        this.pairs = layout.pairs();
        targets = new LongPointer(targetValues);
        offsets = new LongPointer(layout.offsets());
        lse = new FloatPointer(rows);
        logp = new FloatPointer(rows);
        weight = new FloatPointer(rows);
        seqSum = new FloatPointer(seqs);
        seqMean = new FloatPointer(seqs);
        seqTokens = new LongPointer(seqs);
        seqCoef = new FloatPointer(seqs);
        pairLoss = new FloatPointer(pairs);
        rewardChosen = new FloatPointer(pairs);
        rewardRejected = new FloatPointer(pairs);
        pairEpsilon = new FloatPointer(pairs);
        refSum = ref != null ? new FloatPointer(ref) : null;
    }

    /** Sequence means, pair losses and (when {@code rowWeights}) per-row gradient weights for pairs [p0, p1). */
    void finishPairs(Backend backend, PairFunction f, double normalizer, long ignoreIndex, int p0, int p1, boolean rowWeights) {
        backend.seqReduce(logp, targets, ignoreIndex, offsets, 2L * p0, 2L * p1, seqSum, seqMean, seqTokens);
        backend.pairLoss(f, normalizer, seqMean, seqSum, seqTokens, refSum, p0, p1, pairLoss, rewardChosen, rewardRejected,
                pairEpsilon, seqCoef);
        if (rowWeights) {
            backend.rowWeights(offsets, seqCoef, targets, ignoreIndex, 2L * p0, 2L * p1, weight);
        }
    }

    EngineResult result(double normalizer) {
        float[] pl = get(pairLoss, pairs);
        double total = 0;
        for (float v : pl) {
            total += v;
        }
        long[] tok = new long[seqs];
        seqTokens.get(tok);
        return new EngineResult(total / normalizer, normalizer, get(seqMean, seqs), get(seqSum, seqs), tok, pl,
                get(rewardChosen, pairs), get(rewardRejected, pairs), get(pairEpsilon, pairs));
    }

    /** The error for a non-finite logit in row {@code row}, naming its pair and side. */
    IllegalArgumentException nonFinite(long row, String hint) {
        int seq = layout.sequenceOfRow(row);
        return new IllegalArgumentException("logits row " + row + " (pair " + (seq / 2) + ", " + (seq % 2 == 0 ? "chosen" : "rejected")
                + " response) holds a non-finite value (NaN or infinity); " + hint);
    }

    static double normalizer(double requested, int pairs) {
        double n = requested > 0 ? requested : pairs;
        if (!Double.isFinite(n)) {
            throw new IllegalArgumentException("normalizer must be finite, got " + requested);
        }
        return n;
    }

    /** A view of {@code p} starting at element {@code i} (the original keeps its position). */
    static FloatPointer at(FloatPointer p, long i) {
        return p == null ? null : new FloatPointer(p).position(p.position() + i);
    }

    static LongPointer at(LongPointer p, long i) {
        return new LongPointer(p).position(p.position() + i);
    }

    private static float[] get(FloatPointer p, int n) {
        float[] out = new float[n];
        p.get(out);
        return out;
    }
}
