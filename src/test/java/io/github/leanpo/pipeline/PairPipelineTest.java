package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline in process: good, corrupt and missing videos, resumption, concurrency, a fatal error. */
class PairPipelineTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path shared;
    static Path input;
    static PromptTemplates templates;

    @BeforeAll
    static void setUp() throws Exception {
        for (TestVideos.Container c : TestVideos.Container.values()) {
            TestVideos.write(shared, "clip", c, 20);
        }
        Files.write(shared.resolve("corrupt.mp4"), "this is not a video".getBytes());
        templates = FakePolicyModel.templates(Files.createDirectory(shared.resolve("templates")));
        StringBuilder in = new StringBuilder();
        String[] videos = {"clip.mp4", "clip.webm", "clip.mkv", "clip.avi", "clip.mp4", "corrupt.mp4", "missing.mp4", "clip.mkv"};
        for (int i = 0; i < videos.length; i++) {
            in.append(JSON.writeValueAsString(Map.of("id", "s" + i, "video", videos[i], "question", "Q" + i + "?", "answer", "A" + i)))
                    .append('\n');
        }
        input = shared.resolve("in.jsonl");
        Files.writeString(input, in.toString());
    }

    static PairGenerator generator(PolicyModel m) {
        return new PairGenerator(m, new Degrader(DegradeConfig.defaults()), templates, PairConfig.defaults().withFrames(4, 2).withSeed(5), 448);
    }

    record Events(AtomicInteger started, long[] startArgs, List<Outcome> finished) implements PairPipeline.Listener {
        Events() {
            this(new AtomicInteger(), new long[2], java.util.Collections.synchronizedList(new ArrayList<>()));
        }

        @Override
        public void started(long total, long alreadyDone) {
            started.incrementAndGet();
            startArgs[0] = total;
            startArgs[1] = alreadyDone;
        }

        @Override
        public void finished(Outcome o) {
            finished.add(o);
        }
    }

    static PairPipeline.Summary run(Path out, PolicyModel m, int concurrency, PairPipeline.Listener l) throws Exception {
        try (PairWriter w = PairWriter.open(out, null, null, 5, m.name(), false)) {
            return new PairPipeline(generator(m), concurrency).run(new TripletReader(input, null), w, l);
        }
    }

    /** id → line, over the three files. */
    static Map<String, String> records(Path out) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (Path p : List.of(out, PairWriter.defaultFiltered(out), PairWriter.defaultFailures(out))) {
            if (!Files.exists(p)) {
                continue;
            }
            String s = Files.readString(p);
            assertTrue(s.isEmpty() || s.endsWith("\n"), "complete lines in " + p);
            for (String line : s.isEmpty() ? new String[0] : s.split("\n")) {
                String id = JSON.readTree(line).get("id").asText();
                assertEquals(null, m.put(id, line), "id " + id + " recorded once");
            }
        }
        return m;
    }

    @Test
    void goodAndBadSamplesEndToEnd() throws Exception {
        Path dir = Files.createTempDirectory(shared, "run");
        Path out = dir.resolve("pairs.jsonl");
        FakePolicyModel m = new FakePolicyModel();
        Events ev = new Events();
        PairPipeline.Summary s = run(out, m, 3, ev);
        assertEquals(8, s.total());
        assertEquals(0, s.alreadyDone());
        assertEquals(6, s.kept());
        assertEquals(0, s.filtered());
        assertEquals(2, s.failed());
        assertEquals(1, ev.started().get());
        assertArrayEquals(new long[] {8, 0}, ev.startArgs());
        assertEquals(8, ev.finished().size());

        Map<String, String> rec = records(out);
        assertEquals(8, rec.size());
        JsonNode corrupt = JSON.readTree(rec.get("s5"));
        assertEquals("frames", corrupt.get("stage").asText());
        assertTrue(corrupt.get("reason").asText().startsWith("cannot open video ") && corrupt.get("reason").asText().contains("corrupt.mp4"));
        JsonNode missing = JSON.readTree(rec.get("s6"));
        assertTrue(missing.get("reason").asText().startsWith("no such video file: "), missing.toString());
        for (String id : List.of("s0", "s1", "s2", "s3", "s4", "s7")) {
            JsonNode p = JSON.readTree(rec.get(id));
            assertEquals("[w1] A" + id.substring(1), p.get("chosen").asText());
            assertEquals("[2,7,12,17]", p.get("frame_indices").toString());
            assertEquals("[7,17]", p.get("loser_frame_indices").toString());
        }
        assertEquals(8 - 2, m.calls("WINNER").size());
    }

    @Test
    void rerunningAFinishedRunChangesNothing() throws Exception {
        Path dir = Files.createTempDirectory(shared, "rerun");
        Path out = dir.resolve("pairs.jsonl");
        run(out, new FakePolicyModel(), 2, new Events());
        byte[][] before = {Files.readAllBytes(out), Files.readAllBytes(PairWriter.defaultFailures(out)),
                Files.readAllBytes(PairWriter.defaultFiltered(out))};
        FakePolicyModel again = new FakePolicyModel();
        Events ev = new Events();
        PairPipeline.Summary s = run(out, again, 2, ev);
        assertEquals(8, s.alreadyDone());
        assertEquals(0, s.processed());
        assertArrayEquals(new long[] {8, 8}, ev.startArgs());
        assertEquals(0, again.calls().size(), "no model call");
        assertArrayEquals(before[0], Files.readAllBytes(out));
        assertArrayEquals(before[1], Files.readAllBytes(PairWriter.defaultFailures(out)));
        assertArrayEquals(before[2], Files.readAllBytes(PairWriter.defaultFiltered(out)));
    }

    @Test
    void resumingOrChangingConcurrencyGivesTheSameRecords() throws Exception {
        Path ref = Files.createTempDirectory(shared, "ref").resolve("pairs.jsonl");
        run(ref, new FakePolicyModel(), 1, new Events());
        Map<String, String> expected = records(ref);

        Path wide = Files.createTempDirectory(shared, "wide").resolve("pairs.jsonl");
        run(wide, new FakePolicyModel(), 4, new Events());
        assertEquals(expected, records(wide), "order of completion aside, concurrency changes nothing");

        // A run that stopped after three samples, one line torn: the restart completes it to the same records.
        Path part = Files.createTempDirectory(shared, "part").resolve("pairs.jsonl");
        List<String> keptLines = Files.readAllLines(ref);
        Files.writeString(part, keptLines.get(0) + "\n" + keptLines.get(1) + "\n" + keptLines.get(2).substring(0, 40));
        FakePolicyModel m = new FakePolicyModel();
        PairPipeline.Summary s = run(part, m, 2, new Events());
        assertEquals(2, s.alreadyDone());
        assertEquals(6, s.processed());
        assertEquals(expected, records(part));
        assertEquals(6 - 2, m.calls("WINNER").size(), "only the samples not done, less the two without frames");
    }

    @Test
    void recordedIdsMissingFromTheInputAreCounted() throws Exception {
        Path out = Files.createTempDirectory(shared, "unknown").resolve("pairs.jsonl");
        try (PairWriter w = PairWriter.open(out, null, null, 5, "fake-policy", false)) {
            w.write(new Outcome.Failed("not-in-input", "v", "frames", "x", 5, "fake-policy"));
        }
        assertEquals(1, run(out, new FakePolicyModel(), 2, new Events()).unknown());
    }

    @Test
    void aFatalErrorStopsTheRunAndKeepsWhatWasWritten() throws Exception {
        Path out = Files.createTempDirectory(shared, "fatal").resolve("pairs.jsonl");
        AtomicInteger n = new AtomicInteger();
        PairPipeline.Listener boom = new PairPipeline.Listener() {
            @Override
            public void finished(Outcome o) {
                if (n.incrementAndGet() == 2) {
                    throw new IllegalStateException("listener broke");
                }
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(out, new FakePolicyModel(), 1, boom));
        assertEquals("listener broke", e.getMessage());
        Map<String, String> rec = records(out);
        assertTrue(rec.size() >= 2 && rec.size() < 8, "stopped early, with complete records: " + rec.keySet());
        // The restart finishes the job.
        run(out, new FakePolicyModel(), 2, new Events());
        assertEquals(8, records(out).size());
    }

    @Test
    void invalidConcurrencyIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new PairPipeline(generator(new FakePolicyModel()), 0));
    }
}
