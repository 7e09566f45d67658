package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The append-only, resumable writer: torn lines, damaged lines, other runs' files, locks, retries. */
class PairWriterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    static PairRecord pair(String id, long seed, String model) {
        return new PairRecord(id, "Q?", "good", "bad", "/v/" + id + ".mp4", new int[] {1, 5}, new int[] {5}, -0.5, -1.5, 3, 2, 1, seed,
                Seeds.sample(seed, id), 7, 8, Map.of("prompt", "prompt@00000000"), model, new DegradeParams(0, 0, 1, 1, 1, 1, 1, 0, false, 0, false));
    }

    PairWriter open(Path out, long seed, String model) throws Exception {
        return PairWriter.open(out, null, null, seed, model, false);
    }

    static List<String> lines(Path p) throws Exception {
        String s = Files.readString(p);
        assertTrue(s.isEmpty() || s.endsWith("\n"), "no torn line in " + p);
        return s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }

    @Test
    void defaultPathsFollowTheOutputStem() {
        assertEquals(Path.of("d/out.failures.jsonl"), PairWriter.defaultFailures(Path.of("d/out.jsonl")));
        assertEquals(Path.of("d/out.filtered.jsonl"), PairWriter.defaultFiltered(Path.of("d/out.jsonl")));
        assertEquals(Path.of("pairs.failures.jsonl"), PairWriter.defaultFailures(Path.of("pairs")));
        assertEquals(Path.of("a.b.failures.jsonl"), PairWriter.defaultFailures(Path.of("a.b.json")));
    }

    @Test
    void eachOutcomeGoesToItsFileAndIsSeenOnReopen() throws Exception {
        Path out = dir.resolve("out.jsonl");
        try (PairWriter w = open(out, 3, "m")) {
            assertEquals(Set.of(), w.done());
            w.write(new Outcome.Kept(pair("a", 3, "m")));
            w.write(new Outcome.Filtered(pair("b", 3, "m"), "misordered"));
            w.write(new Outcome.Failed("c", "/v/c.mp4", "frames", "no such video file: /v/c.mp4", 3, "m"));
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> w.write(new Outcome.Kept(pair("a", 3, "m"))));
            assertTrue(twice.getMessage().contains("already recorded"));
        }
        JsonNode kept = JSON.readTree(lines(out).get(0));
        assertEquals(List.of("id", "prompt", "chosen", "rejected", "video", "frame_indices", "loser_frame_indices", "chosen_mean_logp",
                "rejected_mean_logp", "chosen_tokens", "rejected_tokens", "ordered", "reflections", "seeds", "templates", "model", "degrade"),
                fieldNames(kept));
        assertEquals("good", kept.get("chosen").asText());
        assertEquals(3, kept.get("seeds").get("run").asLong());
        JsonNode filtered = JSON.readTree(lines(dir.resolve("out.filtered.jsonl")).get(0));
        assertEquals("misordered", filtered.get("reason").asText());
        JsonNode failed = JSON.readTree(lines(dir.resolve("out.failures.jsonl")).get(0));
        assertEquals("c", failed.get("id").asText());
        assertEquals("frames", failed.get("stage").asText());
        assertEquals("no such video file: /v/c.mp4", failed.get("reason").asText());

        try (PairWriter w = open(out, 3, "m")) {
            assertEquals(Set.of("a", "b", "c"), w.done());
            assertArrayEquals(new long[] {1, 1, 1}, w.existing());
            assertEquals(0, w.tornBytes());
        }
    }

    @Test
    void aTornLastLineIsDroppedBeforeAppending() throws Exception {
        Path out = dir.resolve("out.jsonl");
        try (PairWriter w = open(out, 0, "m")) {
            w.write(new Outcome.Kept(pair("a", 0, "m")));
            w.write(new Outcome.Kept(pair("b", 0, "m")));
        }
        byte[] torn = "{\"id\":\"c\",\"prompt\":\"Q?\",\"cho".getBytes(StandardCharsets.UTF_8);
        Files.write(out, torn, StandardOpenOption.APPEND);
        try (PairWriter w = open(out, 0, "m")) {
            assertEquals(torn.length, w.tornBytes());
            assertEquals(Set.of("a", "b"), w.done(), "the torn record does not count as done");
            w.write(new Outcome.Kept(pair("c", 0, "m")));
        }
        List<String> l = lines(out);
        assertEquals(3, l.size());
        assertEquals(List.of("a", "b", "c"), l.stream().map(PairWriterTest::id).toList());

        // A file that is nothing but a torn line ends up empty.
        Path only = dir.resolve("only.jsonl");
        Files.writeString(only, "{\"id\": \"x\"");
        try (PairWriter w = open(only, 0, "m")) {
            assertEquals(10, w.tornBytes());
            assertEquals(Set.of(), w.done());
        }
        assertEquals(0, Files.size(only));
    }

    @Test
    void aDamagedCompleteLineIsAnErrorNamingIt() throws Exception {
        Path out = dir.resolve("out.jsonl");
        try (PairWriter w = open(out, 0, "m")) {
            w.write(new Outcome.Kept(pair("a", 0, "m")));
        }
        Files.writeString(out, "not json\n", StandardOpenOption.APPEND);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(out, 0, "m"));
        assertTrue(e.getMessage().contains("out.jsonl:2: not a record of leanpo pairs"), e.getMessage());
        // The failed open released its locks: the file can be fixed and opened again.
        Files.writeString(out, lines(out).get(0) + "\n");
        try (PairWriter w = open(out, 0, "m")) {
            assertEquals(Set.of("a"), w.done());
        }
    }

    @Test
    void recordsOfAnotherRunAreRefused() throws Exception {
        Path out = dir.resolve("out.jsonl");
        try (PairWriter w = open(out, 1, "m")) {
            w.write(new Outcome.Kept(pair("a", 1, "m")));
        }
        IllegalArgumentException seed = assertThrows(IllegalArgumentException.class, () -> open(out, 2, "m"));
        assertTrue(seed.getMessage().contains("out.jsonl:1 was written with seed 1 and model 'm', this run has seed 2"), seed.getMessage());
        IllegalArgumentException model = assertThrows(IllegalArgumentException.class, () -> open(out, 1, "other"));
        assertTrue(model.getMessage().contains("model 'other'"), model.getMessage());
    }

    @Test
    void theFilesAreLockedWhileOpen() throws Exception {
        Path out = dir.resolve("out.jsonl");
        try (PairWriter w = open(out, 0, "m")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> open(out, 0, "m"));
            assertTrue(e.getMessage().contains("another run is writing"), e.getMessage());
            IllegalStateException f = assertThrows(IllegalStateException.class,
                    () -> PairWriter.open(dir.resolve("other.jsonl"), w.failuresPath(), null, 0, "m", false));
            assertTrue(f.getMessage().contains("out.failures.jsonl"), f.getMessage());
        }
        try (PairWriter w = open(out, 0, "m")) {
            assertEquals(Set.of(), w.done(), "released on close");
        }
    }

    @Test
    void retryFailedMovesTheFailuresAside() throws Exception {
        Path out = dir.resolve("out.jsonl");
        try (PairWriter w = open(out, 0, "m")) {
            w.write(new Outcome.Kept(pair("a", 0, "m")));
            w.write(new Outcome.Failed("b", "/v/b.mp4", "winner", "HTTP 500", 0, "m"));
        }
        try (PairWriter w = open(out, 0, "m")) {
            assertEquals(Set.of("a", "b"), w.done(), "failures are done unless retried");
        }
        try (PairWriter w = PairWriter.open(out, null, null, 0, "m", true)) {
            assertEquals(Set.of("a"), w.done());
            assertEquals(1, w.retried());
            w.write(new Outcome.Kept(pair("b", 0, "m")));
        }
        assertEquals(0, Files.size(dir.resolve("out.failures.jsonl")));
        assertEquals("b", id(lines(dir.resolve("out.failures.jsonl.bak")).get(0)));
        assertEquals(List.of("a", "b"), lines(out).stream().map(PairWriterTest::id).toList());
    }

    @Test
    void anIdRecordedTwiceIsRefused() throws Exception {
        Path out = dir.resolve("out.jsonl");
        try (PairWriter w = open(out, 0, "m")) {
            w.write(new Outcome.Kept(pair("a", 0, "m")));
        }
        Files.writeString(dir.resolve("out.failures.jsonl"),
                JSON.writeValueAsString(new Outcome.Failed("a", "v", "frames", "x", 0, "m").toJson()) + "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(out, 0, "m"));
        assertTrue(e.getMessage().contains("id \"a\" is also recorded at") && e.getMessage().contains("out.jsonl:1"), e.getMessage());
    }

    @Test
    void theThreeFilesMustDiffer() {
        Path out = dir.resolve("out.jsonl");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PairWriter.open(out, out, null, 0, "m", false));
        assertTrue(e.getMessage().contains("the output and the failures file are the same file"), e.getMessage());
    }

    static String id(String line) {
        try {
            return JSON.readTree(line).get("id").asText();
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
