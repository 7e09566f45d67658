package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resumability promise with real processes: {@code leanpo pairs} runs in a child JVM and is killed with SIGKILL
 * ({@link Process#destroyForcibly()} on Linux) at several moments, then started again with the same arguments. The
 * end result must be exactly what one uninterrupted run writes: every id once, no torn line, the same records.
 * Running the finished command again must change nothing.
 */
@EnabledOnOs(OS.LINUX)
class PairsKillResumeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "fake/video-llm";
    static final int SAMPLES = 36;

    @TempDir
    Path dir;

    @Test
    void killedRunsResumeToTheUninterruptedResult() throws Exception {
        Path videos = Files.createDirectory(dir.resolve("videos"));
        TestVideos.write(videos, "a", TestVideos.Container.MP4, 20);
        TestVideos.write(videos, "b", TestVideos.Container.MKV, 20);
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < SAMPLES; i++) {
            String video = i % 9 == 8 ? "missing.mp4" : (i % 2 == 0 ? "a.mp4" : "b.mkv"); // some failures too
            in.append(JSON.writeValueAsString(Map.of("id", String.format("s%02d", i), "video", video,
                    "question", "Question " + i + "?", "answer", "Answer " + i + "."))).append('\n');
        }
        Path input = videos.resolve("in.jsonl");
        Files.writeString(input, in.toString());

        try (FakeVllmServer server = new FakeVllmServer(MODEL)) {
            server.latency(25); // slow enough that a kill lands mid-run
            Path reference = Files.createDirectory(dir.resolve("reference")).resolve("pairs.jsonl");
            StringWriter err = new StringWriter();
            int code = Main.run(args(input, reference, server).toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err));
            assertEquals(0, code, err.toString());
            Map<String, String> expected = records(reference, false);
            assertEquals(SAMPLES, expected.size());

            Path out = Files.createDirectory(dir.resolve("killed")).resolve("pairs.jsonl");
            // Kill as soon as the first pair is on disk, then twice more mid-run, each a random few ms after a
            // line landed, so the kill falls at different points of the workers' request and write cycle.
            int[] killAfterLines = {1, 12, 24};
            java.util.Random jitter = new java.util.Random();
            int killed = 0;
            for (int target : killAfterLines) {
                Process p = child(input, out, server, "kill" + killed);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (lineCount(out) < target && p.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                Thread.sleep(jitter.nextInt(30));
                if (p.isAlive()) {
                    p.destroyForcibly();
                    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                    assertEquals(137, p.exitValue(), "killed by SIGKILL");
                    killed++;
                } else {
                    assertEquals(0, p.exitValue(), log("kill" + killed));
                }
                Map<String, String> partial = records(out, true); // a torn last line is allowed on disk here
                System.out.printf("kill point %d: %d records on disk, %d bytes in the output%n", target, partial.size(),
                        Files.exists(out) ? Files.size(out) : 0);
                assertTrue(expected.entrySet().containsAll(partial.entrySet()), "what survived a kill is a subset of the reference");
            }
            assertEquals(3, killed, "three runs were killed mid-way");

            Process last = child(input, out, server, "final");
            assertTrue(last.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, last.exitValue(), log("final"));
            assertEquals(expected, records(out, false), "every id exactly once, the same records as one uninterrupted run");

            // Running the finished command again changes nothing and asks the model nothing.
            byte[][] before = snapshot(out);
            int chats = server.chats().size();
            Process again = child(input, out, server, "again");
            assertTrue(again.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, again.exitValue(), log("again"));
            byte[][] after = snapshot(out);
            for (int i = 0; i < before.length; i++) {
                assertArrayEquals(before[i], after[i], "file " + i + " unchanged");
            }
            assertEquals(chats, server.chats().size());
            assertTrue(log("again").contains("36 of 36 samples were already done"), log("again"));
        }
    }

    List<String> args(Path input, Path out, FakeVllmServer server) {
        return List.of("pairs", "--input", input.toString(), "--output", out.toString(), "--server", server.url(), "--model", MODEL,
                "--frames", "4", "--seed", "9", "--concurrency", "4", "--no-progress");
    }

    Process child(Path input, Path out, FakeVllmServer server, String name) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Djava.awt.headless=true", Main.class.getName()));
        cmd.addAll(args(input, out, server));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }

    static long lineCount(Path p) throws Exception {
        if (!Files.exists(p)) {
            return 0;
        }
        byte[] b = Files.readAllBytes(p);
        long n = 0;
        for (byte x : b) {
            n += x == '\n' ? 1 : 0;
        }
        return n;
    }

    static byte[][] snapshot(Path out) throws Exception {
        return new byte[][] {Files.readAllBytes(out), Files.readAllBytes(PairWriter.defaultFailures(out)),
                Files.readAllBytes(PairWriter.defaultFiltered(out))};
    }

    /** id → line over the three files; each id at most once; a torn last line only where {@code allowTorn}. */
    static Map<String, String> records(Path out, boolean allowTorn) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (Path p : List.of(out, PairWriter.defaultFiltered(out), PairWriter.defaultFailures(out))) {
            if (!Files.exists(p)) {
                continue;
            }
            String s = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
            int end = s.lastIndexOf('\n') + 1;
            if (!allowTorn) {
                assertEquals(s.length(), end, "no torn line in " + p);
            }
            for (String line : s.substring(0, end).split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                String id = JSON.readTree(line).get("id").asText();
                assertEquals(null, m.put(id, line), "id " + id + " recorded twice");
            }
        }
        return m;
    }
}
