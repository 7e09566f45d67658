package io.github.leanpo.nativelib;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * fp32 matrix products through OpenBLAS (its JavaCPP preset, without LAPACK). Row-major throughout;
 * dimensions are ints because CBLAS takes ints. Pointers are borrowed and used from their position.
 */
public final class Blas {
    private static volatile boolean loaded;

    private Blas() {}

    private static void ensureLoaded() {
        if (!loaded) {
            synchronized (Blas.class) {
                if (!loaded) {
                    try {
                        Loader.load(openblas_nolapack.class);
                    } catch (UnsatisfiedLinkError e) {
                        throw new IllegalStateException("OpenBLAS could not be loaded (" + e.getMessage()
                                + "); put org.bytedeco:openblas with classifier " + Loader.getPlatform() + " on the class path", e);
                    }
                    loaded = true;
                }
            }
        }
    }

    /** OpenBLAS's own threads; leanpo keeps them equal to its kernel threads. */
    public static void setThreads(int n) {
        ensureLoaded();
        openblas_nolapack.blas_set_num_threads(n);
    }

    /**
     * C[m×n] = alpha·op(A)·op(B) + beta·C, row-major; op(X) = Xᵀ when the flag is set.
     * lda, ldb, ldc are the row strides of A, B and C as stored.
     */
    public static void sgemm(boolean transA, boolean transB, long m, long n, long k, float alpha, FloatPointer a, long lda,
                             FloatPointer b, long ldb, float beta, FloatPointer c, long ldc) {
        ensureLoaded();
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, toInt(m, "m"), toInt(n, "n"), toInt(k, "k"),
                alpha, a, toInt(lda, "lda"), b, toInt(ldb, "ldb"), beta, c, toInt(ldc, "ldc"));
    }

    /** y[n] = alpha·Aᵀ·x + beta·y for A [m×n] row-major with row stride lda (column sums when x is ones). */
    public static void sgemvTransposed(long m, long n, float alpha, FloatPointer a, long lda, FloatPointer x, float beta,
                                       FloatPointer y) {
        ensureLoaded();
        openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans, toInt(m, "m"), toInt(n, "n"),
                alpha, a, toInt(lda, "lda"), x, 1, beta, y, 1);
    }

    private static int toInt(long v, String what) {
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("BLAS dimension " + what + " = " + v + " does not fit CBLAS's int");
        }
        return (int) v;
    }
}
