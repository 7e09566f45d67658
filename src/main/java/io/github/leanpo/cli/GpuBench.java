package io.github.leanpo.cli;

import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.nativelib.DeviceGemm;
import io.github.leanpo.nativelib.CudaCalls;
import io.github.leanpo.nativelib.RawPointer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * What {@code leanpo bench --backend cuda} needs around the loss: inputs resident on the GPU (so the
 * timing is the head, not PCIe copies), and the two ceilings measured in the same process: device copy
 * bandwidth and the cuBLAS rate of the head's own products. Frees everything it allocated on close.
 */
final class GpuBench implements AutoCloseable {
    private final List<Long> owned = new ArrayList<>();

    /** {@code n} elements of dt on the device, holding a copy of the host data at {@code host}. */
    DeviceTensor upload(Pointer host, DType dt, long n) {
        DeviceTensor d = alloc(dt, n);
        CudaCalls.memcpy(raw(d), host, n * dt.byteSize(), null);
        CudaCalls.synchronize(null);
        return d;
    }

    DeviceTensor alloc(DType dt, long n) {
        long a = CudaCalls.malloc(Math.max(1, n * dt.byteSize()), null);
        owned.add(a);
        return DeviceTensor.of(a, dt, n);
    }

    static Pointer raw(DeviceTensor d) {
        return RawPointer.ofAddress(d.address(), d.numel() * d.dtype().byteSize());
    }

    void copy(DeviceTensor dst, DeviceTensor src) {
        CudaCalls.memcpy(raw(dst), raw(src), src.numel() * src.dtype().byteSize(), null);
        CudaCalls.synchronize(null);
    }

    /** Device-to-device copy of {@code bytes} (at least 1 GiB, many times the L2), bytes read + written per second, median of 7. */
    double copyBandwidth(long bytes) {
        bytes = Math.max(bytes, 1L << 30);
        DeviceTensor a = alloc(DType.F32, bytes / 4);
        DeviceTensor b = alloc(DType.F32, bytes / 4);
        CudaCalls.memset(raw(a), 1, bytes, null);
        double[] t = new double[7];
        for (int i = -1; i < t.length; i++) {
            CudaCalls.synchronize(null);
            long t0 = System.nanoTime();
            CudaCalls.memcpy(raw(b), raw(a), bytes, null);
            CudaCalls.synchronize(null);
            if (i >= 0) {
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        return 2.0 * bytes / median(t);
    }

    /**
     * The ceiling of the fused-linear head: the rate of the three products of one chunk of {@code c} rows over the whole
     * vocabulary (X = H·Wᵀ, dH = G·W, dW += Gᵀ·H) in cuBLAS, operands of the head's type, fp32 out, median of 3.
     */
    double gemmRate(long c, long d, long vocab, DType dt, DeviceTensor h, DeviceTensor w) {
        DeviceTensor x = alloc(DType.F32, c * vocab);
        DeviceTensor g = alloc(dt, c * vocab);
        DeviceTensor dh = alloc(DType.F32, c * d);
        DeviceTensor dw = alloc(DType.F32, vocab * d);
        CudaCalls.memset(raw(g), 0x11, c * vocab * dt.byteSize(), null);  // small finite values in every type
        try (DeviceGemm cublas = DeviceGemm.open()) {
            double[] t = new double[3];
            for (int rep = -1; rep < t.length; rep++) {
                CudaCalls.synchronize(null);
                long t0 = System.nanoTime();
                int code = dt.nativeCode();
                cublas.gemm(null, false, true, c, vocab, d, raw(h), d, raw(w), d, code, 0f, new FloatPointer(raw(x)), vocab);
                cublas.gemm(null, false, false, c, d, vocab, raw(g), vocab, raw(w), d, code, 0f, new FloatPointer(raw(dh)), d);
                cublas.gemm(null, true, false, vocab, d, c, raw(g), vocab, raw(h), d, code, 1f, new FloatPointer(raw(dw)), d);
                CudaCalls.synchronize(null);
                if (rep >= 0) {
                    t[rep] = (System.nanoTime() - t0) / 1e9;
                }
            }
            return 6.0 * c * d * vocab / median(t);
        }
    }

    static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    @Override
    public void close() {
        CudaCalls.synchronize(null);
        for (long a : owned) {
            CudaCalls.free(a, null);
        }
        owned.clear();
        CudaCalls.synchronize(null);
    }
}
