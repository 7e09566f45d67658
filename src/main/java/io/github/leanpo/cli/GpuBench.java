package io.github.leanpo.cli;

import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceMemory;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.nativelib.CudaCalls;
import io.github.leanpo.nativelib.DeviceGemm;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The ceilings {@code leanpo bench --backend cuda} measures in its own process, on device memory it
 * takes from the {@link DeviceMemory} the run's inputs live in: device copy bandwidth, and the rate of
 * the head's own products in cuBLAS.
 */
final class GpuBench {
    private GpuBench() {}

    /** Device-to-device copy of {@code bytes} (at least 1 GiB, many times the L2), bytes read + written per second, median of 7. */
    static double copyBandwidth(DeviceMemory mem, long bytes) {
        bytes = Math.max(bytes, 1L << 30);
        DeviceTensor a = mem.alloc(DType.F32, bytes / 4);
        DeviceTensor b = mem.alloc(DType.F32, bytes / 4);
        mem.fill(a, 1);
        double[] t = new double[7];
        for (int i = -1; i < t.length; i++) {
            mem.synchronize();
            long t0 = System.nanoTime();
            mem.copy(b, a);
            mem.synchronize();
            if (i >= 0) {
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        return 2.0 * bytes / BenchCommand.median(t);
    }

    /**
     * The ceiling of the fused-linear head: the rate of the three products of one chunk of {@code c} rows over the whole
     * vocabulary (X = H·Wᵀ, dH = G·W, dW += Gᵀ·H) in cuBLAS, operands of the head's type, fp32 out, median of 3.
     */
    static double gemmRate(DeviceMemory mem, long c, long d, long vocab, DType dt, DeviceTensor h, DeviceTensor w) {
        Pointer x = DeviceMemory.raw(mem.alloc(DType.F32, c * vocab));
        DeviceTensor g = mem.alloc(dt, c * vocab);
        Pointer dh = DeviceMemory.raw(mem.alloc(DType.F32, c * d));
        Pointer dw = DeviceMemory.raw(mem.alloc(DType.F32, vocab * d));
        mem.fill(g, 0x11);  // small finite values in every float type
        try (DeviceGemm gemm = DeviceGemm.open()) {
            double[] t = new double[3];
            int code = dt.nativeCode();
            for (int rep = -1; rep < t.length; rep++) {
                mem.synchronize();
                long t0 = System.nanoTime();
                gemm.gemm(null, false, true, c, vocab, d, DeviceMemory.raw(h), d, DeviceMemory.raw(w), d, code, 0f, new FloatPointer(x), vocab);
                gemm.gemm(null, false, false, c, d, vocab, DeviceMemory.raw(g), vocab, DeviceMemory.raw(w), d, code, 0f, new FloatPointer(dh), d);
                gemm.gemm(null, true, false, vocab, d, c, DeviceMemory.raw(g), vocab, DeviceMemory.raw(h), d, code, 1f, new FloatPointer(dw), d);
                CudaCalls.synchronize(null);
                if (rep >= 0) {
                    t[rep] = (System.nanoTime() - t0) / 1e9;
                }
            }
            return 6.0 * c * d * vocab / BenchCommand.median(t);
        }
    }
}
