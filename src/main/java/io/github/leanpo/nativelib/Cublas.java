package io.github.leanpo.nativelib;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * Matrix products on the GPU through cuBLAS, by way of the JavaCPP CUDA presets. Row-major throughout,
 * like {@link Blas}: row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so the operands and
 * m, n swap and each keeps its own transpose flag. Every product accumulates in fp32
 * (CUBLAS_COMPUTE_32F) and writes fp32; f32 operands stay full fp32 (cuBLAS's default math mode does not
 * use TF32), bf16 and f16 operands run on the tensor cores.
 *
 * <p>The presets load when the first instance is made, which happens only after a GPU was found: a
 * machine without CUDA libraries never touches them. One handle per instance; calls are serialised on
 * it, because the handle's stream is state. {@link #close()} destroys the handle (idempotent).
 */
public final class Cublas implements DeviceGemm {
    private static volatile String loadError;
    private static volatile boolean loaded;

    private final cublasContext handle = new cublasContext();
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private boolean closed;

    /** Loads cuBLAS once; null when it loaded, else what went wrong and what to do. */
    public static String load() {
        if (loaded) {
            return null;
        }
        synchronized (Cublas.class) {
            if (!loaded && loadError == null) {
                try {
                    Loader.load(cudart.class);
                    Loader.load(cublas.class);
                    loaded = true;
                } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                    loadError = "cuBLAS could not be loaded through the JavaCPP CUDA presets (" + e
                            + "); install the CUDA 13 runtime and cuBLAS (the CUDA toolkit, or PyTorch's nvidia-cublas wheel with its "
                            + "lib folder on LD_LIBRARY_PATH), or add org.bytedeco:cuda-platform-redist to the class path";
                }
            }
            return loadError;
        }
    }

    /**
     * A handle on the current device.
     *
     * @throws IllegalStateException when cuBLAS cannot be loaded or initialised, saying why
     */
    public Cublas() {
        String err = load();
        if (err != null) {
            throw new IllegalStateException(err);
        }
        check(cublas.cublasCreate_v2(handle), "cublasCreate");
    }

    /** cuBLAS data type of a leanpo dtype code (f32 0, bf16 1, f16 2). */
    private static int dataType(int dtype) {
        return switch (dtype) {
            case 0 -> cudart.CUDA_R_32F;
            case 1 -> cudart.CUDA_R_16BF;
            case 2 -> cudart.CUDA_R_16F;
            default -> throw new IllegalArgumentException("unknown dtype code " + dtype);
        };
    }

    /**
     * Row-major C[m×n] (fp32, ldc) = op(A)[m×k]·op(B)[k×n] + beta·C with A and B of one dtype, enqueued on
     * {@code stream} (null: the default stream). Pointers are device memory, used from their position.
     */
    @Override
    public synchronized void gemm(Pointer stream, boolean transA, boolean transB, long m, long n, long k, Pointer a, long lda,
                                  Pointer b, long ldb, int abDtype, float beta, FloatPointer c, long ldc) {
        if (closed) {
            throw new IllegalStateException("this cuBLAS handle is closed");
        }
        check(cublas.cublasSetStream_v2(handle, stream == null ? null : new CUstream_st(stream)), "cublasSetStream");
        int t = dataType(abDtype);
        // alpha and beta are host values, read during the call (the handle's default pointer mode)
        FloatPointer betaP = beta == 0f ? zero : beta == 1f ? one : new FloatPointer(beta);
        try {
            int st = cublas.cublasGemmEx_64(handle, transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                    transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, n, m, k, one, RawPointer.exact(b), t, ldb, RawPointer.exact(a), t,
                    lda, betaP, RawPointer.exact(c), cudart.CUDA_R_32F,
                    ldc, cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT);
            check(st, "cublasGemmEx (m=" + m + ", n=" + n + ", k=" + k + ")");
        } finally {
            if (betaP != zero && betaP != one) {
                betaP.close();
            }
        }
    }

    private static void check(int status, String what) {
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException(what + " failed with cuBLAS status " + status + " ("
                    + cublas.cublasGetStatusName(status).getString() + ": " + cublas.cublasGetStatusString(status).getString() + ")");
        }
    }

    @Override
    public String name() {
        return "cuBLAS";
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            cublas.cublasDestroy_v2(handle);
            one.close();
            zero.close();
        }
    }
}
