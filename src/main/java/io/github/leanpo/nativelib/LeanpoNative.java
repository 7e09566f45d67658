package io.github.leanpo.nativelib;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * JavaCPP binding of {@code leanpo/leanpo.h}: one static native method per C function, nothing else.
 * Only {@link NativeCalls} calls these; see the header for the contract of each function.
 *
 * <p>Java arrays go through {@link CriticalRegion} overloads: JNI's GetPrimitiveArrayCritical gives
 * the native code the array's memory without a copy (the JVM may hold off garbage collection for the
 * length of the call).
 */
@Properties(value = @Platform(include = "leanpo/leanpo.h", link = "leanpo"))
public final class LeanpoNative {
    static {
        Loader.load();
    }

    private LeanpoNative() {}

    public static native @Cast("const char*") BytePointer leanpo_version();

    public static native @Cast("const char*") BytePointer leanpo_cpu_isa();

    public static native int leanpo_cpu_select_isa(@Cast("const char*") String name);

    public static native void leanpo_set_num_threads(int n);

    public static native int leanpo_get_num_threads();

    public static native int leanpo_cuda_compiled();

    public static native int leanpo_cuda_device_count();

    public static native @Cast("const char*") BytePointer leanpo_cuda_status();

    public static native int leanpo_cuda_emulated();

    // ---- pass 1: row log-sum-exp and target log-prob ----

    public static native @Cast("int64_t") long leanpo_cpu_row_lse_target(
            @Const Pointer logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            FloatPointer lse, FloatPointer logp);

    @CriticalRegion
    public static native @Cast("int64_t") long leanpo_cpu_row_lse_target(
            @Cast("const void*") float[] logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            FloatPointer lse, FloatPointer logp);

    @CriticalRegion
    public static native @Cast("int64_t") long leanpo_cpu_row_lse_target(
            @Cast("const void*") short[] logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            FloatPointer lse, FloatPointer logp);

    // ---- pass 2: weighted row gradient ----

    public static native void leanpo_cpu_row_grad(
            @Const Pointer logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, Pointer grad);

    @CriticalRegion
    public static native void leanpo_cpu_row_grad(
            @Cast("const void*") float[] logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, @Cast("void*") float[] grad);

    @CriticalRegion
    public static native void leanpo_cpu_row_grad(
            @Cast("const void*") short[] logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, @Cast("void*") short[] grad);

    @CriticalRegion
    public static native void leanpo_cpu_row_grad(
            @Cast("const void*") float[] logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, Pointer grad);

    @CriticalRegion
    public static native void leanpo_cpu_row_grad(
            @Const Pointer logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, @Cast("void*") float[] grad);

    @CriticalRegion
    public static native void leanpo_cpu_row_grad(
            @Cast("const void*") short[] logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, Pointer grad);

    @CriticalRegion
    public static native void leanpo_cpu_row_grad(
            @Const Pointer logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, @Cast("void*") short[] grad);

    // ---- sequence and pair math ----

    public static native void leanpo_seq_reduce(
            @Const FloatPointer logp, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Cast("const int64_t*") LongPointer offsets, @Cast("int64_t") long seqBegin, @Cast("int64_t") long seqEnd,
            FloatPointer seqSum, FloatPointer seqMean, @Cast("int64_t*") LongPointer seqTokens);

    public static native void leanpo_pair_loss(
            int objective, float beta, float gamma, int smoothing, float epsilon, float nllWeight, double normalizer,
            @Const FloatPointer seqMean, @Const FloatPointer seqSum, @Cast("const int64_t*") LongPointer seqTokens,
            @Const FloatPointer refSum, @Cast("int64_t") long pairBegin, @Cast("int64_t") long pairEnd,
            FloatPointer pairLoss, FloatPointer rewardChosen, FloatPointer rewardRejected, FloatPointer pairEpsilon,
            FloatPointer seqCoef);

    public static native void leanpo_row_weights(
            @Cast("const int64_t*") LongPointer offsets, @Const FloatPointer seqCoef,
            @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex, @Cast("int64_t") long seqBegin,
            @Cast("int64_t") long seqEnd, FloatPointer rowWeight);

    // ---- fused-linear tiles ----

    public static native @Cast("int64_t") long leanpo_cpu_tile_lse_merge(
            @Const FloatPointer tile, @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("int64_t") long ld,
            @Cast("int64_t") long colBegin, @Const FloatPointer bias, @Cast("const int64_t*") LongPointer targets,
            @Cast("int64_t") long ignoreIndex, FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit);

    public static native void leanpo_cpu_lse_finish(
            @Const FloatPointer runMax, @Const FloatPointer runSum, @Const FloatPointer tgtLogit,
            @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex, @Cast("int64_t") long rows,
            FloatPointer lse, FloatPointer logp);

    public static native void leanpo_cpu_tile_grad(
            FloatPointer tile, @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("int64_t") long ld,
            @Cast("int64_t") long colBegin, @Const FloatPointer bias, @Cast("const int64_t*") LongPointer targets,
            @Cast("int64_t") long ignoreIndex, @Const FloatPointer lse, @Const FloatPointer rowWeight);

    public static native void leanpo_cpu_convert(@Const Pointer src, int srcDtype, Pointer dst, int dstDtype,
                                                 @Cast("int64_t") long n);

    public static native void leanpo_cpu_gather_rows(@Const Pointer src, @Cast("int64_t") long rowBytes,
                                                     @Cast("const int64_t*") LongPointer index, @Cast("int64_t") long n,
                                                     Pointer dst);

