package io.github.leanpo.engine;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The primitives a compute backend offers the orchestrator ({@link LogitsEngine}). Per-row and
 * per-sequence arrays are native memory the orchestrator allocates; the large operands are
 * {@link HostTensor}s the caller owns. Implementations do no validation beyond their own invariants:
 * the orchestrator has validated everything before it calls.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    /** Pass 1 over rows [rowBegin, rowEnd): log-sum-exp and target log-prob. Returns the first non-finite row or -1. */
    long rowLseTarget(HostTensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex,
                      FloatPointer lse, FloatPointer logp);

    /** Pass 2 over rows [rowBegin, rowEnd): grad = w · (onehot(y) − softmax), in the logits' dtype. */
    void rowGrad(HostTensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex,
                 FloatPointer lse, FloatPointer rowWeight, HostTensor grad);

    /** Sequence sums, means and token counts for sequences [seqBegin, seqEnd). */
    void seqReduce(FloatPointer logp, LongPointer targets, long ignoreIndex, LongPointer offsets, long seqBegin, long seqEnd,
                   FloatPointer seqSum, FloatPointer seqMean, LongPointer seqTokens);

    /** Pair losses and per-sequence gradient coefficients for pairs [pairBegin, pairEnd). */
    void pairLoss(PairFunction f, double normalizer, FloatPointer seqMean, FloatPointer seqSum, LongPointer seqTokens,
                  FloatPointer refSum, long pairBegin, long pairEnd, FloatPointer pairLoss, FloatPointer rewardChosen,
                  FloatPointer rewardRejected, FloatPointer pairEpsilon, FloatPointer seqCoef);

    /** Expands per-sequence coefficients to per-row weights for sequences [seqBegin, seqEnd). */
    void rowWeights(LongPointer offsets, FloatPointer seqCoef, LongPointer targets, long ignoreIndex, long seqBegin, long seqEnd,
                    FloatPointer rowWeight);

    /** Idempotent. */
    @Override
    void close();
}
