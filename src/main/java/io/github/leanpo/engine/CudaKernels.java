package io.github.leanpo.engine;

import io.github.leanpo.nativelib.CudaCalls;
import io.github.leanpo.nativelib.DeviceGemm;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.ShortPointer;

/**
 * One call on a GPU: device memory allocated on the call's stream (a {@link DeviceMemory}: stream-ordered,
 * freed on the same stream at {@link #close()}), the kernels of leanpo.h's CUDA section and cuBLAS. Nothing waits until
 * {@link #finish()}, {@link #download} or {@link #copyBack}. Data errors go to the call's status block on
 * the device; pass-2 kernels read it and write nothing once one is recorded.
 *
 * <p>Host tensors are copied to the device when a primitive needs them ({@link #rowOperand},
 * {@link #addressable}) and results are copied back by {@link #copyBack}; device tensors are used where
 * they are. The device of the calling thread is switched to the backend's for the call and restored.
 */
final class CudaKernels implements Kernels {
    private static final long NONE = -1L;  // all bits set: the status words' "nothing recorded"

    private final int device;
    private final DeviceGemm gemm;
    private final Pointer stream;
    private final int previousDevice;
    private final PointerScope hostScope = new PointerScope();
    /** The call's device memory: stream-ordered, released on the call's stream at close. */
    private final DeviceMemory memory;
    private LongPointer status;
    private Pointer ones;
    private DType onesType;
    private long onesCount;
    private boolean closed;

    CudaKernels(int device, DeviceGemm gemm, long stream) {
        this.device = device;
        this.gemm = gemm;
        this.stream = CudaCalls.stream(stream);
        this.memory = new DeviceMemory(stream);
        this.previousDevice = CudaCalls.device();
        if (previousDevice != device) {
            CudaCalls.setDevice(device);
        }
    }

    /** The status block, made on first use (validation runs before any device work). */
    private LongPointer status() {
        if (status == null) {
            status = new LongPointer(device(CudaCalls.STATUS_WORDS * 8L));
            CudaCalls.memset(status, 0xFF, CudaCalls.STATUS_WORDS * 8L, stream);
        }
        return status;
    }

    private Pointer device(long bytes) {
        return memory.allocBytes(bytes);
    }

    @Override
    public void requireUsable(Tensor t, String name) {
        if (t instanceof DeviceTensor d && d.device() != DeviceTensor.CURRENT_DEVICE && d.device() != device) {
            throw new IllegalArgumentException(name + " is on GPU " + d.device() + " but this loss runs on GPU " + device
                    + "; create the loss for that device or move the tensor");
        }
    }

    private DeviceTensor toDevice(Tensor t, boolean copyIn) {
        if (t instanceof DeviceTensor d) {
            return d;
        }
        HostTensor h = (HostTensor) t;
        long bytes = h.numel() * h.dtype().byteSize();
        DeviceTensor d = memory.alloc(h.dtype(), h.numel());
        if (copyIn && bytes > 0) {
            CudaCalls.memcpy(d.at(0), h.nativeView().at(0), bytes, stream);  // enqueued, no wait
        }
        return d;
    }

    @Override
    public Tensor rowOperand(Tensor t, boolean copyIn) {
        return toDevice(t, copyIn);
    }

    @Override
    public Tensor addressable(Tensor t, boolean copyIn) {
        return toDevice(t, copyIn);
    }

    @Override
    public void copyBack(Tensor original, Tensor staged) {
        if (original.sameStorage(staged) || !(original instanceof HostTensor h)) {
            return;
        }
        long bytes = h.numel() * h.dtype().byteSize();
        HostTensor host = h.nativeStaging();
        toHost(host.at(0), ((DeviceTensor) staged).at(0), bytes);
        h.copyBackTo(host);
    }

    @Override
    public Pointer at(Tensor addressable, long elem) {
        return ((DeviceTensor) addressable).at(elem);
    }

