package io.github.leanpo.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** The 1 GiB pieces must map to the right addresses even beyond 2 GiB into an allocation. */
class NativeSlicesTest {

    /** Describes (never dereferences) a 3 GiB region at a made-up address. */
    private static final class FakeRegion extends Pointer {
        FakeRegion(long address, long bytes) {
            this.address = address;
            this.limit = bytes;
            this.capacity = bytes;
        }

        @Override
        public int sizeof() {
            return 1;
        }
    }

    @Test
    void sliceBeyondTwoGiBHasRightAddressAndLength() {
        long base = 1L << 40;
        FakeRegion region = new FakeRegion(base, 3L << 30);
        long offset = (1L << 31) + 5;
        ByteBuffer b = NativeSlices.slice(region, offset, 1L << 30);
        assertEquals(0, b.position());
        assertEquals(1 << 30, b.remaining());
        assertEquals(base + offset, new BytePointer(b).address());
    }

    @Test
    void sliceHonoursElementPositionAndReadsRealMemory() {
        try (IntPointer ints = new IntPointer(10, 11, 12, 13, 14)) {
            ints.position(2); // element 2 = byte 8
            ByteBuffer b = NativeSlices.slice(ints, 4, 8).order(java.nio.ByteOrder.nativeOrder());
            assertEquals(13, b.getInt(0));
            assertEquals(14, b.getInt(4));
        }
    }

    @Test
    void rejectsBadArguments() {
        try (BytePointer p = new BytePointer(4)) {
            assertThrows(IllegalArgumentException.class, () -> NativeSlices.slice(p, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> NativeSlices.slice(p, -1, 2));
            assertThrows(IllegalArgumentException.class, () -> NativeSlices.slice(p, 0, 1L << 31));
        }
        assertThrows(IllegalArgumentException.class, () -> NativeSlices.slice(new BytePointer(), 0, 1));
    }
}