    public static native void leanpo_cpu_scatter_rows(@Const Pointer src, @Cast("int64_t") long rowBytes,
                                                      @Cast("const int64_t*") LongPointer index, @Cast("int64_t") long n,
                                                      Pointer dst);

    // ---- CUDA (leanpo.h: every pointer is device memory unless named host; stream is a cudaStream_t) ----

    public static native void leanpo_cuda_set_device(int device);

    public static native int leanpo_cuda_get_device();

    public static native Pointer leanpo_cuda_malloc(@Cast("int64_t") long bytes, Pointer stream);

    public static native void leanpo_cuda_free(Pointer p, Pointer stream);

    public static native void leanpo_cuda_memcpy(Pointer dst, @Const Pointer src, @Cast("int64_t") long bytes, Pointer stream);

    public static native void leanpo_cuda_memset(Pointer p, int byteValue, @Cast("int64_t") long bytes, Pointer stream);

    public static native void leanpo_cuda_fill_f32(FloatPointer p, float value, @Cast("int64_t") long n, Pointer stream);

    public static native void leanpo_cuda_synchronize(Pointer stream);

    public static native void leanpo_cuda_mem_info(@Cast("int64_t*") LongPointer hostOut);

    public static native @Cast("int64_t") long leanpo_cuda_pool_peak(int reset);

    public static native void leanpo_cuda_targets(@Const Pointer targets, int indexBytes, @Cast("int64_t") long n,
                                                  @Cast("int64_t") long V, @Cast("int64_t") long ignoreIndex,
                                                  @Cast("int64_t*") LongPointer targetsOut, @Cast("uint64_t*") LongPointer status,
                                                  Pointer stream);

    public static native void leanpo_cuda_row_lse_target(
            @Const Pointer logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            FloatPointer lse, FloatPointer logp, @Cast("uint64_t*") LongPointer status, Pointer stream);

    public static native void leanpo_cuda_row_grad(
            @Const Pointer logits, int dtype, @Cast("int64_t") long V, @Cast("int64_t") long rowBegin,
            @Cast("int64_t") long rowEnd, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Const FloatPointer lse, @Const FloatPointer rowWeight, Pointer grad, @Cast("const uint64_t*") LongPointer status,
            Pointer stream);

    public static native void leanpo_cuda_seq_reduce(
            @Const FloatPointer logp, @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex,
            @Cast("const int64_t*") LongPointer offsets, @Cast("int64_t") long seqBegin, @Cast("int64_t") long seqEnd,
            FloatPointer seqSum, FloatPointer seqMean, @Cast("int64_t*") LongPointer seqTokens, Pointer stream);

    public static native void leanpo_cuda_pair_loss(
            int objective, float beta, float gamma, int smoothing, float epsilon, float nllWeight, double normalizer,
            @Const FloatPointer seqMean, @Const FloatPointer seqSum, @Cast("const int64_t*") LongPointer seqTokens,
            @Const FloatPointer refSum, @Cast("int64_t") long pairBegin, @Cast("int64_t") long pairEnd,
            FloatPointer pairLoss, FloatPointer rewardChosen, FloatPointer rewardRejected, FloatPointer pairEpsilon,
            FloatPointer seqCoef, @Cast("uint64_t*") LongPointer status, Pointer stream);

    public static native void leanpo_cuda_row_weights(
            @Cast("const int64_t*") LongPointer offsets, @Const FloatPointer seqCoef,
            @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex, @Cast("int64_t") long seqBegin,
            @Cast("int64_t") long seqEnd, FloatPointer rowWeight, Pointer stream);

    public static native void leanpo_cuda_tile_lse_merge(
            @Const FloatPointer tile, @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("int64_t") long ld,
            @Cast("int64_t") long colBegin, @Const FloatPointer bias, @Cast("const int64_t*") LongPointer targets,
            @Cast("int64_t") long ignoreIndex, FloatPointer runMax, FloatPointer runSum, FloatPointer tgtLogit,
            @Cast("int64_t") long rowBase, @Cast("uint64_t*") LongPointer status, Pointer stream);

    public static native void leanpo_cuda_lse_finish(
            @Const FloatPointer runMax, @Const FloatPointer runSum, @Const FloatPointer tgtLogit,
            @Cast("const int64_t*") LongPointer targets, @Cast("int64_t") long ignoreIndex, @Cast("int64_t") long rows,
            FloatPointer lse, FloatPointer logp, Pointer stream);

    public static native void leanpo_cuda_tile_grad(
            FloatPointer tile, @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("int64_t") long ld,
            @Cast("int64_t") long colBegin, @Const FloatPointer bias, @Cast("const int64_t*") LongPointer targets,
            @Cast("int64_t") long ignoreIndex, @Const FloatPointer lse, @Const FloatPointer rowWeight, Pointer out, int outDtype,
            @Cast("int64_t") long outLd, @Cast("const uint64_t*") LongPointer status, Pointer stream);

    public static native void leanpo_cuda_convert(@Const Pointer src, int srcDtype, Pointer dst, int dstDtype,
                                                  @Cast("int64_t") long n, Pointer stream);

    public static native void leanpo_cuda_gather_rows(@Const Pointer src, @Cast("int64_t") long rowBytes,
                                                      @Cast("const int64_t*") LongPointer index, @Cast("int64_t") long n,
                                                      Pointer dst, Pointer stream);

    public static native void leanpo_cuda_scatter_rows(@Const Pointer src, @Cast("int64_t") long rowBytes,
                                                       @Cast("const int64_t*") LongPointer index, @Cast("int64_t") long n,
                                                       Pointer dst, Pointer stream);
}
