package io.github.leanpo.nativelib;

import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The one place where Java crosses into leanpo's native code. It loads the library with a message
 * that says what to do when it cannot, dispatches each call on the kind of memory it gets (Java
 * array or native pointer), and turns native C++ exceptions into {@link IllegalStateException}.
 *
 * <p>Memory arguments are borrowed for the length of the call. Large operands ({@code logits},
 * {@code grad}) may be {@code float[]} (f32), {@code short[]} (bf16/f16 bit patterns) or a
 * {@link Pointer}; the small per-row and per-sequence arrays are native {@link LongPointer}s and
 * {@link FloatPointer}s the caller allocates.
 */
public final class NativeCalls {
    private static volatile boolean loaded;
    private static volatile String loadedFrom = "not loaded";

    private NativeCalls() {}

    /**
     * Loads the native library once.
     *
     * @throws IllegalStateException when it cannot be loaded for this platform, saying what is missing
     */
    public static void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (NativeCalls.class) {
            if (loaded) {
                return;
            }
            try {
                String path = Loader.load(LeanpoNative.class);
                Map<String, String> libs = Loader.getLoadedLibraries();
                String lib = libs.getOrDefault("leanpo", null);
                loadedFrom = lib != null ? lib : String.valueOf(path);
                loaded = true;
            } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
                throw new IllegalStateException("the leanpo native library could not be loaded for platform "
                        + Loader.getPlatform() + " (" + e + "). Put io.github.leanpo:leanpo with classifier "
                        + Loader.getPlatform() + " on the class path, or build it with 'mvn package'.", e);
            }
        }
    }

    /** Path of the loaded libleanpo shared library. */
    public static String loadedFrom() {
        ensureLoaded();
        return loadedFrom;
    }

    public static String version() {
        ensureLoaded();
        return LeanpoNative.leanpo_version().getString();
    }

    public static String cpuIsa() {
        ensureLoaded();
        return LeanpoNative.leanpo_cpu_isa().getString();
    }

    /** Forces the CPU kernels' instruction set ("avx2" or "generic"); false if this CPU lacks it. */
    public static boolean selectCpuIsa(String name) {
        ensureLoaded();
        try {
            return LeanpoNative.leanpo_cpu_select_isa(name) == 1;
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    public static void setThreads(int n) {
        ensureLoaded();
        LeanpoNative.leanpo_set_num_threads(n);
    }

    public static int threads() {
        ensureLoaded();
        return LeanpoNative.leanpo_get_num_threads();
    }

    public static boolean cudaCompiled() {
        ensureLoaded();
        return LeanpoNative.leanpo_cuda_compiled() == 1;
    }

    public static int cudaDeviceCount() {
        ensureLoaded();
        return LeanpoNative.leanpo_cuda_device_count();
    }

    /** True only for the test build whose CUDA entry points run on the CPU emulation of the kernels. */
    public static boolean cudaEmulated() {
        ensureLoaded();
        return LeanpoNative.leanpo_cuda_emulated() == 1;
    }

    public static String cudaStatus() {
        ensureLoaded();
        return LeanpoNative.leanpo_cuda_status().getString();
    }

    /** See {@code leanpo_cpu_row_lse_target}; returns the first non-finite row or -1. */
    public static long rowLseTarget(Object logits, int dtype, long vocab, long rowBegin, long rowEnd, LongPointer targets,
                                    long ignoreIndex, FloatPointer lse, FloatPointer logp) {
        try {
            if (logits instanceof float[] a) {
                return LeanpoNative.leanpo_cpu_row_lse_target(a, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, logp);
            } else if (logits instanceof short[] a) {
                return LeanpoNative.leanpo_cpu_row_lse_target(a, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, logp);
            } else if (logits instanceof Pointer p) {
                return LeanpoNative.leanpo_cpu_row_lse_target(p, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, logp);
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
        throw unsupported("logits", logits);
    }

    /** See {@code leanpo_cpu_row_grad}; {@code grad} may be the same memory as {@code logits}. */
    public static void rowGrad(Object logits, int dtype, long vocab, long rowBegin, long rowEnd, LongPointer targets,
                               long ignoreIndex, FloatPointer lse, FloatPointer rowWeight, Object grad) {
        try {
            if (logits instanceof float[] x) {
                if (grad instanceof float[] g) {
                    LeanpoNative.leanpo_cpu_row_grad(x, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight, g);
                    return;
                } else if (grad instanceof Pointer g) {
                    LeanpoNative.leanpo_cpu_row_grad(x, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight, g);
                    return;
                }
            } else if (logits instanceof short[] x) {
                if (grad instanceof short[] g) {
                    LeanpoNative.leanpo_cpu_row_grad(x, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight, g);
                    return;
                } else if (grad instanceof Pointer g) {
                    LeanpoNative.leanpo_cpu_row_grad(x, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight, g);
                    return;
                }
            } else if (logits instanceof Pointer x) {
                if (grad instanceof Pointer g) {
                    LeanpoNative.leanpo_cpu_row_grad(x, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight, g);
                    return;
                } else if (grad instanceof float[] g) {
                    LeanpoNative.leanpo_cpu_row_grad(x, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight, g);
                    return;
                } else if (grad instanceof short[] g) {
                    LeanpoNative.leanpo_cpu_row_grad(x, dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight, g);
                    return;
                }
            } else {
                throw unsupported("logits", logits);
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
        throw unsupported("grad", grad);
    }

    public static void seqReduce(FloatPointer logp, LongPointer targets, long ignoreIndex, LongPointer offsets, long seqBegin,
                                 long seqEnd, FloatPointer seqSum, FloatPointer seqMean, LongPointer seqTokens) {
        try {
            LeanpoNative.leanpo_seq_reduce(logp, targets, ignoreIndex, offsets, seqBegin, seqEnd, seqSum, seqMean, seqTokens);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    public static void pairLoss(int objective, float beta, float gamma, int smoothing, float epsilon, float nllWeight,
                                double normalizer, FloatPointer seqMean, FloatPointer seqSum, LongPointer seqTokens,
                                FloatPointer refSum, long pairBegin, long pairEnd, FloatPointer pairLoss,
                                FloatPointer rewardChosen, FloatPointer rewardRejected, FloatPointer pairEpsilon,
                                FloatPointer seqCoef) {
        try {
            LeanpoNative.leanpo_pair_loss(objective, beta, gamma, smoothing, epsilon, nllWeight, normalizer, seqMean, seqSum,
                    seqTokens, refSum, pairBegin, pairEnd, pairLoss, rewardChosen, rewardRejected, pairEpsilon, seqCoef);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    public static void rowWeights(LongPointer offsets, FloatPointer seqCoef, LongPointer targets, long ignoreIndex,
                                  long seqBegin, long seqEnd, FloatPointer rowWeight) {
        try {
            LeanpoNative.leanpo_row_weights(offsets, seqCoef, targets, ignoreIndex, seqBegin, seqEnd, rowWeight);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** See {@code leanpo_cpu_tile_lse_merge}; returns the first non-finite tile row or -1. */
    public static long tileLseMerge(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias,
                                    LongPointer targets, long ignoreIndex, FloatPointer runMax, FloatPointer runSum,
                                    FloatPointer tgtLogit) {
        try {
            return LeanpoNative.leanpo_cpu_tile_lse_merge(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, runMax, runSum,
                    tgtLogit);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    public static void lseFinish(FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, LongPointer targets,
                                 long ignoreIndex, long rows, FloatPointer lse, FloatPointer logp) {
        try {
            LeanpoNative.leanpo_cpu_lse_finish(runMax, runSum, tgtLogit, targets, ignoreIndex, rows, lse, logp);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    public static void tileGrad(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias,
                                LongPointer targets, long ignoreIndex, FloatPointer lse, FloatPointer rowWeight) {
        try {
            LeanpoNative.leanpo_cpu_tile_grad(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, lse, rowWeight);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** Converts {@code n} elements between the floating dtype codes (f32 0, bf16 1, f16 2). */
    public static void convert(Pointer src, int srcDtype, Pointer dst, int dstDtype, long n) {
        try {
            LeanpoNative.leanpo_cpu_convert(RawPointer.exact(src), srcDtype, RawPointer.exact(dst), dstDtype, n);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    public static void gatherRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst) {
        try {
            LeanpoNative.leanpo_cpu_gather_rows(RawPointer.exact(src), rowBytes, index, n, RawPointer.exact(dst));
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    public static void scatterRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst) {
        try {
            LeanpoNative.leanpo_cpu_scatter_rows(RawPointer.exact(src), rowBytes, index, n, RawPointer.exact(dst));
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    private static RuntimeException translate(RuntimeException e) {
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return e;
        }
        return new IllegalStateException(e.getMessage(), e);
    }

    private static IllegalArgumentException unsupported(String what, Object o) {
        return new IllegalArgumentException(what + " must be a float[], short[] or JavaCPP Pointer, got "
                + (o == null ? "null" : o.getClass().getName()));
    }
}
