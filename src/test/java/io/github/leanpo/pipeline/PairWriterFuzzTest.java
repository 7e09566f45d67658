package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.leanpo.testing.Fuzzing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resuming {@code leanpo pairs} over whatever a previous run (or a crash, a full disk, an editor) left in its three
 * files: torn last lines, damaged lines, other runs' records, duplicate ids, invalid UTF-8. {@link PairWriter#open},
 * with and without retrying failures, either resumes — and then a record appended now is read back on the next open,
 * with nothing torn — or refuses with an {@link IllegalArgumentException} / {@link IllegalStateException} that says
 * which line to fix. The input is the three files' contents joined by {@link #SEPARATOR}: output, filtered, failures.
 */
@Timeout(Fuzzing.TIMEOUT_S)
class PairWriterFuzzTest {
    static final long SEED = 7;
    static final String MODEL = "m";
    static final byte[] SEPARATOR = {0, '|', 0};

    @TempDir
    static Path dir;

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    @DictionaryEntries({"\"id\"", "\"seeds\"", "\"run\"", "\"model\"", "\"m\"", "7", "\\x00|\\x00", "\\x0a"})
    void resumeOverAnyFile(byte[] content) throws IOException {
        byte[][] files = split(content);
        resume(files, false);
        resume(files, true);
    }

    private static void resume(byte[][] files, boolean retryFailed) throws IOException {
        Path out = dir.resolve("pairs.jsonl");
        Files.write(out, files[0]);
        Files.write(PairWriter.defaultFiltered(out), files[1]);
        Files.write(PairWriter.defaultFailures(out), files[2]);
        String id = "fresh-id-\u00e9";
        long before;
        try (PairWriter w = PairWriter.open(out, null, null, SEED, MODEL, retryFailed)) {
            before = w.done().size();
            if (w.isDone(id)) {
                return;
            }
            w.write(new Outcome.Failed(id, "/v.mp4", "frames", "fuzz", SEED, MODEL));
        } catch (IllegalArgumentException | IllegalStateException e) {
            Fuzzing.assertClear(e);
            return;
        }
        try (PairWriter again = PairWriter.open(out, null, null, SEED, MODEL, false)) {
            assertTrue(again.isDone(id), "the appended record is read back");
            assertEquals(before + 1, again.done().size());
            assertEquals(0, again.tornBytes(), "nothing torn after a clean close");
        }
    }

    /** Up to three parts at {@link #SEPARATOR}; missing parts are empty files. */
    private static byte[][] split(byte[] content) {
        byte[][] parts = {new byte[0], new byte[0], new byte[0]};
        int start = 0;
        for (int k = 0; k < 3; k++) {
            int end = k == 2 ? content.length : indexOf(content, start);
            parts[k] = Arrays.copyOfRange(content, start, end);
            if (end == content.length) {
                break;
            }
            start = end + SEPARATOR.length;
        }
        return parts;
    }

    private static int indexOf(byte[] a, int from) {
        outer:
        for (int i = from; i + SEPARATOR.length <= a.length; i++) {
            for (int j = 0; j < SEPARATOR.length; j++) {
                if (a[i + j] != SEPARATOR[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return a.length;
    }
}
