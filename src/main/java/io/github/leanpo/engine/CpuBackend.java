package io.github.leanpo.engine;

import io.github.leanpo.nativelib.Blas;
import io.github.leanpo.nativelib.NativeCalls;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The native C++ backend: vectorised row kernels on leanpo's own thread pool. The pool is shared
 * by the whole process, so {@link #CpuBackend(int)} sets the thread count for every CPU backend.
 */
public final class CpuBackend implements Backend {

    /** Uses the current thread count (by default one per hardware thread). */
    public CpuBackend() {
        this(0);
    }

    /**
     * @param threads threads for the CPU kernels; {@code <= 0} keeps the current setting
     * @throws IllegalStateException when the native library cannot be loaded
     */
    public CpuBackend(int threads) {
        NativeCalls.ensureLoaded();
        if (threads > 0) {
            NativeCalls.setThreads(threads);
        }
        blasThreads = NativeCalls.threads();
    }

    private final int blasThreads;
    private volatile boolean blasReady;

    /** OpenBLAS loads on first use (logits-in mode never needs it) and runs with the kernels' thread count. */
    private void blasReady() {
        if (!blasReady) {
            Blas.setThreads(blasThreads);
            blasReady = true;
        }
    }

    /** Threads the CPU kernels use now. */
    public int threads() {
        return NativeCalls.threads();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public long rowLseTarget(HostTensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex,
                             FloatPointer lse, FloatPointer logp) {
        return NativeCalls.rowLseTarget(logits.nativeArgument(), logits.dtype().nativeCode(), vocab, rowBegin, rowEnd, targets,
                ignoreIndex, lse, logp);
    }

    @Override
    public void rowGrad(HostTensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex,
                        FloatPointer lse, FloatPointer rowWeight, HostTensor grad) {
        NativeCalls.rowGrad(logits.nativeArgument(), logits.dtype().nativeCode(), vocab, rowBegin, rowEnd, targets, ignoreIndex,
                lse, rowWeight, grad.nativeArgument());
    }

    @Override
    public void seqReduce(FloatPointer logp, LongPointer targets, long ignoreIndex, LongPointer offsets, long seqBegin,
                          long seqEnd, FloatPointer seqSum, FloatPointer seqMean, LongPointer seqTokens) {
        NativeCalls.seqReduce(logp, targets, ignoreIndex, offsets, seqBegin, seqEnd, seqSum, seqMean, seqTokens);
    }

    @Override
    public void pairLoss(PairFunction f, double normalizer, FloatPointer seqMean, FloatPointer seqSum, LongPointer seqTokens,
                         FloatPointer refSum, long pairBegin, long pairEnd, FloatPointer pairLoss, FloatPointer rewardChosen,
                         FloatPointer rewardRejected, FloatPointer pairEpsilon, FloatPointer seqCoef) {
        NativeCalls.pairLoss(f.kind().nativeCode(), (float) f.beta(), (float) f.gamma(), f.smoothing().nativeCode(),
                (float) f.epsilon(), (float) f.nllWeight(), normalizer, seqMean, seqSum, seqTokens, refSum, pairBegin, pairEnd,
                pairLoss, rewardChosen, rewardRejected, pairEpsilon, seqCoef);
    }

    @Override
    public void rowWeights(LongPointer offsets, FloatPointer seqCoef, LongPointer targets, long ignoreIndex, long seqBegin,
                           long seqEnd, FloatPointer rowWeight) {
        NativeCalls.rowWeights(offsets, seqCoef, targets, ignoreIndex, seqBegin, seqEnd, rowWeight);
    }

    @Override
    public long tileLseMerge(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                             long ignoreIndex, FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit) {
        return NativeCalls.tileLseMerge(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, runMax, runSum, tgtLogit);
    }

    @Override
    public void lseFinish(FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, LongPointer targets, long ignoreIndex,
                          long rows, FloatPointer lse, FloatPointer logp) {
        NativeCalls.lseFinish(runMax, runSum, tgtLogit, targets, ignoreIndex, rows, lse, logp);
    }

    @Override
    public void tileGrad(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                         long ignoreIndex, FloatPointer lse, FloatPointer rowWeight) {
        NativeCalls.tileGrad(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, lse, rowWeight);
    }

    @Override
    public void convert(Pointer src, DType srcType, Pointer dst, DType dstType, long n) {
        NativeCalls.convert(src, srcType.nativeCode(), dst, dstType.nativeCode(), n);
    }

    @Override
    public void gemm(boolean transA, boolean transB, long m, long n, long k, float alpha, FloatPointer a, long lda, FloatPointer b,
                     long ldb, float beta, FloatPointer c, long ldc) {
        blasReady();
        Blas.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    @Override
    public void columnSumAdd(FloatPointer g, long rows, long cols, long ld, FloatPointer ones, FloatPointer out) {
        blasReady();
        Blas.sgemvTransposed(rows, cols, 1f, g, ld, ones, 1f, out);
    }

    @Override
    public void gatherRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst) {
        NativeCalls.gatherRows(src, rowBytes, index, n, dst);
    }

    @Override
    public void scatterRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst) {
        NativeCalls.scatterRows(src, rowBytes, index, n, dst);
    }

    @Override
    public void close() {
        // Nothing per instance: the thread pool and the library live for the process.
    }
}
