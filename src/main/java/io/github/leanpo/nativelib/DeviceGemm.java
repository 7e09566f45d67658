package io.github.leanpo.nativelib;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Row-major matrix products on a device's memory: C[m×n] (fp32, ldc) = op(A)[m×k]·op(B)[k×n] + beta·C,
 * A and B of one dtype (leanpo's code: f32 0, bf16 1, f16 2), fp32 accumulation, enqueued on
 * {@code stream}. {@link Cublas} on a GPU; {@link EmulatedGemm} where the CUDA entry points run on the
 * CPU emulation (tests).
 */
public interface DeviceGemm extends AutoCloseable {

    /** The products for the device this library drives: cuBLAS, or OpenBLAS under the emulation. */
    static DeviceGemm open() {
        return NativeCalls.cudaEmulated() ? new EmulatedGemm() : new Cublas();
    }

    void gemm(Pointer stream, boolean transA, boolean transB, long m, long n, long k, Pointer a, long lda, Pointer b, long ldb,
              int abDtype, float beta, FloatPointer c, long ldc);

    String name();

    @Override
    void close();
}
