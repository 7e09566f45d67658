package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input formats, the conversations adapter, and one clear error per kind of bad record. */
class TripletReaderTest {
    @TempDir
    Path dir;

    Path write(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    List<Sample> read(String content) throws Exception {
        return new TripletReader(write("in.jsonl", content), null).readAll();
    }

    InputFormatException bad(String content) throws Exception {
        Path p = write("bad.jsonl", content);
        return assertThrows(InputFormatException.class, () -> new TripletReader(p, null).readAll());
    }

    @Test
    void readsTripletsAndResolvesVideoPaths() throws Exception {
        List<Sample> s = read("""
                {"id": "a", "video": "clips/a.mp4", "question": "What colour is the square?", "answer": "Red.", "extra": 1}

                {"id": 7, "video": "/abs/b.webm", "question": "  Where does it move?  ", "answer": " Left. "}
                """);
        assertEquals(2, s.size());
        assertEquals("a", s.get(0).id());
        assertEquals(dir.toAbsolutePath().resolve("clips/a.mp4"), s.get(0).video());
        assertEquals("What colour is the square?", s.get(0).question());
        assertEquals("Red.", s.get(0).answer());
        assertTrue(s.get(0).source().endsWith("in.jsonl:1"), s.get(0).source());
        assertEquals("7", s.get(1).id());
        assertEquals(Path.of("/abs/b.webm"), s.get(1).video());
        assertEquals("Where does it move?", s.get(1).question());
        assertEquals("Left.", s.get(1).answer());
        assertTrue(s.get(1).source().endsWith("in.jsonl:3"), "blank lines count: " + s.get(1).source());
    }

    @Test
    void videoRootOverridesTheInputDirectory() throws Exception {
        Path in = write("in.jsonl", "{\"id\": \"a\", \"video\": \"x/a.mp4\", \"question\": \"Q\", \"answer\": \"A\"}\n");
        Path root = dir.resolve("videos");
        assertEquals(root.resolve("x/a.mp4"), new TripletReader(in, root).readAll().get(0).video());
    }

    @Test
    void conversationsAdapter() throws Exception {
        List<Sample> s = read("""
                {"id": "v1", "video": "v1.mp4", "conversations": [{"from": "human", "value": "<video>\\nWhat happens?"}, {"from": "gpt", "value": "A ball rolls."}]}
                {"id": "v2", "video": "v2.mp4", "conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "<video>\\nQ1?"}, {"from": "gpt", "value": "A1"}, {"from": "user", "value": "Q2?"}, {"from": "assistant", "value": "A2"}]}
                """);
        assertEquals(3, s.size());
        assertEquals("v1", s.get(0).id());
        assertEquals("What happens?", s.get(0).question());
        assertEquals("A ball rolls.", s.get(0).answer());
        assertEquals("v2#0", s.get(1).id());
        assertEquals("Q1?", s.get(1).question());
        assertEquals("A1", s.get(1).answer());
        assertEquals("v2#1", s.get(2).id());
        assertEquals("Q2?", s.get(2).question());
        assertEquals(dir.toAbsolutePath().resolve("v2.mp4"), s.get(2).video());
    }

    @Test
    void readsAJsonArrayAsLlavaVideoShipsIt() throws Exception {
        Path p = write("data.json", """
                [
                  {"id": "a", "video": "a.mp4", "conversations": [{"from": "human", "value": "<video>\\nQ?"}, {"from": "gpt", "value": "A"}]},
                  {"id": "b", "video": "b.mp4", "question": "Q2", "answer": "A2"}
                ]
                """);
        List<Sample> s = new TripletReader(p, null).readAll();
        assertEquals(List.of("a", "b"), s.stream().map(Sample::id).toList());
        assertTrue(s.get(1).source().endsWith("data.json:3"), s.get(1).source());

        Path trunc = write("trunc.json", "[\n {\"id\": \"a\", \"video\": \"a.mp4\", \"question\": \"Q\", \"answer\": \"A\"},\n {\"id\": \"b\", \"vid");
        InputFormatException e = assertThrows(InputFormatException.class, () -> new TripletReader(trunc, null).readAll());
        assertTrue(e.getMessage().contains("trunc.json:3") && e.getMessage().contains("malformed JSON"), e.getMessage());
    }

    @Test
    void streamsWithoutHoldingTheRecords() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            sb.append("{\"id\": \"s").append(i).append("\", \"video\": \"v.mp4\", \"question\": \"Q\", \"answer\": \"A\"}\n");
        }
        long[] n = {0};
        long count = new TripletReader(write("big.jsonl", sb.toString()), null).forEach(s -> n[0]++);
        assertEquals(1000, count);
        assertEquals(1000, n[0]);
    }

    @Test
    void emptyInputHasNoSamples() throws Exception {
        assertEquals(0, read("").size());
        assertEquals(0, read("\n  \n").size());
    }

    @Test
    void badRecordsNameTheLineAndTheField() throws Exception {
        String ok = "{\"id\": \"a\", \"video\": \"a.mp4\", \"question\": \"Q\", \"answer\": \"A\"}\n";
        assertMessage(bad(ok + "{\"id\": \"b\", \"video\": \"b.mp4\", \"question\": \"Q\"\n"), "bad.jsonl:2", "malformed JSON");
        assertMessage(bad(ok + "{\"id\": \"b\", \"video\": \"b.mp4\", \"question\": \"Q\"}\n"), "bad.jsonl:2", "missing \"answer\"");
        assertMessage(bad("{\"video\": \"b.mp4\", \"question\": \"Q\", \"answer\": \"A\"}"), "bad.jsonl:1", "missing \"id\"");
        assertMessage(bad("{\"id\": \"a\", \"question\": \"Q\", \"answer\": \"A\"}"), "bad.jsonl:1", "missing \"video\"");
        assertMessage(bad("{\"id\": \"a\", \"video\": \"a.mp4\", \"question\": \"<video>\\n \", \"answer\": \"A\"}"), "bad.jsonl:1", "\"question\" is empty");
        assertMessage(bad("{\"id\": \"a\", \"video\": \"a.mp4\", \"question\": 3, \"answer\": \"A\"}"), "bad.jsonl:1", "\"question\" must be a string");
        assertMessage(bad("{\"id\": 1.5, \"video\": \"a.mp4\", \"question\": \"Q\", \"answer\": \"A\"}"), "bad.jsonl:1", "\"id\" must be a string or an integer");
        assertMessage(bad("[1, 2]"), "bad.jsonl:1", "not a JSON object");
        assertMessage(bad("\"text\""), "bad.jsonl:1", "expected JSON lines");
        assertMessage(bad(ok + "\n" + ok), "bad.jsonl:3", "duplicate id \"a\" (first at ");
        assertMessage(bad("{\"id\": \"c\", \"video\": \"c.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"Q\"}]}"),
                "bad.jsonl:1", "has no answer");
        assertMessage(bad("{\"id\": \"c\", \"video\": \"c.mp4\", \"conversations\": [{\"from\": \"gpt\", \"value\": \"A\"}]}"),
                "conversations[0]", "without a question");
        assertMessage(bad("{\"id\": \"c\", \"video\": \"c.mp4\", \"conversations\": [{\"from\": \"robot\", \"value\": \"A\"}]}"),
                "conversations[0]", "unknown \"from\": \"robot\"");
        assertMessage(bad("{\"id\": \"c\", \"video\": \"c.mp4\", \"conversations\": {}}"), "bad.jsonl:1", "must be an array");
        assertMessage(bad("{\"id\": \"c\", \"video\": \"c.mp4\", \"conversations\": []}"), "bad.jsonl:1", "no question-answer turn");
    }

    @Test
    void invalidUtf8IsReportedWithItsLine() throws Exception {
        Path p = dir.resolve("latin1.jsonl");
        byte[] ok = "{\"id\": \"a\", \"video\": \"a.mp4\", \"question\": \"Q\", \"answer\": \"A\"}\n".getBytes();
        byte[] badLine = {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xE9, '"', '}', '\n'};
        Files.write(p, concat(ok, badLine));
        InputFormatException e = assertThrows(InputFormatException.class, () -> new TripletReader(p, null).readAll());
        assertMessage(e, "latin1.jsonl:2", "not valid UTF-8");
    }

    @Test
    void missingInputIsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> new TripletReader(dir.resolve("absent.jsonl"), null).readAll());
    }

    static void assertMessage(Exception e, String where, String what) {
        assertTrue(e.getMessage().contains(where) && e.getMessage().contains(what), "expected '" + where + "' and '" + what + "' in: " + e.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