    @Override
    public FloatPointer f32At(Tensor addressable, long elem) {
        return new FloatPointer(at(addressable, elem));
    }

    @Override
    public FloatPointer floats(long n) {
        return new FloatPointer(device(n * 4));
    }

    @Override
    public LongPointer longs(long n) {
        return new LongPointer(device(n * 8));
    }

    @Override
    public Pointer bytes(long n) {
        return device(n);
    }

    @Override
    public LongPointer upload(long[] values) {
        LongPointer d = longs(values.length);
        CudaCalls.memcpy(d, new LongPointer(values), values.length * 8L, stream);
        return d;
    }

    @Override
    public FloatPointer upload(float[] values) {
        FloatPointer d = floats(values.length);
        CudaCalls.memcpy(d, new FloatPointer(values), values.length * 4L, stream);
        return d;
    }

    /** Waits for the stream's work, then copies {@code bytes} of device memory into host memory. */
    private <P extends Pointer> P toHost(P host, Pointer device, long bytes) {
        CudaCalls.memcpy(host, device, bytes, stream);
        CudaCalls.synchronize(stream);
        return host;
    }

    @Override
    public float[] download(FloatPointer p, int n) {
        float[] out = new float[n];
        toHost(new FloatPointer(Math.max(1, n)), p, n * 4L).get(out);
        return out;
    }

    @Override
    public long[] download(LongPointer p, int n) {
        long[] out = new long[n];
        toHost(new LongPointer(Math.max(1, n)), p, n * 8L).get(out);
        return out;
    }

    @Override
    public void fill(FloatPointer p, float value, long n) {
        CudaCalls.fill(p, value, n, stream);
    }

    @Override
    public void zero(Pointer p, long bytes) {
        CudaCalls.memset(p, 0, bytes, stream);
    }

    @Override
    public LongPointer deviceTargets(Tensor targets, long rows, long vocab, long ignoreIndex) {
        LongPointer out = longs(rows);
        CudaCalls.targets(at(targets, 0), targets.dtype().byteSize(), rows, vocab, ignoreIndex, out, status(), stream);
        return out;
    }

    @Override
    public long rowLseTarget(Tensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex,
                             FloatPointer lse, FloatPointer logp) {
        CudaCalls.rowLseTarget(at(logits, 0), logits.dtype().nativeCode(), vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, logp,
                status(), stream);
        return -1;
    }

    @Override
    public void rowGrad(Tensor logits, long vocab, long rowBegin, long rowEnd, LongPointer targets, long ignoreIndex, FloatPointer lse,
                        FloatPointer rowWeight, Tensor grad) {
        CudaCalls.rowGrad(at(logits, 0), logits.dtype().nativeCode(), vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight,
                at(grad, 0), status(), stream);
    }

    @Override
    public void seqReduce(FloatPointer logp, LongPointer targets, long ignoreIndex, LongPointer offsets, long seqBegin, long seqEnd,
                          FloatPointer seqSum, FloatPointer seqMean, LongPointer seqTokens) {
        CudaCalls.seqReduce(logp, targets, ignoreIndex, offsets, seqBegin, seqEnd, seqSum, seqMean, seqTokens, stream);
    }

    @Override
    public void pairLoss(PairFunction f, double normalizer, FloatPointer seqMean, FloatPointer seqSum, LongPointer seqTokens,
                         FloatPointer refSum, long pairBegin, long pairEnd, FloatPointer pairLoss, FloatPointer rewardChosen,
                         FloatPointer rewardRejected, FloatPointer pairEpsilon, FloatPointer seqCoef) {
        CudaCalls.pairLoss(f.kind().nativeCode(), (float) f.beta(), (float) f.gamma(), f.smoothing().nativeCode(), (float) f.epsilon(),
                (float) f.nllWeight(), normalizer, seqMean, seqSum, seqTokens, refSum, pairBegin, pairEnd, pairLoss, rewardChosen,
                rewardRejected, pairEpsilon, seqCoef, status(), stream);
    }

