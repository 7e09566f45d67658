package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * No native memory growth across 10,000 loss calls of each kind (logits-in from Java arrays, logits-in from JavaCPP
 * memory, fused-linear, HF batches), each kind in a fresh child JVM ({@link LossCallsChild}) with a fixed, pre-touched
 * 64 MB heap and C1 only, so that the resident set size moves with native memory rather than with heap growth or
 * compilation. After a warm-up, JavaCPP's count of the native bytes it allocated must be back at its starting value,
 * and RSS must grow by less than {@value #RSS_BOUND_BYTES} bytes: a leak of 400 bytes per call would already exceed
 * that. (Measured on the development machine: growth of 4–60 KB over the 10,000 calls; see benchmarks/RESULTS.md.)
 */
@EnabledOnOs(OS.LINUX)
class NativeMemoryTest {
    static final int CALLS = 10_000;
    static final long RSS_BOUND_BYTES = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void tenThousandCallsOfEachKindLeaveNativeMemoryWhereItWas() throws Exception {
        String[] kinds = {"logits", "logits-pointer", "linear", "hf"};
        Map<String, Map<String, Long>> results = new LinkedHashMap<>();
        for (int i = 0; i < kinds.length; i += 2) { // two at a time: one per core of a small machine
            Process a = child(kinds[i]);
            Process b = child(kinds[i + 1]);
            results.put(kinds[i], result(kinds[i], a));
            results.put(kinds[i + 1], result(kinds[i + 1], b));
        }
        for (Map.Entry<String, Map<String, Long>> e : results.entrySet()) {
            Map<String, Long> m = e.getValue();
            long rssGrowth = m.get("rssAfter") - m.get("rssBefore");
            System.out.printf("%-15s %d calls: JavaCPP totalBytes %d -> %d, physicalBytes %+d B, RSS %d -> %d (%+d B)%n", e.getKey(),
                    m.get("calls"), m.get("totalBefore"), m.get("totalAfter"), m.get("physicalAfter") - m.get("physicalBefore"),
                    m.get("rssBefore"), m.get("rssAfter"), rssGrowth);
            assertEquals(CALLS, m.get("calls"));
            assertEquals(m.get("totalBefore"), m.get("totalAfter"), e.getKey() + ": every JavaCPP allocation of a call is freed");
            assertTrue(rssGrowth < RSS_BOUND_BYTES, e.getKey() + ": RSS grew by " + rssGrowth + " bytes over " + CALLS + " calls");
        }
    }

    private Process child(String kind) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", LossCallsChild.class.getName(), kind, Integer.toString(CALLS)));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(kind + ".log").toFile()).start();
    }

    private Map<String, Long> result(String kind, Process p) throws Exception {
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), kind + " did not finish");
        String out = Files.readString(dir.resolve(kind + ".log"));
        assertEquals(0, p.exitValue(), out);
        String line = out.lines().filter(l -> l.startsWith("calls=")).findFirst().orElseThrow(() -> new AssertionError(out));
        Map<String, Long> m = new LinkedHashMap<>();
        for (String kv : line.split(" ")) {
            String[] pair = kv.split("=");
            m.put(pair[0], Long.parseLong(pair[1]));
        }
        return m;
    }
}
