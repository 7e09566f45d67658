package io.github.leanpo.engine;

import io.github.leanpo.nativelib.CudaCalls;
import io.github.leanpo.nativelib.RawPointer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;

/**
 * GPU memory owned until {@link #close()}: blocks from the current device's stream-ordered pool,
 * allocated and freed on one stream, as {@link DeviceTensor} views. Copies to and from the host wait
 * for the stream, so host data is ready when they return. For buffers that outlive one loss call (a
 * compacted batch, benchmark inputs, tests); one call's own temporaries live in its {@link Kernels}.
 * Not thread-safe; close is idempotent.
 */
public final class DeviceMemory implements AutoCloseable {
    private final Pointer stream;
    private final List<Long> owned = new ArrayList<>();

    /** @param stream the CUDA stream (address; 0 = the default stream) */
    public DeviceMemory(long stream) {
        this.stream = CudaCalls.stream(stream);
    }

    /** {@code n} elements of {@code dtype}, uninitialised. */
    public DeviceTensor alloc(DType dtype, long n) {
        return DeviceTensor.of(allocBytes(n * dtype.byteSize()).address(), dtype, n);
    }

    /** {@code bytes} bytes, uninitialised, as a raw pointer. */
    public Pointer allocBytes(long bytes) {
        long a = CudaCalls.malloc(Math.max(1, bytes), stream);
        owned.add(a);
        return RawPointer.ofAddress(a, bytes);
    }

    /** {@code n} elements of {@code dtype} holding a copy of the host memory at {@code host} (from its current element). */
    public DeviceTensor upload(Pointer host, DType dtype, long n) {
        DeviceTensor d = alloc(dtype, n);
        CudaCalls.memcpy(raw(d), host, n * dtype.byteSize(), stream);
        CudaCalls.synchronize(stream);
        return d;
    }

    /** Copies all of {@code d} into host memory at {@code host} and waits for it. */
    public void download(DeviceTensor d, Pointer host) {
        CudaCalls.memcpy(host, raw(d), d.numel() * d.dtype().byteSize(), stream);
        CudaCalls.synchronize(stream);
    }

    /** dst ← src (as many bytes as src holds), on the stream. */
    public void copy(DeviceTensor dst, DeviceTensor src) {
        CudaCalls.memcpy(raw(dst), raw(src), src.numel() * src.dtype().byteSize(), stream);
    }

    /** Every byte of {@code d} set to {@code value}, on the stream. */
    public void fill(DeviceTensor d, int value) {
        CudaCalls.memset(raw(d), value, d.numel() * d.dtype().byteSize(), stream);
    }

    public void synchronize() {
        CudaCalls.synchronize(stream);
    }

    /** A raw pointer at a device tensor's first element. */
    public static Pointer raw(DeviceTensor d) {
        return d.at(0);
    }

    @Override
    public void close() {
        // stream-ordered: each block is released after the work enqueued before it
        for (long a : owned) {
            CudaCalls.free(a, stream);
        }
        owned.clear();
    }
}
