package io.github.leanpo.engine;

import java.util.Arrays;
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
    /** seqSum | seqMean | pairLoss | rewardChosen | rewardRejected | pairEpsilon, the views below. */
    final FloatPointer results;
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
        // the outputs the result reads lie in one block, so a GPU call copies them back in one piece
        results = k.floats(2L * seqs + 4L * pairs);
        seqSum = at(results, 0);
        seqMean = at(results, seqs);
        pairLoss = at(results, 2L * seqs);
        rewardChosen = at(results, 2L * seqs + pairs);
        rewardRejected = at(results, 2L * seqs + 2L * pairs);
        pairEpsilon = at(results, 2L * seqs + 3L * pairs);
        seqTokens = k.longs(seqs);
        seqCoef = k.floats(seqs);
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
        float[] all = k.download(results, 2 * seqs + 4 * pairs);
        float[] pl = Arrays.copyOfRange(all, 2 * seqs, 2 * seqs + pairs);
        double total = 0;
        for (int p = 0; p < pl.length; p++) {
            if (!Float.isFinite(pl[p])) {
                throw new IllegalArgumentException("pair " + p + " has a non-finite loss (" + pl[p] + "): its log-probabilities or "
                        + "reference sums are out of range (logits near the float limit overflow the log-sum-exp); " + hint);
            }
            total += pl[p];
        }
        int r = 2 * seqs + pairs;
        return new EngineResult(total / normalizer, normalizer, Arrays.copyOfRange(all, seqs, 2 * seqs), Arrays.copyOfRange(all, 0, seqs),
                k.download(seqTokens, seqs), pl, Arrays.copyOfRange(all, r, r + pairs), Arrays.copyOfRange(all, r + pairs, r + 2 * pairs),
                Arrays.copyOfRange(all, r + 2 * pairs, r + 3 * pairs));
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
