package io.github.leanpo.engine;

import io.github.leanpo.nativelib.RawPointer;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A borrowed, flat view of host memory with an element type: a Java array, a direct NIO buffer (from
 * its position to its limit) or a JavaCPP {@link Pointer} (from its position, with an explicit element
 * count). leanpo never copies the large operands behind it and never frees them: the caller owns the
 * memory and must keep it alive and unmodified during a call. bf16 and f16 data are 16-bit patterns in
 * {@code short[]} or {@link ShortBuffer}. Shapes are given by the call that uses the view.
 */
public final class HostTensor implements Tensor {
    private final DType dtype;
    private final long numel;
    private final Object array; // float[], short[], int[] or long[]; null for native memory
    private final Object owner; // the buffer or Pointer the view came from, kept reachable while the view is
    private final long address;

    private HostTensor(DType dtype, long numel, Object array, Object owner, long address) {
        this.dtype = dtype;
        this.numel = numel;
        this.array = array;
        this.owner = owner;
        this.address = address;
    }

    /** An f32 view of a float array. */
    public static HostTensor of(float[] a) {
        return new HostTensor(DType.F32, a.length, a, null, 0);
    }

    /** A bf16 view of 16-bit patterns (the upper half of an f32). */
    public static HostTensor bf16(short[] a) {
        return new HostTensor(DType.BF16, a.length, a, null, 0);
    }

    /** An IEEE f16 view of 16-bit patterns. */
    public static HostTensor f16(short[] a) {
        return new HostTensor(DType.F16, a.length, a, null, 0);
    }

    /** A 16-bit view: {@code dtype} is BF16 or F16. */
    public static HostTensor of(short[] a, DType dtype) {
        if (dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("a short[] holds bf16 or f16 data, not " + dtype);
        }
        return new HostTensor(dtype, a.length, a, null, 0);
    }

    public static HostTensor of(int[] a) {
        return new HostTensor(DType.I32, a.length, a, null, 0);
    }

    public static HostTensor of(long[] a) {
        return new HostTensor(DType.I64, a.length, a, null, 0);
    }

