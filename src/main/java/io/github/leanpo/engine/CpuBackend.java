package io.github.leanpo.engine;

import io.github.leanpo.nativelib.NativeCalls;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;

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
    public void close() {
        // Nothing per instance: the thread pool and the library live for the process.
    }
}
