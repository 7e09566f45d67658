package io.github.leanpo.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round trip of a tensor larger than 2 GiB (so that both writer and reader need several 1 GiB
 * pieces and offsets beyond {@code Integer.MAX_VALUE}). Needs about 5.5 GiB of native memory and
 * 2.5 GiB of disk; it runs in every build because the 2 GiB boundary is exactly where JavaCPP buffers break.
 */
class SafetensorsLargeTensorTest {

    @TempDir
    Path dir;

    @Test
    void tensorLargerThanTwoGiBRoundTrips() throws IOException {
        long len = (5L << 29) + 3; // 2.5 GiB + 3 bytes
        long[] probes = {0, 1, (1L << 30) - 1, 1L << 30, Integer.MAX_VALUE, 1L << 31, (1L << 31) + 1,
                (5L << 29) - 1, 5L << 29, len - 2, len - 1};
        Path p = dir.resolve("large.safetensors");
        try (BytePointer src = new BytePointer(len)) {
            for (long i : probes) {
                src.put(i, (byte) (i * 31 + 7));
            }
            new SafetensorsWriter()
                    .addF32("head", new long[] {2}, new float[] {1f, 2f})
                    .add("big", SafetensorsDType.U8, new long[] {len}, src)
                    .write(p);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(len, f.info("big").byteLength());
            assertEquals(8, f.info("big").begin());
            IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
                    () -> f.readIndices("big"));
            assertTrue(wrongType.getMessage().contains("'big'"), wrongType.getMessage());
            try (BytePointer got = f.read("big")) {
                assertEquals(len, got.limit());
                for (long i : probes) {
                    assertEquals((byte) (i * 31 + 7), got.get(i), "byte " + i);
                }
                assertEquals(0, got.get(12345));
                assertEquals(0, got.get((1L << 31) + 12345));
            }
        }
    }

    @Test
    void tooManyElementsForJavaArrayIsAClearError() throws IOException {
        long numel = 1L << 31; // F32: 8 GiB, written as a sparse file
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + numel + "],\"data_offsets\":[0,"
                + (numel * 4) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("sparse.safetensors");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(h.length).put(h).flip();
            ch.write(b);
            ch.write(ByteBuffer.wrap(new byte[] {0}), 8 + h.length + numel * 4 - 1);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(numel, f.info("w").numel());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.readF32("w"));
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("Java array"), e.getMessage());
        }
    }
}
