package io.github.leanpo.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer round trips, header layout and atomic replacement. */
class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static long headerLength(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void roundTripsSeveralDtypesAndShapes() throws IOException {
        float[] w = {1f, -2.5f, 3.25f, Float.NaN, Float.NEGATIVE_INFINITY, 6f};
        long[] ids = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE};
        int[] small = {1, -2, 3, Integer.MIN_VALUE};
        Path p = dir.resolve("model.safetensors");
        try (DoublePointer f64 = new DoublePointer(Math.PI, -0.0, 1e300);
             ShortPointer bf16 = new ShortPointer((short) 0x3F80, (short) 0xC000); // 1.0, -2.0
             BytePointer u8 = new BytePointer((byte) 0, (byte) 200, (byte) 255);
             BytePointer bool = new BytePointer((byte) 1, (byte) 0)) {
            new SafetensorsWriter()
                    .addF32("layer.weight", new long[] {2, 3}, w)
                    .addI64("ids", new long[] {4}, ids)
                    .addI32("small", new long[] {2, 1, 2}, small)
                    .addF32("scalar", new long[] {}, new float[] {42f})
                    .addF32("empty", new long[] {0, 5}, new float[0])
                    .add("f64", SafetensorsDType.F64, new long[] {3}, f64)
                    .add("bf16", SafetensorsDType.BF16, new long[] {1, 2}, bf16)
                    .add("u8", SafetensorsDType.U8, new long[] {3}, u8)
                    .add("mask", SafetensorsDType.BOOL, new long[] {2}, bool)
                    .write(p);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("layer.weight", "ids", "small", "scalar", "empty", "f64", "bf16", "u8", "mask"),
                    List.copyOf(f.tensors().keySet()));
            assertArrayEquals(new long[] {2, 3}, f.info("layer.weight").shape());
            assertArrayEquals(w, f.readF32("layer.weight"));
            assertArrayEquals(ids, f.readIndices("ids"));
            assertEquals(SafetensorsDType.I32, f.info("small").dtype());
            assertArrayEquals(new long[] {2, 1, 2}, f.info("small").shape());
            assertArrayEquals(new long[] {1, -2, 3, Integer.MIN_VALUE}, f.readIndices("small"));

            SafetensorsFile.TensorInfo scalar = f.info("scalar");
            assertEquals(0, scalar.rank());
            assertEquals(1, scalar.numel());
            assertEquals(4, scalar.byteLength());
            assertArrayEquals(new float[] {42f}, f.readF32("scalar"));

            SafetensorsFile.TensorInfo empty = f.info("empty");
            assertArrayEquals(new long[] {0, 5}, empty.shape());
            assertEquals(0, empty.numel());
            assertEquals(empty.begin(), empty.end());
            assertEquals(0, f.readF32("empty").length);

            try (BytePointer b = f.read("f64")) {
                ByteBuffer bb = b.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(Math.PI, bb.getDouble(0));
                assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(bb.getDouble(8)));
                assertEquals(1e300, bb.getDouble(16));
            }
            try (BytePointer b = f.read("bf16")) {
                assertEquals(SafetensorsDType.BF16, f.info("bf16").dtype());
                assertEquals(4, b.limit());
                ByteBuffer bb = b.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                assertEquals((short) 0x3F80, bb.getShort(0));
                assertEquals((short) 0xC000, bb.getShort(2));
            }
            try (BytePointer b = f.read("u8")) {
                assertEquals(200, b.get(1) & 0xFF);
                assertEquals(255, b.get(2) & 0xFF);
            }
            try (BytePointer b = f.read("mask")) {
                assertEquals(1, b.get(0));
                assertEquals(0, b.get(1));
            }
            // the data region is exactly the sum of the tensors, in insertion order
            assertEquals(24 + 32 + 16 + 4 + 0 + 24 + 4 + 3 + 2, f.dataRegionSize());
            assertEquals(0, f.info("layer.weight").begin());
            assertEquals(24, f.info("ids").begin());
        }
    }

    @Test
    void metadataRoundTrips() throws IOException {
        Path p = dir.resolve("meta.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("step", "1200")
                .metadata("unicode", "\u00e9\u4e2d\"quoted\"")
                .addF32("w", new long[] {1}, new float[] {1f})
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("format", "pt");
            expected.put("step", "1200");
            expected.put("unicode", "\u00e9\u4e2d\"quoted\"");
            assertEquals(expected, f.metadata());
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(f.metadata().keySet()));
            assertEquals(List.of("w"), List.copyOf(f.tensors().keySet()));
        }
    }

    @Test
    void headerIsPaddedWithSpacesToMultipleOfEight() throws IOException {
        for (int nameLength = 1; nameLength <= 16; nameLength++) {
            Path p = dir.resolve("pad" + nameLength + ".safetensors");
            new SafetensorsWriter().addF32("x".repeat(nameLength), new long[] {1}, new float[] {7f}).write(p);
            long n = headerLength(p);
            assertEquals(0, n % 8, "header length " + n + " for name length " + nameLength);
            byte[] all = Files.readAllBytes(p);
            assertEquals(8 + n + 4, all.length);
            String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
            String trimmed = header.stripTrailing();
            assertTrue(trimmed.endsWith("}"), header);
            assertTrue(header.substring(trimmed.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
            assertTrue(header.length() - trimmed.length() < 8);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertArrayEquals(new float[] {7f}, f.readF32("x".repeat(nameLength)));
            }
        }
    }

    @Test
    void emptyWriterProducesValidFile() throws IOException {
        Path p = dir.resolve("empty.safetensors");
        new SafetensorsWriter().write(p);
        assertEquals(8, headerLength(p));
        assertEquals(16, Files.size(p));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertTrue(f.tensors().isEmpty());
        }
    }

    @Test
    void nativeDataIsWrittenInPiecesAndHonoursPosition() throws IOException {
        Path p = dir.resolve("pieces.safetensors");
        float[] values = new float[41];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 1.5f;
        }
        try (FloatPointer all = new FloatPointer(values)) {
            // elements [3, 40) only
            all.position(3).limit(40);
            new SafetensorsWriter().add("slice", SafetensorsDType.F32, new long[] {37}, all).write(p, 7);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            float[] got = f.readF32("slice");
            assertEquals(37, got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(values[i + 3], got[i], "element " + i);
            }
        }
    }

    @Test
    void addRejectsSizeMismatchAndBadNames() {
        SafetensorsWriter w = new SafetensorsWriter();
        try (FloatPointer fp = new FloatPointer(3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> w.add("w", SafetensorsDType.F32, new long[] {2, 2}, fp));
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("12") && e.getMessage().contains("16"),
                    e.getMessage());
            // 3 floats = 12 bytes = 6 x F16: accepted
            w.add("h", SafetensorsDType.F16, new long[] {6}, fp);
        }
        assertThrows(IllegalArgumentException.class, () -> w.addF32("h", new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.addF32("__metadata__", new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.addF32("v", new long[] {3}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> w.addI64("v", new long[] {-1}, new long[0]));
        assertThrows(IllegalArgumentException.class,
                () -> w.addI32("v", new long[] {1L << 40, 1L << 40}, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> w.add("v", SafetensorsDType.F32, new long[] {1}, null));
        w.add("empty", SafetensorsDType.F32, new long[] {0}, null);
    }

    @Test
    void writeReplacesExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("out.safetensors");
        Files.writeString(p, "old contents");
        new SafetensorsWriter().addI64("step", new long[] {}, new long[] {5}).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertArrayEquals(new long[] {5}, f.readIndices("step"));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    @Test
    void failedWriteLeavesTargetAndNoTemporaryFiles() throws IOException {
        // a non-empty directory cannot be replaced by a file: the move fails
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Path inside = Files.writeString(target.resolve("keep.txt"), "keep");
        SafetensorsWriter w = new SafetensorsWriter().addF32("w", new long[] {1}, new float[] {1f});
        assertThrows(IOException.class, () -> w.write(target));
        assertTrue(Files.isDirectory(target));
        assertEquals("keep", Files.readString(inside));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList(), "temporary file was cleaned up");
        }
    }

    @Test
    void severalTensorsFromOneAllocationViaPositionAndLimit() throws IOException {
        Path p = dir.resolve("shared.safetensors");
        try (FloatPointer buf = new FloatPointer(1f, 2f, 3f, 4f, 5f)) {
            SafetensorsWriter w = new SafetensorsWriter();
            w.add("first", SafetensorsDType.F32, new long[] {2}, buf.position(0).limit(2));
            w.add("rest", SafetensorsDType.F32, new long[] {3}, buf.position(2).limit(5));
            buf.position(0).limit(0); // later changes do not affect what was added
            w.write(p);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertArrayEquals(new float[] {1f, 2f}, f.readF32("first"));
            assertArrayEquals(new float[] {3f, 4f, 5f}, f.readF32("rest"));
        }
    }

    @Test
    void releasedNativeMemoryIsDetectedAndNothingIsWritten() throws IOException {
        Path p = dir.resolve("released.safetensors");
        FloatPointer buf = new FloatPointer(1f, 2f);
        SafetensorsWriter w = new SafetensorsWriter().add("w", SafetensorsDType.F32, new long[] {2}, buf);
        buf.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.write(p));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList());
        }
    }
}
