package io.github.leanpo.engine;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * What one loss call runs on: memory in the backend's own space and the primitives the orchestrators
 * ({@link LogitsEngine}, {@link LinearEngine}) compose. Opened per call by {@link Backend#open} and used
 * by one thread; everything it allocates is freed by {@link #close()}.
 *
 * <p>The pointers it hands out address the backend's memory: host memory on the CPU, device memory
 * on CUDA. Java never reads through them; native code does, and {@link #download} copies out. On the
 * CPU every primitive has finished when it returns and data errors are reported at once (a return
 * value); on CUDA primitives only enqueue work on the call's stream, and data errors found on the
 * device come back from {@link #finish()}.
 *
 * <p>The primitives take their arguments in the order of the C header (leanpo.h); the orchestrators
 * have validated everything before they call.
 */
interface Kernels extends AutoCloseable {

    // ---- tensors

    /** @throws IllegalArgumentException when this backend cannot use {@code t} (e.g. device memory on the CPU), saying why */
    void requireUsable(Tensor t, String name);

    /** {@code t} as the row kernels can read and write it (a Java array stays as it is on the CPU). */
    Tensor rowOperand(Tensor t, boolean copyIn);

    /** {@code t} in memory with a stable address: its data when {@code copyIn}, else room for it. */
    Tensor addressable(Tensor t, boolean copyIn);

    /** Writes results staged by {@link #rowOperand} or {@link #addressable} into the caller's tensor. */
    void copyBack(Tensor original, Tensor staged);

    /** A pointer at element {@code elem} of an addressable tensor. */
    Pointer at(Tensor addressable, long elem);

    /** An fp32 pointer at element {@code elem} of an addressable F32 tensor. */
    FloatPointer f32At(Tensor addressable, long elem);

    // ---- memory of this call

    FloatPointer floats(long n);

    LongPointer longs(long n);

    Pointer bytes(long n);

    LongPointer upload(long[] values);

    FloatPointer upload(float[] values);

    float[] download(FloatPointer p, int n);

    long[] download(LongPointer p, int n);

    void fill(FloatPointer p, float value, long n);

    void zero(Pointer p, long bytes);

    /** Targets in device memory (i32/i64), widened to i64 and range-checked on the device; CUDA only. */
    LongPointer deviceTargets(Tensor targets, long rows, long vocab, long ignoreIndex);

    // ---- kernels

    /** Pass 1 over rows [rowBegin, rowEnd). Returns the first non-finite row, or -1 (always -1 where errors are deferred). */
    long rowLseTarget(Tensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex, FloatPointer lse,
                      FloatPointer logp);

    /** Pass 2 over rows [rowBegin, rowEnd): grad = w · (onehot(y) − softmax), in the logits' dtype. */
    void rowGrad(Tensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex, FloatPointer lse,
                 FloatPointer rowWeight, Tensor grad);

    void seqReduce(FloatPointer logp, LongPointer targets, long ignoreIndex, LongPointer offsets, long seqBegin, long seqEnd,
                   FloatPointer seqSum, FloatPointer seqMean, LongPointer seqTokens);

    void pairLoss(PairFunction f, double normalizer, FloatPointer seqMean, FloatPointer seqSum, LongPointer seqTokens,
                  FloatPointer refSum, long pairBegin, long pairEnd, FloatPointer pairLoss, FloatPointer rewardChosen,
                  FloatPointer rewardRejected, FloatPointer pairEpsilon, FloatPointer seqCoef);

    void rowWeights(LongPointer offsets, FloatPointer seqCoef, LongPointer targets, long ignoreIndex, long seqBegin, long seqEnd,
                    FloatPointer rowWeight);

    /** Merges a tile into each row's running log-sum-exp; returns the first non-finite row (rowBase + tile row) or -1. */
    long tileLseMerge(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                      long ignoreIndex, FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, long rowBase);

    void lseFinish(FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, LongPointer targets, long ignoreIndex, long rows,
                   FloatPointer lse, FloatPointer logp);

    /**
     * G = w·(onehot − softmax) over the tile: in place (fp32) when {@code out} is null; otherwise rounded once into
     * {@code out} [rows, outLd] of {@code outType} only, the tile left as it was (only where {@link #gemmTakes} accepts
     * that type).
     */
    void tileGrad(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                  long ignoreIndex, FloatPointer lse, FloatPointer rowWeight, Pointer out, DType outType, long outLd);

    void convert(Pointer src, DType srcType, Pointer dst, DType dstType, long n);

    /** True when {@link #gemm} multiplies operands of this type directly (always for F32). */
    boolean gemmTakes(DType type);

    /** Row-major C[m×n] (fp32) = op(A)·op(B) + beta·C; A and B of one type, fp32 accumulation. */
    void gemm(boolean transA, boolean transB, long m, long n, long k, Pointer a, long lda, Pointer b, long ldb, DType abType,
              float beta, FloatPointer c, long ldc);

    /** out[j] += Σ_r g[r, j] over a rows × cols block with row stride ld, g of a type {@link #gemmTakes} accepts. */
    void columnSumAdd(Pointer g, DType gType, long rows, long cols, long ld, FloatPointer out);

    void gatherRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst);

    void scatterRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst);

    /** Waits for the call's work and returns the data errors kernels recorded on the device ({@link DeviceErrors#NONE} on the CPU). */
    DeviceErrors finish();

    /** Frees this call's memory. Idempotent. */
    @Override
    void close();
}
