package io.github.leanpo.train.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.cli.Main;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code leanpo demo --quick} end to end through the command line: every output is there and says what it should. */
class DemoQuickTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The README runs the demo with the default output directory, a relative path (the working directory). */
    @Test
    void quickDemoWithARelativeOutputDirectory(@TempDir Path tmp) throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        Path rel = cwd.relativize(tmp.resolve("relative-out").toAbsolutePath());
        assertTrue(!rel.isAbsolute());
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int rc = Main.run(new String[] {"demo", "--quick", "--out", rel.toString()}, new PrintWriter(so, true), new PrintWriter(se, true));
        assertEquals(0, rc, "stdout:\n" + so + "\nstderr:\n" + se);
        assertTrue(Files.size(tmp.resolve("relative-out").resolve(Demo.REPORT_FILE)) > 0);
    }

    @Test
    void quickDemoWritesReportPlotMetricsAndPairs(@TempDir Path out) throws Exception {
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int rc = Main.run(new String[] {"demo", "--quick", "--out", out.toString()}, new PrintWriter(so, true), new PrintWriter(se, true));
        assertEquals(0, rc, "stdout:\n" + so + "\nstderr:\n" + se);

        String report = Files.readString(out.resolve(Demo.REPORT_FILE));
        for (String row : List.of("| SFT |", "| DPO |", "| LeanPO, no smoothing |", "| LeanPO, dynamic smoothing |")) {
            assertTrue(report.contains(row), "report lacks the row " + row + ":\n" + report);
        }
        assertTrue(report.contains("displacement"), report);

        BufferedImage png = ImageIO.read(out.resolve(Demo.PLOT_FILE).toFile());
        assertEquals(3 * 460, png.getWidth(), "one panel per preference variant");

        Path work = out.resolve(Demo.WORK_DIR);
        List<String> pairs = Files.readAllLines(work.resolve("data/pairs.jsonl"));
        assertTrue(pairs.size() >= 2, "the pipeline kept " + pairs.size() + " pairs");
        JsonNode pair = JSON.readTree(pairs.get(0));
        for (String k : List.of("prompt", "chosen", "rejected", "chosen_mean_logp", "rejected_mean_logp")) {
            assertTrue(pair.has(k), "pair record lacks " + k);
        }
        int expectedSteps = (pairs.size() + 5) / 6; // DemoConfig.quick: 6 pairs per step, one epoch
        for (String run : List.of("dpo", "leanpo-no-smoothing", "leanpo-dynamic-smoothing")) {
            List<String> lines = Files.readAllLines(work.resolve("runs").resolve(run).resolve("metrics.jsonl"));
            assertEquals(expectedSteps, lines.size(), run + " steps");
            JsonNode m = JSON.readTree(lines.get(0));
            for (String k : List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "logps/chosen",
                    "logps/rejected", "smoothing/active_fraction", "step_time_s")) {
                assertTrue(m.has(k) && m.get(k).isNumber(), run + " metrics lack " + k + ": " + m);
            }
            assertTrue(m.get("logps/chosen").asDouble() < 0 && m.get("logps/rejected").asDouble() < 0, m.toString());
            assertTrue(Files.exists(work.resolve("checkpoints").resolve(run).resolve("model.safetensors")));
        }
        List<String> sft = Files.readAllLines(work.resolve("runs/sft/metrics.jsonl"));
        assertEquals(DemoConfig.quick(out).sftSteps(), sft.size());
        assertTrue(JSON.readTree(sft.get(sft.size() - 1)).get("loss").asDouble() < JSON.readTree(sft.get(0)).get("loss").asDouble(),
                "SFT loss must fall");
    }
}
