package io.github.leanpo.engine;

import io.github.leanpo.nativelib.Cublas;
import io.github.leanpo.nativelib.CudaCalls;
import io.github.leanpo.nativelib.DeviceGemm;
import io.github.leanpo.nativelib.NativeCalls;

/**
 * The GPU backend: leanpo's hand-written CUDA kernels (src/main/cuda) and cuBLAS for the products,
 * on one device. Every call's work goes on the stream its batch names, into the caller's buffers when
 * they are device memory; host tensors are copied in and out for the call. The host waits once per
 * call, at the end, for the loss and metrics.
 *
 * <p>Owns a cuBLAS handle until {@link #close()} (idempotent).
 */
public final class CudaBackend implements Backend {
    /**
     * fp32 logits tile of a single-pass chunk on the GPU: 1 GiB (plus half that for the bf16 copy of G) keeps the
     * products large enough for the tensor cores (1765 rows at V = 152064) and the head's scratch a tenth of what the
     * materialised logits, log-softmax and its gradient take in PyTorch at T = 16384.
     */
    static final long SINGLE_PASS_BYTES = 1L << 30;

    private final int device;
    private final DeviceGemm gemm;
    private volatile boolean closed;

    /**
     * @param device the GPU index
     * @throws IllegalStateException when there is no usable GPU, the library was built without CUDA, or cuBLAS cannot be
     *                               loaded, saying which and what to do
     */
    public CudaBackend(int device) {
        String why = unavailableReason();
        if (why != null) {
            throw new IllegalStateException("the CUDA backend is not available: " + why);
        }
        int n = NativeCalls.cudaDeviceCount();
        if (device < 0 || device >= n) {
            throw new IllegalArgumentException("GPU " + device + " does not exist; this machine has " + n + " (0 to " + (n - 1) + ")");
        }
        this.device = device;
        int before = CudaCalls.device();
        CudaCalls.setDevice(device);
        try {
            gemm = DeviceGemm.open();
        } finally {
            CudaCalls.setDevice(before);
        }
    }

    /**
     * Why a CUDA backend cannot be made here, or null when it can. Probes the GPU first and touches the CUDA presets
     * (cuBLAS) only when one is found.
     */
    public static String unavailableReason() {
        NativeCalls.ensureLoaded();
        if (!NativeCalls.cudaCompiled()) {
            return "this libleanpo was built without its CUDA part (no nvcc at build time)";
        }
        if (NativeCalls.cudaDeviceCount() < 1) {
            return NativeCalls.cudaStatus();
        }
        return NativeCalls.cudaEmulated() ? null : Cublas.load();
    }

    public int device() {
        return device;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Kernels open(long stream) {
        if (closed) {
            throw new IllegalStateException("this CUDA backend is closed");
        }
        return new CudaKernels(device, gemm, stream);
    }

    /** One chunk: nothing to keep in a cache between the passes, and one launch per step is cheapest. */
    @Override
    public long logitsChunkBytes() {
        return Long.MAX_VALUE;
    }

    @Override
    public LinearOptions linearDefaults(long vocab) {
        return defaultLinearOptions(vocab);
    }

    /** Chunks of up to 4096 rows whose fp32 logits fit 1 GiB; 16384-column tiles where a pair needs two passes. */
    public static LinearOptions defaultLinearOptions(long vocab) {
        int rows = (int) Math.max(256, Math.min(4096, SINGLE_PASS_BYTES / (4 * Math.max(1, vocab))));
        return new LinearOptions(rows, 16384, SINGLE_PASS_BYTES);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            gemm.close();
        }
    }
}
