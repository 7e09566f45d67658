package io.github.leanpo.nativelib;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * The products of the CUDA backend when its kernels run on the CPU emulation (the test build of
 * libleanpo, where "device memory" is host memory): operands widened to fp32 and multiplied by
 * OpenBLAS. It lets the Java side of the CUDA backend run its tests without a GPU; a real GPU always
 * uses {@link Cublas}.
 */
public final class EmulatedGemm implements DeviceGemm {

    @Override
    public synchronized void gemm(Pointer stream, boolean transA, boolean transB, long m, long n, long k, Pointer a, long lda,
                                  Pointer b, long ldb, int abDtype, float beta, FloatPointer c, long ldc) {
        try (PointerScope scope = new PointerScope()) {
            long aElems = (transA ? k : m) * lda;
            long bElems = (transB ? n : k) * ldb;
            Blas.sgemm(transA, transB, m, n, k, 1f, widen(a, abDtype, aElems), lda, widen(b, abDtype, bElems), ldb, beta, c, ldc);
        }
    }

    private static FloatPointer widen(Pointer p, int dtype, long n) {
        if (dtype == 0) {
            return new FloatPointer(p);
        }
        FloatPointer f = new FloatPointer(n);
        NativeCalls.convert(p, dtype, f, 0, n);
        return f;
    }

    @Override
    public String name() {
        return "OpenBLAS on the CPU emulation";
    }

    @Override
    public void close() {}
}
