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

    // ---- fused-linear primitives (fp32 tiles of x = h·Wᵀ + b) ----

    /** Merges a tile into each row's running log-sum-exp; returns the first non-finite tile row or -1. */
    long tileLseMerge(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                      long ignoreIndex, FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit);

    /** lse = runMax + log(runSum), logp = tgtLogit − lse for {@code rows} rows. */
    void lseFinish(FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, LongPointer targets, long ignoreIndex,
                   long rows, FloatPointer lse, FloatPointer logp);

    /** In place: tile ← w·(onehot − softmax) over the tile's columns. */
    void tileGrad(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                  long ignoreIndex, FloatPointer lse, FloatPointer rowWeight);

    /** dst[i] = src[i] for {@code n} elements between floating dtypes. */
    void convert(org.bytedeco.javacpp.Pointer src, DType srcType, org.bytedeco.javacpp.Pointer dst, DType dstType, long n);

    /** Row-major C = alpha·op(A)·op(B) + beta·C in fp32. */
    void gemm(boolean transA, boolean transB, long m, long n, long k, float alpha, FloatPointer a, long lda, FloatPointer b,
              long ldb, float beta, FloatPointer c, long ldc);

    /** out[j] += Σ_r g[r, j] for a rows × cols block with row stride ld; {@code ones} holds at least {@code rows} ones. */
    void columnSumAdd(FloatPointer g, long rows, long cols, long ld, FloatPointer ones, FloatPointer out);

    /** dst row i = src row index[i]. */
    void gatherRows(org.bytedeco.javacpp.Pointer src, long rowBytes, LongPointer index, long n, org.bytedeco.javacpp.Pointer dst);

    /** dst row index[i] = src row i. */
    void scatterRows(org.bytedeco.javacpp.Pointer src, long rowBytes, LongPointer index, long n, org.bytedeco.javacpp.Pointer dst);

    /** Idempotent. */
    @Override
    void close();
}
