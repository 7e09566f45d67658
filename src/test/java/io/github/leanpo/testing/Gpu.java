package io.github.leanpo.testing;

import io.github.leanpo.engine.CudaBackend;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.nativelib.CudaCalls;
import io.github.leanpo.nativelib.RawPointer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Device memory for GPU tests: uploads host arrays as {@link DeviceTensor}s, downloads results, and frees
 * everything it allocated on {@link #close()}. Synchronous (default stream).
 */
public final class Gpu implements AutoCloseable {
    private final List<Long> owned = new ArrayList<>();

    /** Null when a CUDA backend can run here, else why not (the GPU tests skip themselves with it). */
    public static String unavailable() {
        return CudaBackend.unavailableReason();
    }

    private DeviceTensor alloc(long bytes, DType dtype, long n) {
        long a = CudaCalls.malloc(Math.max(1, bytes), null);
        owned.add(a);
        return DeviceTensor.of(a, dtype, n);
    }

    private DeviceTensor put(Pointer host, long bytes, DType dtype, long n) {
        DeviceTensor d = alloc(bytes, dtype, n);
        CudaCalls.memcpy(RawPointer.ofAddress(d.address(), bytes), host, bytes, null);
        CudaCalls.synchronize(null);
        return d;
    }

    public DeviceTensor upload(float[] a) {
        try (FloatPointer p = new FloatPointer(a)) {
            return put(p, a.length * 4L, DType.F32, a.length);
        }
    }

    public DeviceTensor upload(short[] a, DType dtype) {
        try (ShortPointer p = new ShortPointer(a)) {
            return put(p, a.length * 2L, dtype, a.length);
        }
    }

    public DeviceTensor upload(long[] a) {
        try (LongPointer p = new LongPointer(a)) {
            return put(p, a.length * 8L, DType.I64, a.length);
        }
    }

    /** {@code n} elements whose bytes are all 0xFF: NaN in every float type, so unwritten elements show. */
    public DeviceTensor poisoned(DType dtype, long n) {
        DeviceTensor d = alloc(n * dtype.byteSize(), dtype, n);
        CudaCalls.memset(RawPointer.ofAddress(d.address(), n * dtype.byteSize()), 0xFF, n * dtype.byteSize(), null);
        return d;
    }

    /** Copies a device tensor into a host array of its kind (float[] for F32, short[] for BF16/F16). */
    public void download(DeviceTensor d, Object array) {
        long bytes = d.numel() * d.dtype().byteSize();
        CudaCalls.synchronize(null);
        if (array instanceof float[] f) {
            try (FloatPointer p = new FloatPointer(f.length)) {
                CudaCalls.memcpy(p, RawPointer.ofAddress(d.address(), bytes), bytes, null);
                CudaCalls.synchronize(null);
                p.get(f);
            }
        } else if (array instanceof short[] s) {
            try (ShortPointer p = new ShortPointer(s.length)) {
                CudaCalls.memcpy(p, RawPointer.ofAddress(d.address(), bytes), bytes, null);
                CudaCalls.synchronize(null);
                p.get(s);
            }
        } else {
            throw new IllegalArgumentException("float[] or short[] expected");
        }
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
