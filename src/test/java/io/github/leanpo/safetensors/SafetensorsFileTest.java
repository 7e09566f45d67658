package io.github.leanpo.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Strict header validation and the readers, on hand-crafted files. */
class SafetensorsFileTest {

    @TempDir
    Path dir;

    private int counter;

    // ---------------------------------------------------------------- helpers

    /** 8-byte little-endian length + header bytes + data bytes. */
    private static byte[] raw(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return b.array();
    }

    private static byte[] raw(String headerJson, int dataBytes) {
        return raw(headerJson.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]);
    }

    private Path file(byte[] content) throws IOException {
        Path p = dir.resolve("t" + (counter++) + ".safetensors");
        Files.write(p, content);
        return p;
    }

    /** Opens the crafted file, expects a format error and returns its message. */
    private String rejected(byte[] content) throws IOException {
        Path p = file(content);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                // must not get here
                f.tensors();
            }
        });
        assertTrue(e.getMessage().contains(p.toString()), "message names the file: " + e.getMessage());
        assertEquals(p, e.file());
        return e.getMessage();
    }

    private String rejected(String headerJson, int dataBytes) throws IOException {
        return rejected(raw(headerJson, dataBytes));
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
        }
    }

    private static byte[] f32le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    // ---------------------------------------------------------------- valid files

    @Test
    void readsHandCraftedFile() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8 + 12 + 8).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-2f);            // a: F32 [2]        [0, 8)
        data.putInt(7).putInt(-3).putInt(Integer.MIN_VALUE); // idx: I32 [3] [8, 20)
        data.putLong(Long.MAX_VALUE);                 // big: I64 []       [20, 28)
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"big\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[20,28]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"idx\":{\"dtype\":\"I32\",\"shape\":[3],\"data_offsets\":[8,20]}}   ";
        Path p = file(raw(header.getBytes(StandardCharsets.UTF_8), data.array()));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("big", "a", "idx"), List.copyOf(f.tensors().keySet()), "header order");
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(28, f.dataRegionSize());
            SafetensorsFile.TensorInfo a = f.info("a");
            assertEquals(SafetensorsDType.F32, a.dtype());
            assertArrayEquals(new long[] {2}, a.shape());
            assertEquals(0, a.begin());
            assertEquals(8, a.end());
            assertEquals(2, a.numel());
            assertEquals(8, a.byteLength());
            assertEquals(1, f.info("big").numel(), "scalar has one element");
            assertArrayEquals(new float[] {1.5f, -2f}, f.readF32("a"));
            assertArrayEquals(new long[] {7, -3, Integer.MIN_VALUE}, f.readIndices("idx"));
            assertArrayEquals(new long[] {Long.MAX_VALUE}, f.readIndices("big"));
            try (BytePointer bp = f.read("idx")) {
                assertEquals(12, bp.limit());
                assertEquals(12, bp.capacity());
                assertEquals(7, bp.get(0));
                assertEquals((byte) 0xFD, bp.get(4));
                assertEquals((byte) 0x80, bp.get(11));
            }
        }
    }

    @Test
    void readIntoInSmallPiecesMatchesWholeRead() throws IOException {
        float[] values = new float[37];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 3;
        }
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[37],\"data_offsets\":[0,148]}}";
        Path p = file(raw(header.getBytes(StandardCharsets.UTF_8), f32le(values)));
        try (SafetensorsFile f = SafetensorsFile.open(p);
             BytePointer dst = new BytePointer(148)) {
            f.readInto(f.info("w"), dst, 5); // 30 pieces, the last one partial
            ByteBuffer bb = dst.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i], bb.getFloat(4 * i), "element " + i);
            }
        }
    }

    @Test
    void emptyHeaderObjectWithNoDataIsValid() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file(raw("{}      ", 0)))) {
            assertTrue(f.tensors().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
    }

    @Test
    void zeroSizedTensorsMayShareAnOffset() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"e1\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[8,8]},"
                + "\"e2\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[8,8]}}";
        try (SafetensorsFile f = SafetensorsFile.open(file(raw(header, 8)))) {
            assertEquals(0, f.readF32("e1").length);
            assertEquals(0, f.readIndices("e2").length);
            try (BytePointer bp = f.read("e1")) {
                assertEquals(0, bp.limit());
            }
        }
    }

    // ---------------------------------------------------------------- reader errors

    @Test
    void readF32RejectsWrongDtype() throws IOException {
        String header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        try (SafetensorsFile f = SafetensorsFile.open(file(raw(header, 8)))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.readF32("ids"));
            assertContains(e.getMessage(), "'ids'", "I64", "F32");
        }
    }

    @Test
    void readIndicesRejectsWrongDtype() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = SafetensorsFile.open(file(raw(header, 4)))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.readIndices("w"));
            assertContains(e.getMessage(), "'w'", "F32", "I64", "I32");
        }
    }

    @Test
    void missingTensorNameIsReportedWithAvailableKeys() throws IOException {
        String header = "{\"alpha\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"beta\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        try (SafetensorsFile f = SafetensorsFile.open(file(raw(header, 8)))) {
            NoSuchElementException e = assertThrows(NoSuchElementException.class, () -> f.info("gamma"));
            assertContains(e.getMessage(), "'gamma'", "alpha", "beta");
            assertThrows(NoSuchElementException.class, () -> f.readF32("gamma"));
            assertThrows(NoSuchElementException.class, () -> f.read("gamma"));
            assertThrows(NoSuchElementException.class, () -> f.info("__metadata__"));
        }
    }

    @Test
    void readAfterCloseFails() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        SafetensorsFile f = SafetensorsFile.open(file(raw(header, 4)));
        f.close();
        assertThrows(IllegalStateException.class, () -> f.readF32("w"));
        assertThrows(IllegalStateException.class, () -> f.read("w"));
    }

    @Test
    void fileTruncatedAfterOpenIsReportedOnRead() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        Path p = file(raw(header, 16));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(p) - 6);
            }
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> f.readF32("w"));
            assertContains(e.getMessage(), "'w'", "end of file");
            assertThrows(SafetensorsFormatException.class, () -> f.read("w"));
        }
    }

    // ---------------------------------------------------------------- length prefix

    @Test
    void fileShorterThanEightBytes() throws IOException {
        assertContains(rejected(new byte[5]), "5 bytes", "shorter than the 8-byte");
        assertContains(rejected(new byte[0]), "0 bytes");
    }

    @Test
    void headerLengthBiggerThanFile() throws IOException {
        byte[] content = raw("{}      ", 0);
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 9);
        assertContains(rejected(content), "header length 9", "8 bytes that follow");
    }

    @Test
    void headerLengthAboveLimit() throws IOException {
        byte[] content = raw("{}      ", 0);
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 100L * 1024 * 1024 + 1);
        assertContains(rejected(content), "header length 104857601", "100 MiB");
    }

    @Test
    void headerLengthWithTopBitSetIsTreatedAsUnsigned() throws IOException {
        byte[] content = raw("{}      ", 0);
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        assertContains(rejected(content), "18446744073709551615");
    }

    // ---------------------------------------------------------------- JSON level

    @Test
    void headerNotValidJson() throws IOException {
        assertContains(rejected("{\"a\": {\"dtype\": \"F32\",", 0), "not valid JSON");
        assertContains(rejected("{} {}", 0), "not valid JSON");
        assertContains(rejected("", 0), "JSON object", "empty");
    }

    @Test
    void headerNotValidUtf8() throws IOException {
        byte[] header = "{\"\u00e9\":1}".getBytes(StandardCharsets.UTF_8);
        header[3] = (byte) 0xFF; // break the two-byte sequence of the e-acute
        assertContains(rejected(raw(header, new byte[0])), "UTF-8");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertContains(rejected("[1, 2, 3]", 0), "must be a JSON object", "array");
        assertContains(rejected("null", 0), "must be a JSON object");
    }

    @Test
    void duplicateTensorKeyRejected() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertContains(rejected(header, 8), "Duplicate", "'w'");
    }

    @Test
    void duplicateFieldInsideEntryRejected() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertContains(rejected(header, 4), "Duplicate", "dtype");
    }

    // ---------------------------------------------------------------- entry fields

    @Test
    void entryNotAnObject() throws IOException {
        assertContains(rejected("{\"w\": [1, 2]}", 0), "tensor 'w'", "JSON object");
    }

    @Test
    void missingFields() throws IOException {
        assertContains(rejected("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "missing field 'dtype'");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "missing field 'shape'");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
                "tensor 'w'", "missing field 'data_offsets'");
    }

    @Test
    void wronglyTypedFields() throws IOException {
        assertContains(rejected("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "'dtype' must be a string");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "'shape' must be an array");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "shape[0] must be an integer");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "shape[0] must be an integer");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "shape[0] must be an integer that fits in 64 bits");
    }

    @Test
    void unexpectedFieldRejected() throws IOException {
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
                "tensor 'w'", "unexpected field 'x'");
    }

    @Test
    void unknownDtypeListsKnownOnes() throws IOException {
        String msg = rejected("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        assertContains(msg, "tensor 'w'", "unknown dtype 'F8_E4M3'");
        for (SafetensorsDType t : SafetensorsDType.values()) {
            assertContains(msg, t.specName());
        }
        assertContains(rejected("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "unknown dtype 'f32'");
    }

    @Test
    void negativeDimensionRejected() throws IOException {
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", 0),
                "tensor 'w'", "shape[1] is negative");
    }

    @Test
    void absurdShapeOverflowingElementCountRejected() throws IOException {
        String msg = rejected(
                "{\"huge\":{\"dtype\":\"F32\",\"shape\":[1000000000000,1000000000000],\"data_offsets\":[0,4]}}", 4);
        assertContains(msg, "tensor 'huge'", "element count", "overflows");
    }

    @Test
    void shapeOverflowingByteSizeRejected() throws IOException {
        // 2^62 elements fit in a long, 2^62 * 4 bytes do not
        String msg = rejected(
                "{\"huge\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}", 4);
        assertContains(msg, "tensor 'huge'", "byte size", "overflows");
    }

    @Test
    void hugeButRepresentableClaimDoesNotAllocate() throws IOException {
        // 10^18 bytes claimed in a tiny file: must be a clear error, never an allocation attempt
        String msg = rejected("{\"huge\":{\"dtype\":\"U8\",\"shape\":[1000000000,1000000000],"
                + "\"data_offsets\":[0,1000000000000000000]}}", 4);
        assertContains(msg, "tensor 'huge'", "beyond the data region of 4 bytes");
    }

    @Test
    void malformedDataOffsets() throws IOException {
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
                "tensor 'w'", "two non-negative integers");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4),
                "tensor 'w'", "two non-negative integers");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4),
                "tensor 'w'", "two non-negative integers");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4),
                "tensor 'w'", "two non-negative integers");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0,4\"}}", 4),
                "tensor 'w'", "two non-negative integers");
        assertContains(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4),
                "tensor 'w'", "begin > end");
    }

    @Test
    void sizeMismatchRejected() throws IOException {
        // F32 [2] needs 8 bytes but the offsets span 12
        String msg = rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12);
        assertContains(msg, "tensor 'w'", "span 12 bytes", "needs 8 bytes");
    }

    @Test
    void lyingOffsetsBeyondDataRegionRejected() throws IOException {
        String msg = rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"liar\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 16);
        assertContains(msg, "tensor 'liar'", "beyond the data region of 16 bytes");
    }

    // ---------------------------------------------------------------- tiling

    @Test
    void overlappingTensorsRejected() throws IOException {
        String msg = rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertContains(msg, "'a'", "'b'", "overlap");
    }

    @Test
    void identicalRangesCountAsOverlap() throws IOException {
        String msg = rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertContains(msg, "'a'", "'b'", "overlap");
    }

    @Test
    void holeInDataRegionRejected() throws IOException {
        String msg = rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
        assertContains(msg, "hole", "[4, 8)", "tensor 'b'");
    }

    @Test
    void holeAtStartOfDataRegionRejected() throws IOException {
        String msg = rejected("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertContains(msg, "hole", "[0, 4)", "tensor 'b'");
    }

    @Test
    void trailingBytesRejected() throws IOException {
        String msg = rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 7);
        assertContains(msg, "3 trailing bytes", "'a'");
        assertContains(rejected("{}", 2), "2 trailing bytes");
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void metadataMustBeStringToStringObject() throws IOException {
        assertContains(rejected("{\"__metadata__\":[\"x\"]}", 0), "__metadata__", "JSON object", "array");
        assertContains(rejected("{\"__metadata__\":{\"epoch\":3}}", 0), "__metadata__", "'epoch'",
                "must be a string");
        assertContains(rejected("{\"__metadata__\":{\"k\":{\"nested\":\"v\"}}}", 0), "'k'", "must be a string");
    }

    // ---------------------------------------------------------------- TensorInfo

    @Test
    void tensorInfoCopiesShapeAndValidates() {
        long[] shape = {2, 3};
        SafetensorsFile.TensorInfo t = new SafetensorsFile.TensorInfo("t", SafetensorsDType.BF16, shape, 16, 28);
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, t.shape());
        t.shape()[1] = 99;
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertEquals(6, t.numel());
        assertEquals(12, t.byteLength());
        assertEquals(new SafetensorsFile.TensorInfo("t", SafetensorsDType.BF16, new long[] {2, 3}, 16, 28), t);
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsFile.TensorInfo("t", SafetensorsDType.F32, new long[] {-1}, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsFile.TensorInfo("t", SafetensorsDType.F32, new long[] {2}, 0, 4));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsFile.TensorInfo("t", SafetensorsDType.F64, new long[] {1L << 61}, 0, 8));
    }
}
