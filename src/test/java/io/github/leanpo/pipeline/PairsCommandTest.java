package io.github.leanpo.pipeline;

import io.github.leanpo.testing.CliRun;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code leanpo pairs} end to end against the local vLLM-protocol server: the pairs written, the scores they carry,
 * the summary, and one-line errors with exit status 2 (usage) or 1 (run). Lives with the pipeline tests because it
 * is the pipeline's command.
 */
class PairsCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "fake/video-llm";
    @TempDir
    static Path dir;
    FakeVllmServer server;
    static Path input;

    static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    static void assertOneLineError(CliRun r, int code, String contains) {
        r.assertOneLineError(code, contains);
    }

    @BeforeEach
    void startServer() throws Exception {
        server = new FakeVllmServer(MODEL);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @BeforeAll
    static void setUp() throws Exception {
        Path videos = Files.createDirectory(dir.resolve("videos"));
        TestVideos.write(videos, "a", TestVideos.Container.WEBM, 20);
        TestVideos.write(videos, "b", TestVideos.Container.AVI, 20);
        input = dir.resolve("in.jsonl");
        Files.writeString(input, String.join("\n",
                JSON.writeValueAsString(Map.of("id", "a", "video", "a.webm", "question", "Which way does it move?", "answer", "Right.")),
                JSON.writeValueAsString(Map.of("id", "b", "video", "b.avi", "conversations", List.of(
                        Map.of("from", "human", "value", "<video>\nWhat colour is it?"), Map.of("from", "gpt", "value", "It changes.")))),
                JSON.writeValueAsString(Map.of("id", "c", "video", "gone.mp4", "question", "Q?", "answer", "A."))) + "\n");
    }

    /** The command with defaults for the tests; {@code more} adds flags or replaces the value of an option already there. */
    List<String> base(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("pairs", "--input", input.toString(), "--output", out.toString(), "--server", server.url(),
                "--model", MODEL, "--frames", "4", "--seed", "3", "--concurrency", "2", "--video-root", dir.resolve("videos").toString()));
        for (int i = 0; i < more.length; i++) {
            boolean hasValue = i + 1 < more.length && !more[i + 1].startsWith("--");
            int at = a.indexOf(more[i]);
            if (hasValue && at >= 0) {
                a.set(at + 1, more[++i]);
            } else if (hasValue) {
                a.add(more[i]);
                a.add(more[++i]);
            } else {
                a.add(more[i]);
            }
        }
        return a;
    }

    static double meanLogprob(String text) {
        List<Integer> ids = FakeTokenizer.encode(text);
        return ids.stream().mapToDouble(FakeTokenizer::logprob).average().orElseThrow();
    }

    @Test
    void writesScoredPairsAndASummaryAndResumes() throws Exception {
        Path out = Files.createTempDirectory(dir, "run").resolve("pairs.jsonl");
        int chatsBefore = server.chats().size();
        CliRun r = cli(base(out, "--no-progress").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("leanpo pairs: 2 kept, 0 filtered, 1 failed in "), r.out());
        assertTrue(r.out().contains("pairs    " + out), r.out());
        assertEquals("", r.err());

        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        for (String line : lines) {
            JsonNode p = JSON.readTree(line);
            String id = p.get("id").asText();
            assertEquals(id.equals("a") ? "Which way does it move?" : "What colour is it?", p.get("prompt").asText(), "the plain question");
            assertTrue(p.get("chosen").asText().startsWith("A careful answer about 4 frames"), p.toString());
            assertTrue(p.get("rejected").asText().startsWith("A quick guess (seed " + p.get("seeds").get("loser").asLong() + ") about 2 frames"),
                    p.toString());
            assertEquals(meanLogprob(p.get("chosen").asText()), p.get("chosen_mean_logp").asDouble(), 1e-12);
            assertEquals(meanLogprob(p.get("rejected").asText()), p.get("rejected_mean_logp").asDouble(), 1e-12);
            assertEquals(FakeTokenizer.encode(p.get("chosen").asText()).size(), p.get("chosen_tokens").asInt());
            assertEquals("[2,7,12,17]", p.get("frame_indices").toString());
            assertEquals("[7,17]", p.get("loser_frame_indices").toString());
            assertEquals(3, p.get("seeds").get("run").asLong());
            assertEquals(Seeds.sample(3, id), p.get("seeds").get("sample").asLong());
            assertEquals(MODEL, p.get("model").asText());
            assertEquals(PromptTemplates.builtIn().ids().get("winner"), p.get("templates").get("winner").asText());
            assertEquals(1, p.get("reflections").asInt());
        }
        JsonNode fail = JSON.readTree(Files.readAllLines(dir.resolve(out.getParent().getFileName() + "/pairs.failures.jsonl")).get(0));
        assertEquals("c", fail.get("id").asText());
        assertTrue(fail.get("reason").asText().startsWith("no such video file: "), fail.toString());

        // Per good sample: winner, one reflection, loser, two scores.
        List<FakeVllmServer.ChatRequest> chats = server.chats().subList(chatsBefore, server.chats().size());
        assertEquals(10, chats.size());
        assertEquals(2, chats.stream().filter(c -> c.images() == 2).count(), "the two loser requests see two frames");
        assertEquals(8, chats.stream().filter(c -> c.images() == 4).count());
        assertEquals(4, chats.stream().filter(FakeVllmServer.ChatRequest::scoring).count());
        for (FakeVllmServer.ChatRequest c : chats) {
            for (int[] size : c.imageSizes()) {
                assertArrayEquals(new int[] {64, 48}, size);
            }
        }

        byte[] before = Files.readAllBytes(out);
        int chatsAfter = server.chats().size();
        CliRun again = cli(base(out, "--no-progress", "--json").toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        JsonNode s = JSON.readTree(again.out());
        assertEquals(3, s.get("total").asInt());
        assertEquals(3, s.get("already_done").asInt());
        assertEquals(0, s.get("kept").asInt() + s.get("filtered").asInt() + s.get("failed").asInt());
        assertArrayEquals(before, Files.readAllBytes(out));
        assertEquals(chatsAfter, server.chats().size(), "nothing regenerated");

        // Retrying the one failure: it fails again, and a run whose every sample failed exits 1.
        CliRun retry = cli(base(out, "--no-progress", "--retry-failed").toArray(String[]::new));
        assertOneLineError(retry, 1, "all 1 samples failed; the first at frames: no such video file");
        assertTrue(retry.out().contains("0 kept, 0 filtered, 1 failed") && retry.out().contains("1 recorded failures were retried"), retry.out());
        assertTrue(Files.exists(PairWriter.defaultFailures(out).resolveSibling("pairs.failures.jsonl.bak")));
        assertEquals(1, Files.readAllLines(PairWriter.defaultFailures(out)).size());
    }

    @Test
    void showsProgressWithRateAndEta() throws Exception {
        Path out = Files.createTempDirectory(dir, "progress").resolve("pairs.jsonl");
        CliRun r = cli(base(out).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("pairs") && r.err().contains("3/3 samples") && r.err().contains("samples/min"), r.err());
        assertTrue(r.err().contains("kept 2, filtered 0, failed 1"), r.err());
    }

    @Test
    void keepPolicyAndTemplatesFromTheCommandLine() throws Exception {
        Path t = Files.createTempDirectory(dir, "templates");
        Files.writeString(t.resolve("loser.txt"), "Guess: {question}");
        Path out = Files.createTempDirectory(dir, "policy").resolve("pairs.jsonl");
        CliRun r = cli(base(out, "--no-progress", "--templates", t.toString(), "--keep", "require-order", "--reflections", "0").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        int kept = Files.readAllLines(out).size();
        int filtered = Files.readAllLines(PairWriter.defaultFiltered(out)).size();
        assertEquals(2, kept + filtered);
        for (String line : Files.readAllLines(out)) {
            JsonNode p = JSON.readTree(line);
            assertTrue(p.get("chosen_mean_logp").asDouble() > p.get("rejected_mean_logp").asDouble(), "require-order keeps ordered pairs only");
            assertTrue(p.get("templates").get("loser").asText().startsWith("loser@"));
            assertEquals(0, p.get("reflections").asInt());
        }
        for (String line : Files.readAllLines(PairWriter.defaultFiltered(out))) {
            JsonNode p = JSON.readTree(line);
            assertTrue(p.get("reason").asText().contains("ranks the loser above the winner"), p.toString());
        }
        assertTrue(server.chats().stream().anyMatch(c -> FakeVllmServer.textOf(c.body().get("messages").get(0)).equals("Guess: Which way does it move?")));
    }

    @Test
    void usageErrorsExitTwo() {
        Path out = dir.resolve("never.jsonl");
        assertOneLineError(cli(base(out, "--frames", "0").toArray(String[]::new)), 2, "frames must be at least 1, got 0");
        assertOneLineError(cli(base(out, "--loser-frames", "9").toArray(String[]::new)), 2, "loser frames must be in [1, frames=4], got 9");
        assertOneLineError(cli(base(out, "--keep", "best").toArray(String[]::new)), 2, "unknown keep policy 'best'");
        assertOneLineError(cli(base(out, "--crop-scale", "1:x").toArray(String[]::new)), 2, "--crop-scale must be MIN:MAX");
        assertOneLineError(cli(base(out, "--grayscale-p", "2").toArray(String[]::new)), 2, "grayscale probability");
        assertOneLineError(cli(base(out, "--concurrency", "0").toArray(String[]::new)), 2, "--concurrency must be in [1, 1024]");
        assertOneLineError(cli(base(out, "--server", "localhost:8000").toArray(String[]::new)), 2, "server URL must be http(s)://host[:port]");
        assertOneLineError(cli("pairs", "--input", input.toString(), "--output", out.toString(), "--server", server.url()), 2,
                "Missing required option: '--model=NAME'");
        assertOneLineError(cli(base(input).toArray(String[]::new)), 2, "--output is the input file");
        assertFalse(Files.exists(out), "no file created by a usage error");
    }

    @Test
    void runErrorsExitOne() throws Exception {
        Path out = dir.resolve("never.jsonl");
        List<String> a = base(out);
        a.set(a.indexOf("--input") + 1, dir.resolve("absent.jsonl").toString());
        assertOneLineError(cli(a.toArray(String[]::new)), 1, "no such file: ");

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"id\": \"a\", \"video\": \"a.webm\", \"question\": \"Q\", \"answer\": \"A\"}\n{\"id\": \"b\", \"video\": 3}\n");
        a = base(out);
        a.set(a.indexOf("--input") + 1, bad.toString());
        assertOneLineError(cli(a.toArray(String[]::new)), 1, "bad.jsonl:2: \"video\" must be a non-empty string path");

        a = base(out);
        a.set(a.indexOf("--model") + 1, "other");
        assertOneLineError(cli(a.toArray(String[]::new)), 1, "serves [" + MODEL + "], not 'other'");

        Path t = Files.createTempDirectory(dir, "badtemplates");
        Files.writeString(t.resolve("winner.txt"), "{question} only");
        assertOneLineError(cli(base(out, "--templates", t.toString()).toArray(String[]::new)), 1, "needs the placeholder {answer}");
        assertFalse(Files.exists(out), "no file created when the run cannot start");

        Path other = Files.createTempDirectory(dir, "seed").resolve("pairs.jsonl");
        assertEquals(0, cli(base(other, "--no-progress").toArray(String[]::new)).code());
        List<String> s = base(other, "--no-progress");
        s.set(s.indexOf("--seed") + 1, "4");
        assertOneLineError(cli(s.toArray(String[]::new)), 1, "was written with seed 3");
    }

    @Test
    void whenEverySampleFailsTheRunFails() throws Exception {
        Path in = dir.resolve("allbad.jsonl");
        Files.writeString(in, "{\"id\": \"x\", \"video\": \"nothing.mp4\", \"question\": \"Q\", \"answer\": \"A\"}\n");
        Path out = Files.createTempDirectory(dir, "allbad").resolve("pairs.jsonl");
        List<String> a = base(out, "--no-progress");
        a.set(a.indexOf("--input") + 1, in.toString());
        CliRun r = cli(a.toArray(String[]::new));
        assertOneLineError(r, 1, "all 1 samples failed; the first at frames: no such video file: ");
        assertTrue(r.out().contains("0 kept, 0 filtered, 1 failed"), r.out());
    }

    @Test
    void serverErrorsDuringTheRunAreRecordedFailures() throws Exception {
        Path out = Files.createTempDirectory(dir, "errors").resolve("pairs.jsonl");
        server.fail(FakeVllmServer.CHAT, FakeVllmServer.Fault.httpStatus(400));
        CliRun r = cli(base(out, "--no-progress", "--concurrency", "1", "--retries", "0").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1 kept, 0 filtered, 2 failed"), r.out());
        List<String> reasons = Files.readAllLines(PairWriter.defaultFailures(out)).stream()
                .map(l -> {
                    try {
                        return JSON.readTree(l).get("reason").asText();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }).toList();
        assertTrue(reasons.stream().anyMatch(s -> s.contains("HTTP 400: injected client error")), reasons.toString());
    }
}
