package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.leanpo.testing.Fuzzing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline's input reader on arbitrary bytes: JSON lines and JSON arrays, triplets and LLaVA-style
 * {@code conversations} records, broken UTF-8, BOMs, CRLF, truncated arrays, deep nesting. Every input ends in samples
 * (each with a non-blank, unique id, a question and an answer) or an {@link InputFormatException} whose message starts
 * with {@code file:line}; nothing else.
 */
@Timeout(Fuzzing.TIMEOUT_S)
class TripletReaderFuzzTest {
    @TempDir
    static Path dir;

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    @DictionaryEntries({"\"id\"", "\"video\"", "\"question\"", "\"answer\"", "\"conversations\"", "\"from\"", "\"value\"",
            "\"human\"", "\"gpt\"", "\"system\"", "\"user\"", "\"assistant\"", "<video>", "<image>", "\\x0a", "\\x0d\\x0a", "\\xef\\xbb\\xbf"})
    void readAnyInput(byte[] content) throws IOException {
        Path input = dir.resolve("input.jsonl");
        Files.write(input, content);
        Set<String> ids = new HashSet<>();
        try {
            long n = new TripletReader(input, null).forEach(s -> {
                assertFalse(s.id().isBlank(), "blank id");
                assertTrue(ids.add(s.id()), () -> "id " + s.id() + " twice");
                assertFalse(s.question().isBlank() || s.answer().isBlank(), "a sample without question or answer");
                assertTrue(s.video().isAbsolute(), "relative videos are resolved against the input's directory");
            });
            assertTrue(n == ids.size());
        } catch (InputFormatException e) {
            Fuzzing.assertClear(e);
            assertTrue(e.getMessage().startsWith(input + ":"), e::getMessage);
        }
    }
}
