package io.github.leanpo.nativelib;

import java.nio.Buffer;
import org.bytedeco.javacpp.Pointer;

/**
 * An untyped, borrowed pointer at an exact byte address with position 0, so native code receives
 * precisely the first element the caller meant, whatever kind of memory it came from. It never
 * owns or frees the memory it points to; the memory must outlive the native call.
 */
public final class RawPointer extends Pointer {
    private RawPointer(long address, long bytes) {
        this.address = address;
        this.position = 0;
        this.limit = bytes;
        this.capacity = bytes;
    }

    /** The element at {@code buffer.position()} of a direct buffer whose elements are {@code elementSize} bytes. */
    public static RawPointer ofBuffer(Buffer buffer, int elementSize) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("only direct NIO buffers can be passed to native code; wrap heap data in a Java array instead");
        }
        long base = getDirectBufferAddress(buffer);
        return new RawPointer(base + (long) buffer.position() * elementSize, (long) buffer.remaining() * elementSize);
    }

    /** The element at {@code p.position()} of a JavaCPP pointer. */
    public static RawPointer ofPointer(Pointer p) {
        if (p == null || p.isNull()) {
            throw new IllegalArgumentException("null JavaCPP pointer");
        }
        long size = Math.max(1, p.sizeof());
        long bytes = p.limit() > p.position() ? (p.limit() - p.position()) * size : 0;
        return new RawPointer(p.address() + p.position() * size, bytes);
    }

    /**
     * The exact byte address of {@code p}'s current element, for a native parameter declared {@code void*}: JavaCPP
     * adds a pointer's position in units of the parameter's declared type, so a FloatPointer or LongPointer view with a
     * position must not reach a {@code void*} parameter as it is. Null stays null.
     */
    public static Pointer exact(Pointer p) {
        if (p == null || p.isNull()) {
            return null;
        }
        return p.position() == 0 ? p : ofPointer(p);
    }

    /** A raw device or host address, e.g. from another framework's tensor. */
    public static RawPointer ofAddress(long address, long bytes) {
        if (address == 0) {
            throw new IllegalArgumentException("null address");
        }
        return new RawPointer(address, bytes);
    }
}
