package io.github.leanpo.train.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.files.AtomicFiles;
import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.model.TorchRuntime;
import io.github.leanpo.pipeline.FrameSampler;
import io.github.leanpo.pipeline.Frames;
import io.github.leanpo.safetensors.SafetensorsFile;
import io.github.leanpo.train.Checkpoint;
import io.github.leanpo.train.TrainConfig;
import io.github.leanpo.train.Trainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file writer leanpo has, killed with SIGKILL mid-write: safetensors (as {@code leanpo loss -o} writes them),
 * checkpoints (model.safetensors and libtorch's optimizer.pt), the metrics JSONL, the demo report and plot, and the
 * demo videos. A child JVM ({@link KilledWriters}) rewrites them all concurrently and is killed at random moments;
 * after each kill every target must be a complete version — it opens, parses or decodes, and its content is
 * self-consistent — and every file that is not a result must be a hidden temporary file of {@link AtomicFiles}. A last
 * child that exits normally must leave no temporary file at all. (The pairs writer has its own kill test,
 * {@code PairsKillResumeTest}.)
 */
@EnabledOnOs(OS.LINUX)
class CrashSafeWritesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final byte[] PNG_END = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};
    static final Set<String> RESULTS = Set.of("tensors.safetensors", "checkpoint/model.safetensors", "checkpoint/optimizer.pt",
            "metrics.jsonl", "report/report.md", "report/logps.png", "videos/scene.mp4");

    @TempDir
    Path dir;

    @Test
    void everyWriterLeavesTheOldOrTheNewFileAfterSigkill() throws Exception {
        Random jitter = new Random();
        int temporariesSeen = 0;
        for (int kill = 0; kill < 3; kill++) {
            Process p = child("kill" + kill);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!log("kill" + kill).contains("ready") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(p.isAlive(), () -> "the writers stopped by themselves: " + log("kill0"));
            Thread.sleep(jitter.nextInt(400)); // somewhere in the writers' loops, each at its own point
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, p.exitValue(), "killed by SIGKILL");
            temporariesSeen += checkEveryTarget();
        }
        System.out.printf("SIGKILL x3: every target complete; %d temporary files left by killed writes%n", temporariesSeen);

        Process last = child("once");
        assertTrue(last.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, last.exitValue(), log("once"));
        checkEveryTarget();
        assertEquals(List.of(), hidden(), "a clean run removes the temporary files that killed runs left");
    }

    /** Checks each target; returns how many temporary files there are. */
    private int checkEveryTarget() throws Exception {
        Set<String> visible = new TreeSet<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .filter(n -> !n.startsWith(".") && !n.contains("/.") && !n.endsWith(".log")).forEach(visible::add);
        }
        assertEquals(new TreeSet<>(RESULTS), visible, "the only visible files are the results");
        for (Path h : hidden()) {
            assertTrue(AtomicFiles.isTemporary(h), () -> "an unexpected hidden file " + h);
        }
        tensors();
        checkpoint();
        metrics();
        report();
        video();
        return hidden().size();
    }

    private void tensors() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("tensors.safetensors"))) {
            float v = Float.parseFloat(f.metadata().get("version"));
            for (String name : List.of("a", "b")) {
                float[] x = f.readF32(name);
                assertEquals(KilledWriters.ELEMENTS, x.length);
                for (int i = 0; i < x.length; i++) {
                    if (x[i] != v) {
                        throw new AssertionError("tensor " + name + "[" + i + "] = " + x[i] + " in a file of version " + v);
                    }
                }
            }
        }
    }

    private void checkpoint() throws Exception {
        TorchRuntime.init(1);
        Checkpoint.Loaded c = Checkpoint.load(dir.resolve("checkpoint"));
        try (var model = c.model(); Trainer t = new Trainer(model, new TrainConfig(LossConfig.leanpo(), 1e-3, 0.0, 1, 1.0, 0, 0))) {
            t.loadOptimizer(dir.resolve("checkpoint").resolve(Checkpoint.OPTIMIZER_FILE), c.steps());
        }
    }

    private void metrics() throws Exception {
        String s = Files.readString(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8);
        assertTrue(s.isEmpty() || s.endsWith("\n"), "no torn last line");
        int step = 1;
        for (String line : s.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode n = JSON.readTree(line);
            assertEquals(step++, n.get("step").asInt(), line);
        }
    }

    private void report() throws Exception {
        Path dirReport = dir.resolve("report");
        String md = Files.readString(dirReport.resolve("report.md"), StandardCharsets.UTF_8);
        int seed = Integer.parseInt(md.substring(md.indexOf("Seed ") + 5, md.indexOf('.', md.indexOf("Seed "))));
        assertEquals(DemoReport.markdown(KilledWriters.result(dirReport, seed)), md, "the report is one whole version");
        byte[] png = Files.readAllBytes(dirReport.resolve("logps.png"));
        assertArrayEquals(PNG_END, Arrays.copyOfRange(png, png.length - PNG_END.length, png.length), "the PNG is complete");
        assertNotNull(javax.imageio.ImageIO.read(dirReport.resolve("logps.png").toFile()));
    }

    private void video() throws Exception {
        Frames f = new FrameSampler(ShapesWorld.FRAMES, ShapesWorld.SIZE).sample(dir.resolve("videos").resolve("scene.mp4"));
        assertEquals(ShapesWorld.FRAMES, f.size(), "every frame of the video decodes");
    }

    private List<Path> hidden() throws Exception {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().startsWith(".")).forEach(out::add);
        }
        return out;
    }

    private Process child(String name) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Djava.awt.headless=true", KilledWriters.class.getName(), dir.toString()));
        if (name.equals("once")) {
            cmd.add("once");
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }
}
