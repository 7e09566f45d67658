package io.github.leanpo.nativelib;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The CUDA half of leanpo's native entry points (see the CUDA section of leanpo.h). Pointers are device
 * addresses unless a name says host; {@code stream} is a {@code cudaStream_t} (null: the default
 * stream). Calls only enqueue work, except {@link #synchronize} and {@link #memInfo}. Pointers are used from their
 * current element, whatever their type ({@link RawPointer#exact}). Native errors
 * (a CUDA error, out of memory, a library built without CUDA) come back as {@link IllegalStateException}
 * carrying the CUDA error name and the file and line where it was caught.
 */
public final class CudaCalls {
    /** Words in a status block, and the index of each error in it (leanpo.h). */
    public static final int STATUS_WORDS = 3;

    private CudaCalls() {}

    @FunctionalInterface
    private interface Call {
        void run();
    }

    private static void call(Call c) {
        NativeCalls.ensureLoaded();
        try {
            c.run();
        } catch (RuntimeException e) {
            throw e instanceof IllegalArgumentException || e instanceof IllegalStateException ? e
                    : new IllegalStateException(e.getMessage(), e);
        }
    }

    /** A stream argument: null for the default stream. */
    public static Pointer stream(long address) {
        return address == 0 ? null : RawPointer.ofAddress(address, 0);
    }

    public static void setDevice(int device) {
        call(() -> LeanpoNative.leanpo_cuda_set_device(device));
    }

    public static int device() {
        int[] d = new int[1];
        call(() -> d[0] = LeanpoNative.leanpo_cuda_get_device());
        return d[0];
    }

    /** Stream-ordered allocation; the address of {@code bytes} bytes of device memory. */
    public static long malloc(long bytes, Pointer stream) {
        long[] a = new long[1];
        call(() -> a[0] = LeanpoNative.leanpo_cuda_malloc(bytes, stream).address());
        return a[0];
    }

    public static void free(long address, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_free(RawPointer.ofAddress(address, 0), stream));
    }

    public static void memcpy(Pointer dst, Pointer src, long bytes, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_memcpy(RawPointer.exact(dst), RawPointer.exact(src), bytes, stream));
    }

    public static void memset(Pointer p, int byteValue, long bytes, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_memset(RawPointer.exact(p), byteValue, bytes, stream));
    }

    public static void fill(FloatPointer p, float value, long n, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_fill_f32(p, value, n, stream));
    }

    public static void synchronize(Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_synchronize(stream));
    }

    /** {free, total} bytes of the current device. */
    public static long[] memInfo() {
        long[] out = new long[2];
        call(() -> {
            try (LongPointer p = new LongPointer(2)) {
                LeanpoNative.leanpo_cuda_mem_info(p);
                p.get(out);
            }
        });
        return out;
    }

    /**
     * The most bytes in use at once from the current device's stream-ordered pool (where leanpo allocates) since the
     * last reset; {@code reset} starts a new count from what is in use now.
     */
    public static long poolPeak(boolean reset) {
        long[] v = new long[1];
        call(() -> v[0] = LeanpoNative.leanpo_cuda_pool_peak(reset ? 1 : 0));
        return v[0];
    }

    public static void targets(Pointer targets, int indexBytes, long n, long vocab, long ignoreIndex, LongPointer out,
                               LongPointer status, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_targets(RawPointer.exact(targets), indexBytes, n, vocab, ignoreIndex, out, status, stream));
    }

    public static void rowLseTarget(Pointer logits, int dtype, long vocab, long rowBegin, long rowEnd, LongPointer targets,
                                    long ignoreIndex, FloatPointer lse, FloatPointer logp, LongPointer status, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_row_lse_target(RawPointer.exact(logits), dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, logp,
                status, stream));
    }

    public static void rowGrad(Pointer logits, int dtype, long vocab, long rowBegin, long rowEnd, LongPointer targets,
                               long ignoreIndex, FloatPointer lse, FloatPointer rowWeight, Pointer grad, LongPointer status,
                               Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_row_grad(RawPointer.exact(logits), dtype, vocab, rowBegin, rowEnd, targets, ignoreIndex, lse, rowWeight,
                RawPointer.exact(grad), status, stream));
    }

    public static void seqReduce(FloatPointer logp, LongPointer targets, long ignoreIndex, LongPointer offsets, long seqBegin,
                                 long seqEnd, FloatPointer seqSum, FloatPointer seqMean, LongPointer seqTokens, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_seq_reduce(logp, targets, ignoreIndex, offsets, seqBegin, seqEnd, seqSum, seqMean,
                seqTokens, stream));
    }

    public static void pairLoss(int objective, float beta, float gamma, int smoothing, float epsilon, float nllWeight,
                                double normalizer, FloatPointer seqMean, FloatPointer seqSum, LongPointer seqTokens,
                                FloatPointer refSum, long pairBegin, long pairEnd, FloatPointer pairLoss, FloatPointer rewardChosen,
                                FloatPointer rewardRejected, FloatPointer pairEpsilon, FloatPointer seqCoef, LongPointer status,
                                Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_pair_loss(objective, beta, gamma, smoothing, epsilon, nllWeight, normalizer, seqMean,
                seqSum, seqTokens, refSum, pairBegin, pairEnd, pairLoss, rewardChosen, rewardRejected, pairEpsilon, seqCoef, status,
                stream));
    }

    public static void rowWeights(LongPointer offsets, FloatPointer seqCoef, LongPointer targets, long ignoreIndex, long seqBegin,
                                  long seqEnd, FloatPointer rowWeight, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_row_weights(offsets, seqCoef, targets, ignoreIndex, seqBegin, seqEnd, rowWeight, stream));
    }

    public static void tileLseMerge(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias,
                                    LongPointer targets, long ignoreIndex, FloatPointer runMax, FloatPointer runSum,
                                    FloatPointer tgtLogit, long rowBase, LongPointer status, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_tile_lse_merge(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, runMax,
                runSum, tgtLogit, rowBase, status, stream));
    }

    public static void lseFinish(FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit, LongPointer targets,
                                 long ignoreIndex, long rows, FloatPointer lse, FloatPointer logp, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_lse_finish(runMax, runSum, tgtLogit, targets, ignoreIndex, rows, lse, logp, stream));
    }

    public static void tileGrad(FloatPointer tile, long rows, long cols, long ld, long colBegin, FloatPointer bias,
                                LongPointer targets, long ignoreIndex, FloatPointer lse, FloatPointer rowWeight, Pointer out,
                                int outDtype, long outLd, LongPointer status, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_tile_grad(tile, rows, cols, ld, colBegin, bias, targets, ignoreIndex, lse, rowWeight,
                RawPointer.exact(out), outDtype, outLd, status, stream));
    }

    public static void convert(Pointer src, int srcDtype, Pointer dst, int dstDtype, long n, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_convert(RawPointer.exact(src), srcDtype, RawPointer.exact(dst), dstDtype, n, stream));
    }

    public static void gatherRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_gather_rows(RawPointer.exact(src), rowBytes, index, n, RawPointer.exact(dst), stream));
    }

    public static void scatterRows(Pointer src, long rowBytes, LongPointer index, long n, Pointer dst, Pointer stream) {
        call(() -> LeanpoNative.leanpo_cuda_scatter_rows(RawPointer.exact(src), rowBytes, index, n, RawPointer.exact(dst), stream));
    }
}
