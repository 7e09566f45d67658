package io.github.leanpo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one JMH run (JSON) into the summary that goes into benchmarks/RESULTS.md: per benchmark the
 * median time, the fraction of the ceiling measured in the same run (copy bandwidth for logits-in,
 * the sgemm rate of the same products for fused-linear), the ratio to the plain-Java baseline, and
 * the peak memory of each mode from {@code leanpo bench --json} lines.
 *
 * <p>usage: Summarize JMH_JSON RESULTS_MD "COMMAND" [BENCH_JSONL]
 */
public final class Summarize {
    private Summarize() {}

    record Row(String bench, Map<String, String> params, double medianMs) {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: Summarize JMH_JSON RESULTS_MD \"COMMAND\" [BENCH_JSONL]");
            System.exit(2);
        }
        ObjectMapper om = new ObjectMapper();
        List<Row> rows = new ArrayList<>();
        for (JsonNode n : om.readTree(Files.readString(Path.of(args[0])))) {
            Map<String, String> p = new LinkedHashMap<>();
            n.path("params").fields().forEachRemaining(e -> p.put(e.getKey(), e.getValue().asText()));
            List<Double> raw = new ArrayList<>();
            n.path("primaryMetric").path("rawData").forEach(fork -> fork.forEach(v -> raw.add(v.asDouble())));
            double[] r = raw.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = r.length % 2 == 1 ? r[r.length / 2] : 0.5 * (r[r.length / 2 - 1] + r[r.length / 2]);
            String name = n.path("benchmark").asText();
            rows.add(new Row(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1), p, median));
        }
        StringBuilder sb = new StringBuilder();
        sb.append("\n## ").append(LocalDate.now()).append(" — JMH run\n\n");
        sb.append("Machine: ").append(machine()).append("\n\nCommand: `").append(args[2]).append("`\n\n");
        sb.append("Medians of the measurement iterations, one JMH run; ceilings measured in that run.\n\n");

        double copyMs = find(rows, "CeilingBench.copy", Map.of()).orElse(Double.NaN);
        double copyBytes = rows.stream().filter(r -> r.bench().equals("CeilingBench.copy")).findFirst()
                .map(r -> Double.parseDouble(r.params().get("copyBytes"))).orElse(Double.NaN);
        double copyGBps = 2 * copyBytes / (copyMs / 1e3) / 1e9;
        sb.append(String.format(Locale.ROOT, "Memory copy ceiling: %.2f GB/s (read + write of %.0f MiB, median %.2f ms).%n%n", copyGBps,
                copyBytes / 1048576, copyMs));

        sb.append("| logits-in | dtype | forward ms | backward ms (step − fwd) | step ms | GB/s over ideal bytes | fraction of copy | plain-Java baseline ms | speed-up |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (!r.bench().equals("LogitsBench.step")) {
                continue;
            }
            String shape = r.params().get("shape");
            String dtype = r.params().get("dtype");
            long[] s = Data.shape(shape);
            double fwd = find(rows, "LogitsBench.forward", Map.of("shape", shape, "dtype", dtype)).orElse(Double.NaN);
            double ideal = 2.0 * s[0] * s[1] * (dtype.equals("f32") ? 4 : 2);
            double gbps = ideal / (r.medianMs() / 1e3) / 1e9;
            String base = "";
            String speed = "";
            if (dtype.equals("f32")) {
                double b = find(rows, "BaselineBench.step", Map.of("shape", shape)).orElse(Double.NaN);
                if (!Double.isNaN(b)) {
                    base = String.format(Locale.ROOT, "%.1f", b);
                    speed = String.format(Locale.ROOT, "%.1f×", b / r.medianMs());
                }
            }
            sb.append(String.format(Locale.ROOT, "| T×V = %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |%n", shape, dtype, fwd,
                    r.medianMs() - fwd, r.medianMs(), gbps, gbps / copyGBps, base, speed));
        }
        sb.append("\n| fused-linear | dtype | forward ms | step ms | useful GFLOP/s (6·T·d·V) | sgemm GFLOP/s, same products | fraction of sgemm |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (!r.bench().equals("LinearBench.step")) {
                continue;
            }
            String shape = r.params().get("linearShape");
            String dtype = r.params().get("dtype");
            long[] s = Data.shape(shape);
            double flops = 6.0 * s[0] * s[1] * s[2];
            double fwd = find(rows, "LinearBench.forward", Map.of("linearShape", shape, "dtype", dtype)).orElse(Double.NaN);
            double gemm = find(rows, "CeilingBench.sgemm", Map.of("gemmShape", shape)).orElse(Double.NaN);
            double useful = flops / (r.medianMs() / 1e3) / 1e9;
            double sg = flops / (gemm / 1e3) / 1e9;
            sb.append(String.format(Locale.ROOT, "| T×d×V = %s | %s | %.1f | %.1f | %.1f | %.1f | %.2f |%n", shape, dtype, fwd, r.medianMs(),
                    useful, sg, useful / sg));
        }
        if (args.length > 3 && Files.exists(Path.of(args[3]))) {
            sb.append("\nPeak resident memory of the whole process (`leanpo bench --json`, one process per line):\n\n");
            sb.append("| mode | dtype | shape | peak RSS MiB | T×V f32 buffer MiB |\n|---|---|---|---|---|\n");
            ObjectMapper m = new ObjectMapper();
            for (String line : Files.readAllLines(Path.of(args[3]))) {
                if (!line.startsWith("{")) {
                    continue;
                }
                JsonNode j = m.readTree(line);
                String shape = j.has("d") ? j.get("T").asText() + "×" + j.get("d").asText() + "×" + j.get("V").asText()
                        : j.get("T").asText() + "×" + j.get("V").asText();
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.0f |%n", j.get("mode").asText(), j.get("dtype").asText(), shape,
                        j.get("peak_rss_bytes").asDouble() / 1048576, 4.0 * j.get("T").asDouble() * j.get("V").asDouble() / 1048576));
            }
        }
        Files.writeString(Path.of(args[1]), sb.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.print(sb);
    }

    private static java.util.Optional<Double> find(List<Row> rows, String bench, Map<String, String> params) {
        return rows.stream().filter(r -> r.bench().equals(bench))
                .filter(r -> params.entrySet().stream().allMatch(e -> e.getValue().equals(r.params().get(e.getKey()))))
                .map(Row::medianMs).findFirst();
    }

    private static String machine() {
        String model = "unknown CPU";
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    model = l.substring(l.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // keep "unknown CPU"
        }
        return model + ", " + Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version")
                + " (" + Arrays.toString(new String[] {System.getProperty("os.name"), System.getProperty("os.arch")}) + ")";
    }
}
