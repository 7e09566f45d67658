package io.github.leanpo.engine;

import io.github.leanpo.nativelib.Blas;
import io.github.leanpo.nativelib.NativeCalls;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * One call on the CPU: host memory from a JavaCPP {@link PointerScope} that {@link #close()} closes,
 * leanpo's native kernels, and OpenBLAS sgemm for the products (fp32 operands only: the orchestrator
 * widens bf16/f16 per chunk and tile). Every primitive has finished when it returns, and pass 1 reports
 * a non-finite row at once.
 */
final class CpuKernels implements Kernels {
    private static volatile boolean blasReady;

    private final int blasThreads;
    private final PointerScope scope = new PointerScope();
    private FloatPointer ones;
    private float[] fillValues;

    CpuKernels(int blasThreads) {
        this.blasThreads = blasThreads;
    }

    /** OpenBLAS loads on first use (logits-in mode never needs it) and runs with the kernels' thread count. */
    private void blas() {
        if (!blasReady) {
            Blas.setThreads(blasThreads);
            blasReady = true;
        }
    }

    @Override
    public void requireUsable(Tensor t, String name) {
        if (t instanceof DeviceTensor) {
            throw new IllegalArgumentException(name + " is GPU memory (" + t + ") but this loss runs on the CPU; create the loss with "
                    + "BackendChoice.CUDA (or AUTO on a machine with a GPU), or pass host memory");
        }
    }

    private static HostTensor host(Tensor t) {
        return (HostTensor) t;
    }

    @Override
    public Tensor rowOperand(Tensor t, boolean copyIn) {
        return t;  // the row kernels take Java arrays through JNI critical regions, without a copy
    }

    @Override
    public Tensor addressable(Tensor t, boolean copyIn) {
        return copyIn ? host(t).nativeView() : host(t).nativeStaging();
    }

    @Override
    public void copyBack(Tensor original, Tensor staged) {
        host(original).copyBackTo(host(staged));
    }

    @Override
    public Pointer at(Tensor addressable, long elem) {
        return host(addressable).at(elem);
    }

    @Override
    public FloatPointer f32At(Tensor addressable, long elem) {
        return host(addressable).f32At(elem);
    }

    @Override
    public FloatPointer floats(long n) {
        return new FloatPointer(Math.max(1, n));
    }

    @Override
    public LongPointer longs(long n) {
        return new LongPointer(Math.max(1, n));
    }

    @Override
    public Pointer bytes(long n) {
        return new BytePointer(Math.max(1, n));
    }

    @Override
    public LongPointer upload(long[] values) {
        return new LongPointer(values);
    }

    @Override
    public FloatPointer upload(float[] values) {
        return new FloatPointer(values);
    }

    @Override
    public float[] download(FloatPointer p, int n) {
        float[] out = new float[n];
        p.get(out);
        return out;
    }

    @Override
    public long[] download(LongPointer p, int n) {
        long[] out = new long[n];
        p.get(out);
        return out;
    }

    @Override
    public void fill(FloatPointer p, float value, long n) {
        // once per call, not per chunk: the engines fill the running maxima with the same value for every chunk
        if (fillValues == null || fillValues.length < n || Float.floatToRawIntBits(fillValues[0]) != Float.floatToRawIntBits(value)) {
            fillValues = new float[(int) Math.max(1, n)];
            Arrays.fill(fillValues, value);
        }
        new FloatPointer(p).put(fillValues, 0, (int) n);
    }

    @Override
    public void zero(Pointer p, long bytes) {
        Pointer.memset(p, 0, bytes);
    }

    @Override
    public LongPointer deviceTargets(Tensor targets, long rows, long vocab, long ignoreIndex) {
        throw new IllegalStateException("the CPU backend reads targets on the host");
    }

    @Override
    public long rowLseTarget(Tensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex,
                             FloatPointer lse, FloatPointer logp) {
        return NativeCalls.rowLseTarget(host(logits).nativeArgument(), logits.dtype().nativeCode(), vocab, rowBegin, rowEnd, targets,
                ignoreIndex, lse, logp);
    }

    @Override
    public void rowGrad(Tensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex, FloatPointer lse,
                        FloatPointer rowWeight, Tensor grad) {
        NativeCalls.rowGrad(host(logits).nativeArgument(), logits.dtype().nativeCode(), vocab, rowBegin, rowEnd, targets, ignoreIndex,
                lse, rowWeight, host(grad).nativeArgument());
    }

    @Override
    public void seqReduce(FloatPointer logp, LongPointer targets, long ignoreIndex, LongPointer offsets, long seqBegin, long seqEnd,
                          FloatPointer seqSum, FloatPointer seqMean, LongPointer seqTokens) {
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
                             long ignoreIndex, FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, long rowBase) {
        long bad = NativeCalls.tileLseMerge(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, runMax, runSum, tgtLogit);
        return bad < 0 ? -1 : rowBase + bad;
    }

    @Override
    public void lseFinish(FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, LongPointer targets, long ignoreIndex,
                          long rows, FloatPointer lse, FloatPointer logp) {
        NativeCalls.lseFinish(runMax, runSum, tgtLogit, targets, ignoreIndex, rows, lse, logp);
    }

    @Override
    public void tileGrad(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                         long ignoreIndex, FloatPointer lse, FloatPointer rowWeight, Pointer out, DType outType, long outLd) {
        if (out != null) {
            throw new IllegalStateException("the CPU multiplies fp32 gradient tiles only");
        }
        NativeCalls.tileGrad(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, lse, rowWeight);
    }

    @Override
    public void convert(Pointer src, DType srcType, Pointer dst, DType dstType, long n) {
        NativeCalls.convert(src, srcType.nativeCode(), dst, dstType.nativeCode(), n);
    }

    @Override
    public boolean gemmTakes(DType type) {
        return type == DType.F32;
    }

    @Override
    public void gemm(boolean transA, boolean transB, long m, long n, long k, Pointer a, long lda, Pointer b, long ldb, DType abType,
                     float beta, FloatPointer c, long ldc) {
        if (abType != DType.F32) {
            throw new IllegalStateException("OpenBLAS sgemm takes f32 operands, got " + abType);
        }
        blas();
        Blas.sgemm(transA, transB, m, n, k, 1f, new FloatPointer(a), lda, new FloatPointer(b), ldb, beta, c, ldc);
    }

    @Override
    public void columnSumAdd(Pointer g, DType gType, long rows, long cols, long ld, FloatPointer out) {
        if (ones == null || ones.capacity() < rows) {
            float[] one = new float[(int) rows];
            Arrays.fill(one, 1f);
            ones = new FloatPointer(one);
        }
        blas();
        Blas.sgemvTransposed(rows, cols, 1f, new FloatPointer(g), ld, ones, 1f, out);
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
    public DeviceErrors finish() {
        return DeviceErrors.NONE;
    }

    @Override
    public void close() {
        scope.close();
    }
}
