package io.github.leanpo.testing;

import io.github.leanpo.engine.CudaBackend;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceMemory;
import io.github.leanpo.engine.DeviceTensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Device memory for GPU tests, with Java arrays in and out: a {@link DeviceMemory} on the default stream
 * that frees everything on {@link #close()}.
 */
public final class Gpu implements AutoCloseable {
    private final DeviceMemory mem = new DeviceMemory(0);

    /** Null when a CUDA backend can run here, else why not (the GPU tests skip themselves with it). */
    public static String unavailable() {
        return CudaBackend.unavailableReason();
    }

    public DeviceTensor upload(float[] a) {
        try (FloatPointer p = new FloatPointer(a)) {
            return mem.upload(p, DType.F32, a.length);
        }
    }

    public DeviceTensor upload(short[] a, DType dtype) {
        try (ShortPointer p = new ShortPointer(a)) {
            return mem.upload(p, dtype, a.length);
        }
    }

    public DeviceTensor upload(long[] a) {
        try (LongPointer p = new LongPointer(a)) {
            return mem.upload(p, DType.I64, a.length);
        }
    }

    /** {@code n} elements whose bytes are all 0xFF: NaN in every float type, so unwritten elements show. */
    public DeviceTensor poisoned(DType dtype, long n) {
        DeviceTensor d = mem.alloc(dtype, n);
        mem.fill(d, 0xFF);
        return d;
    }

    /** Copies a device tensor into a host array of its kind (float[] for F32, short[] for BF16/F16). */
    public void download(DeviceTensor d, Object array) {
        if (array instanceof float[] f) {
            try (FloatPointer p = new FloatPointer(f.length)) {
                mem.download(d, p);
                p.get(f);
            }
        } else if (array instanceof short[] s) {
            try (ShortPointer p = new ShortPointer(s.length)) {
                mem.download(d, p);
                p.get(s);
            }
        } else {
            throw new IllegalArgumentException("float[] or short[] expected");
        }
    }

    @Override
    public void close() {
        mem.synchronize();
        mem.close();
        mem.synchronize();
    }
}
