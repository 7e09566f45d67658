package io.github.leanpo.safetensors;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * Exposes a piece of native memory as a direct {@link ByteBuffer} for NIO channel I/O.
 *
 * <p>{@code Pointer.asByteBuffer()} builds its buffer from the pointer's base address with
 * capacity {@code limit} (clamped to {@code Integer.MAX_VALUE}) and then positions it, so a
 * position/limit window that ends beyond 2 GiB yields a truncated, wrong buffer. Here the window
 * is first rebased onto its own start address, so any piece of at most {@code Integer.MAX_VALUE}
 * bytes anywhere inside a larger allocation maps correctly.
 */
final class NativeSlices {

    private NativeSlices() {
    }

    /** A non-owning pointer at an absolute address; never deallocates anything. */
    private static final class Window extends Pointer {
        Window(long address, long bytes) {
            this.address = address;
            this.position = 0;
            this.limit = bytes;
            this.capacity = bytes;
        }

        @Override
        public int sizeof() {
            return 1;
        }
    }

    /**
     * Returns a direct buffer over {@code length} bytes starting {@code byteOffset} bytes after
     * {@code base}'s current position. The buffer does not keep {@code base} alive: the caller
     * must keep it reachable and unreleased while the buffer is in use.
     *
     * @param base native memory; not null and not a null pointer
     * @param byteOffset offset in bytes from {@code base.address() + base.position() * base.sizeof()}
     * @param length number of bytes, {@code 1 ..  Integer.MAX_VALUE}
     * @return a buffer with position 0 and limit/capacity {@code length}
     */
    static ByteBuffer slice(Pointer base, long byteOffset, long length) {
        if (base == null || base.isNull()) {
            throw new IllegalArgumentException("null native pointer");
        }
        if (byteOffset < 0 || length <= 0 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad native slice: offset " + byteOffset + ", length " + length);
        }
        return sliceAt(base.address() + base.position() * base.sizeof() + byteOffset, length);
    }

    /**
     * Returns a direct buffer over {@code length} bytes at an absolute native address, which the
     * caller must keep valid while the buffer is in use.
     *
     * @param address absolute start address, not 0
     * @param length number of bytes, {@code 1 .. Integer.MAX_VALUE}
     * @return a buffer with position 0 and limit/capacity {@code length}
     */
    static ByteBuffer sliceAt(long address, long length) {
        if (address == 0 || length <= 0 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad native slice: address " + address + ", length " + length);
        }
        ByteBuffer b = new Window(address, length).asByteBuffer();
        if (b == null || b.position() != 0 || b.remaining() != length) {
            throw new IllegalStateException("could not map " + length + " native bytes at address " + address);
        }
        return b;
    }
}