    @Override
    public void rowWeights(LongPointer offsets, FloatPointer seqCoef, LongPointer targets, long ignoreIndex, long seqBegin,
                           long seqEnd, FloatPointer rowWeight) {
        CudaCalls.rowWeights(offsets, seqCoef, targets, ignoreIndex, seqBegin, seqEnd, rowWeight, stream);
    }

    @Override
    public long tileLseMerge(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                             long ignoreIndex, FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, long rowBase) {
        CudaCalls.tileLseMerge(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, runMax, runSum, tgtLogit, rowBase, status(),
                stream);
        return -1;
    }

    @Override
    public void lseFinish(FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, LongPointer targets, long ignoreIndex,
                          long rows, FloatPointer lse, FloatPointer logp) {
        CudaCalls.lseFinish(runMax, runSum, tgtLogit, targets, ignoreIndex, rows, lse, logp, stream);
    }

    @Override
    public void tileGrad(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias, LongPointer targets,
                         long ignoreIndex, FloatPointer lse, FloatPointer rowWeight, Pointer out, DType outType, long outLd) {
        CudaCalls.tileGrad(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, lse, rowWeight, out,
                out == null ? DType.F32.nativeCode() : outType.nativeCode(), out == null ? ld : outLd, status(), stream);
    }

    @Override
    public void convert(Pointer src, DType srcType, Pointer dst, DType dstType, long n) {
        CudaCalls.convert(src, srcType.nativeCode(), dst, dstType.nativeCode(), n, stream);
    }

    @Override
    public boolean gemmTakes(DType type) {
        return type.isFloating();
    }

    @Override
    public void gemm(boolean transA, boolean transB, long m, long n, long k, Pointer a, long lda, Pointer b, long ldb, DType abType,
                     float beta, FloatPointer c, long ldc) {
        gemm.gemm(stream, transA, transB, m, n, k, a, lda, b, ldb, abType.nativeCode(), beta, c, ldc);
    }

    /** out += Gᵀ·1 as a product with a ones vector of G's type: the tensor cores sum the columns. */
    @Override
    public void columnSumAdd(Pointer g, DType gType, long rows, long cols, long ld, FloatPointer out) {
        if (ones == null || onesType != gType || onesCount < rows) {
            ones = device(rows * gType.byteSize());
            Pointer host;
            if (gType == DType.F32) {
                float[] v = new float[(int) rows];
                java.util.Arrays.fill(v, 1f);
                host = new FloatPointer(v);
            } else {
                short[] v = new short[(int) rows];
                java.util.Arrays.fill(v, gType == DType.BF16 ? (short) 0x3F80 : (short) 0x3C00);  // 1.0
                host = new ShortPointer(v);
            }
            CudaCalls.memcpy(ones, host, rows * gType.byteSize(), stream);
            onesType = gType;
            onesCount = rows;
        }
        gemm(true, false, cols, 1, rows, g, ld, ones, 1, gType, 1f, out, 1);
    }

    @Override
    public void gatherRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst) {
        CudaCalls.gatherRows(src, rowBytes, index, n, dst, stream);
    }

    @Override
    public void scatterRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst) {
        CudaCalls.scatterRows(src, rowBytes, index, n, dst, stream);
    }

    @Override
    public DeviceErrors finish() {
        CudaCalls.synchronize(stream);
        if (status == null) {
            return DeviceErrors.NONE;
        }
        long[] s = download(status, CudaCalls.STATUS_WORDS);
        return new DeviceErrors(s[0] == NONE ? -1 : s[0], s[1] == NONE ? -1 : s[1], s[2] == NONE ? -1 : s[2]);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            memory.close();  // stream-ordered: each block is released after the work enqueued before it
        } finally {
            hostScope.close();
            if (previousDevice != device) {
                CudaCalls.setDevice(previousDevice);
            }
        }
    }
}