    /**
     * A view of a direct buffer from its position to its limit. Typed buffers must agree with
     * {@code dtype}'s element size, and byte-backed buffers must be in native byte order.
     *
     * @throws IllegalArgumentException for a heap buffer, a wrong element type or a foreign byte order
     */
    public static HostTensor of(Buffer buffer, DType dtype) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("a " + buffer.getClass().getSimpleName()
                    + " on the Java heap cannot be passed to native code without a copy; use a direct buffer or a Java array");
        }
        int elem;
        if (buffer instanceof ByteBuffer b) {
            requireNativeOrder(b.order());
            if (b.remaining() % dtype.byteSize() != 0) {
                throw new IllegalArgumentException("a ByteBuffer of " + b.remaining() + " bytes is not a whole number of "
                        + dtype + " elements");
            }
            RawPointer p = RawPointer.ofBuffer(b, 1);
            return new HostTensor(dtype, b.remaining() / dtype.byteSize(), null, buffer, p.address());
        } else if (buffer instanceof FloatBuffer f) {
            requireNativeOrder(f.order());
            elem = 4;
            requireType(dtype, DType.F32, "FloatBuffer");
        } else if (buffer instanceof ShortBuffer s) {
            requireNativeOrder(s.order());
            elem = 2;
            if (dtype != DType.BF16 && dtype != DType.F16) {
                throw new IllegalArgumentException("a ShortBuffer holds bf16 or f16 data, not " + dtype);
            }
        } else if (buffer instanceof IntBuffer i) {
            requireNativeOrder(i.order());
            elem = 4;
            requireType(dtype, DType.I32, "IntBuffer");
        } else if (buffer instanceof LongBuffer l) {
            requireNativeOrder(l.order());
            elem = 8;
            requireType(dtype, DType.I64, "LongBuffer");
        } else {
            throw new IllegalArgumentException("unsupported buffer type " + buffer.getClass().getName());
        }
        RawPointer p = RawPointer.ofBuffer(buffer, elem);
        return new HostTensor(dtype, buffer.remaining(), null, buffer, p.address());
    }

    /**
     * A view of {@code numel} elements of native memory starting at {@code pointer}'s position. When the pointer knows
     * its size (a limit above its position, as JavaCPP allocations have), {@code numel} must fit in it; a pointer of
     * unknown size (limit 0, as from {@code Tensor.data_ptr()}) is taken at its word.
     *
     * @throws IllegalArgumentException for a null pointer, a negative count, or more elements than the pointer holds
     */
    public static HostTensor of(Pointer pointer, DType dtype, long numel) {
        if (numel < 0) {
            throw new IllegalArgumentException("negative element count " + numel);
        }
        RawPointer p = RawPointer.ofPointer(pointer);
        // Past the known end, native code would read or write someone else's memory, or fault and take the JVM down.
        if (p.limit() > 0 && numel > p.limit() / dtype.byteSize()) {
            throw new IllegalArgumentException("the pointer holds " + p.limit() + " bytes from its position, fewer than " + numel + " "
                    + dtype + " elements need; pass the element count it holds, or set its limit");
        }
        return new HostTensor(dtype, numel, null, pointer, p.address());
    }

    private static void requireNativeOrder(ByteOrder order) {
        if (order != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("buffer byte order is " + order + " but native code reads "
                    + ByteOrder.nativeOrder() + "; call order(ByteOrder.nativeOrder()) on the ByteBuffer first");
        }
    }

    private static void requireType(DType got, DType want, String kind) {
        if (got != want) {
            throw new IllegalArgumentException("a " + kind + " holds " + want + " data, not " + got);
        }
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long numel() {
        return numel;
    }

    /** True when the data is a Java array (passed to native code without a copy, in a JNI critical region). */
    public boolean isArray() {
        return array != null;
    }

    /** What native calls take: the Java array itself, or a raw pointer at the first element. */
    public Object nativeArgument() {
        if (array != null) {
            return array;
        }
        return RawPointer.ofAddress(address, numel * dtype.byteSize());
    }

    @Override
    public boolean sameStorage(Tensor other) {
        if (!(other instanceof HostTensor o)) {
            return false;
        }
        if (array != null || o.array != null) {
            return array == o.array;
        }
        return address == o.address;
    }

    /** Reads the first {@code n} elements of an I32 or I64 view as longs. */
    public long[] readIndices(int n) {
        if (n > numel) {
            throw new IllegalArgumentException("asked for " + n + " elements of a view holding " + numel);
        }
        long[] out = new long[n];
        if (array instanceof int[] a) {
            for (int i = 0; i < n; i++) {
                out[i] = a[i];
            }
        } else if (array instanceof long[] a) {
            System.arraycopy(a, 0, out, 0, n);
        } else if (array == null && dtype == DType.I32) {
            int[] tmp = new int[n];
            new IntPointer(RawPointer.ofAddress(address, (long) n * 4)).get(tmp);
            for (int i = 0; i < n; i++) {
                out[i] = tmp[i];
            }
        } else if (array == null && dtype == DType.I64) {
            new LongPointer(RawPointer.ofAddress(address, (long) n * 8)).get(out);
        } else {
            throw new IllegalArgumentException("expected i32 or i64 data, got " + dtype);
        }
        return out;
    }

    /** Reads the first {@code n} elements of an F32 view. */
    public float[] readFloats(int n) {
        if (dtype != DType.F32) {
            throw new IllegalArgumentException("expected f32 data, got " + dtype);
        }
        if (n > numel) {
            throw new IllegalArgumentException("asked for " + n + " elements of a view holding " + numel);
        }
        float[] out = new float[n];
        if (array instanceof float[] a) {
            System.arraycopy(a, 0, out, 0, n);
        } else {
            new FloatPointer(RawPointer.ofAddress(address, (long) n * 4)).get(out);
        }
        return out;
    }

    @Override
    public String toString() {
        String kind = array != null ? array.getClass().getSimpleName() : owner.getClass().getSimpleName();
        return "HostTensor[" + dtype + " x " + numel + ", " + kind + "]";
    }

    /**
     * Native memory holding this view's data: the view itself when it already is native memory, or a
     * native copy of a Java array (allocated in the caller's current {@link org.bytedeco.javacpp.PointerScope}).
     * Native BLAS cannot read a Java array without a copy, so this is the one copy the boundary forces.
     */
    HostTensor nativeView() {
        if (array == null) {
            return this;
        }
        long bytes = numel * dtype.byteSize();
        org.bytedeco.javacpp.BytePointer copy = new org.bytedeco.javacpp.BytePointer(bytes);
        if (array instanceof float[] a) {
            new FloatPointer(copy).put(a);
        } else if (array instanceof short[] a) {
            new org.bytedeco.javacpp.ShortPointer(copy).put(a);
        } else if (array instanceof int[] a) {
            new IntPointer(copy).put(a);
        } else if (array instanceof long[] a) {
            new LongPointer(copy).put(a);
        }
        return new HostTensor(dtype, numel, null, copy, copy.address());
    }

    /** Native scratch of this view's dtype and size, whose contents go back with {@link #copyBackTo}; the view itself if native. */
    HostTensor nativeStaging() {
        if (array == null) {
            return this;
        }
        org.bytedeco.javacpp.BytePointer p = new org.bytedeco.javacpp.BytePointer(numel * dtype.byteSize());
        return new HostTensor(dtype, numel, null, p, p.address());
    }

    /** Copies a staging view made by {@link #nativeStaging()} (or {@link #nativeView()}) back into this view's array. */
    void copyBackTo(HostTensor staging) {
        if (staging == this || array == null) {
            return;
        }
        if (array instanceof float[] a) {
            new FloatPointer(staging.at(0)).get(a);
        } else if (array instanceof short[] a) {
            new org.bytedeco.javacpp.ShortPointer(staging.at(0)).get(a);
        } else {
            throw new IllegalStateException("only float or 16-bit outputs are staged");
        }
    }

    /** A raw pointer at element {@code elem} of a native view. */
    RawPointer at(long elem) {
        if (array != null) {
            throw new IllegalStateException("a Java array has no stable native address; use nativeView() first");
        }
        return RawPointer.ofAddress(address + elem * dtype.byteSize(), (numel - elem) * dtype.byteSize());
    }

    /** An fp32 pointer at element {@code elem} of a native F32 view. */
    FloatPointer f32At(long elem) {
        if (dtype != DType.F32) {
            throw new IllegalStateException("expected an f32 view, got " + dtype);
        }
        long n = numel - elem;
        return new FloatPointer(at(elem)).capacity(n).limit(n);
    }
}
