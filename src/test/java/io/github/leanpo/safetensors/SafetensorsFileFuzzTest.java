package io.github.leanpo.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.leanpo.testing.Fuzzing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NoSuchElementException;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safetensors reader on arbitrary bytes: truncated files, lying headers (offsets past the end, overlapping or
 * holed tensors, shapes that overflow, wrong types), broken UTF-8 and JSON. Every input either opens, and then every
 * tensor reads back with exactly the bytes its header promised, or is refused with a
 * {@link SafetensorsFormatException} naming the file. Seeds: valid files of each dtype, a scalar, an empty tensor,
 * metadata, and a few classic lies.
 */
@Timeout(Fuzzing.TIMEOUT_S)
class SafetensorsFileFuzzTest {
    @TempDir
    static Path dir;

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    @DictionaryEntries({"\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"BF16\"", "\"F16\"",
            "\"I64\"", "\"I32\"", "\"U8\"", "\"BOOL\"", "\"F64\"", "9223372036854775807", "18446744073709551615", "-1"})
    void openAndReadEveryTensor(byte[] content) throws IOException {
        Path file = dir.resolve("fuzzed.safetensors");
        Files.write(file, content);
        SafetensorsFile f;
        try {
            f = SafetensorsFile.open(file);
        } catch (SafetensorsFormatException e) {
            Fuzzing.assertClear(e);
            assertEquals(file, e.file());
            return;
        }
        try (f) {
            assertTrue(8 + f.dataRegionSize() <= content.length, "the data region lies inside the file");
            long covered = 0;
            for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                assertTrue(t.begin() >= 0 && t.end() <= f.dataRegionSize(), t::toString);
                covered += t.byteLength();
                try (BytePointer b = f.read(t.name())) {
                    assertEquals(t.byteLength(), b.limit(), t::toString);
                }
                switch (t.dtype()) {
                    case F32 -> assertEquals(t.numel(), f.readF32(t.name()).length);
                    case I32, I64 -> assertEquals(t.numel(), f.readIndices(t.name()).length);
                    default -> { }
                }
            }
            assertEquals(f.dataRegionSize(), covered, "the tensors tile the data region");
            try {
                f.info("no such tensor \u0000");
                throw new AssertionError("a missing tensor was found");
            } catch (NoSuchElementException e) {
                Fuzzing.assertClear(e);
            }
        }
    }
}
