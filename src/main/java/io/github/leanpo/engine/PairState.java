package io.github.leanpo.engine;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The O(T + P) state both orchestrators share: per-row targets, lse, log-prob and gradient weight;
 * per-sequence sums, means, counts and coefficients; per-pair losses, rewards and ε. It lives in the
 * call's {@link Kernels} memory (host or device), so it is freed when the call ends.
 */
final class PairState {
    final Kernels k;
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

    /** Targets and ref sums as validation handed them over: host arrays, or (on a GPU) device tensors checked there. */
    PairState(Kernels k, Validation.Checked checked, BatchLayout layout, long vocab, long ignoreIndex) {
        this.k = k;
        this.layout = layout;
        this.rows = (int) layout.rows();
        this.seqs = layout.sequences();
        this.pairs = layout.pairs();
        targets = checked.targets() != null ? k.upload(checked.targets())
                : k.deviceTargets(checked.deviceTargets(), rows, vocab, ignoreIndex);
        offsets = k.upload(layout.offsets());
        lse = k.floats(rows);
        logp = k.floats(rows);
        weight = k.floats(rows);
        seqSum = k.floats(seqs);
        seqMean = k.floats(seqs);
        seqTokens = k.longs(seqs);
        seqCoef = k.floats(seqs);
        pairLoss = k.floats(pairs);
        rewardChosen = k.floats(pairs);
        rewardRejected = k.floats(pairs);
        pairEpsilon = k.floats(pairs);
        if (checked.refSum() != null) {
            refSum = k.upload(checked.refSum());
        } else if (checked.deviceRefSum() != null) {
            Tensor r = k.rowOperand(checked.deviceRefSum(), true);
            refSum = k.f32At(r, 0);
        } else {
            refSum = null;
        }
    }

    /** Sequence means, pair losses and (when {@code rowWeights}) per-row gradient weights for pairs [p0, p1). */
    void finishPairs(PairFunction f, double normalizer, long ignoreIndex, int p0, int p1, boolean rowWeights) {
        k.seqReduce(logp, targets, ignoreIndex, offsets, 2L * p0, 2L * p1, seqSum, seqMean, seqTokens);
        k.pairLoss(f, normalizer, seqMean, seqSum, seqTokens, refSum, p0, p1, pairLoss, rewardChosen, rewardRejected, pairEpsilon,
                seqCoef);
        if (rowWeights) {
            k.rowWeights(offsets, seqCoef, targets, ignoreIndex, 2L * p0, 2L * p1, weight);
        }
    }

    /**
     * Waits for the call's work, turns errors found on the device into the exceptions the CPU raises at once, and reads
     * the results.
     *
     * @param hint what to check when a row holds a non-finite value
     */
    EngineResult result(double normalizer, long vocab, long ignoreIndex, String hint) {
        DeviceErrors e = k.finish();
        if (e.badTargetRow() >= 0) {
            long y = k.download(PairState.at(targets, e.badTargetRow()), 1)[0];
            throw Validation.badTarget(e.badTargetRow(), y, vocab, ignoreIndex);
        }
        if (e.emptySequence() >= 0) {
            int s = (int) e.emptySequence();
            throw Validation.emptyResponse(s / 2, s % 2, layout.offset(s), layout.offset(s + 1), ignoreIndex);
        }
        if (e.nonFiniteRow() >= 0) {
            throw nonFinite(e.nonFiniteRow(), hint);
        }
        float[] pl = k.download(pairLoss, pairs);
        double total = 0;
        for (int p = 0; p < pl.length; p++) {
            if (!Float.isFinite(pl[p])) {
                throw new IllegalArgumentException("pair " + p + " has a non-finite loss (" + pl[p] + "): its log-probabilities or "
                        + "reference sums are out of range (logits near the float limit overflow the log-sum-exp); " + hint);
            }
            total += pl[p];
        }
        return new EngineResult(total / normalizer, normalizer, k.download(seqMean, seqs), k.download(seqSum, seqs),
                k.download(seqTokens, seqs), pl, k.download(rewardChosen, pairs), k.download(rewardRejected, pairs),
                k.download(pairEpsilon, pairs));
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
}
