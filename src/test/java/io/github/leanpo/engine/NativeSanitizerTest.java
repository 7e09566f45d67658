package io.github.leanpo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Native memory safety: the kernel checks of leanpo_cuda_check (the CPU kernels with both instruction
 * sets and the emulated CUDA kernels, on odd shapes, misaligned rows and exact-size buffers) built
 * with AddressSanitizer and UndefinedBehaviorSanitizer. Any out-of-bounds access, use after free,
 * leak or undefined behaviour aborts the run with a report, and the test fails with it.
 */
class NativeSanitizerTest {

    private static String run(long minutes, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ASAN_OPTIONS", "detect_leaks=1");
        pb.environment().put("UBSAN_OPTIONS", "print_stacktrace=1");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(minutes, TimeUnit.MINUTES), String.join(" ", cmd) + " did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
        return text;
    }

    @Test
    void kernelChecksRunCleanUnderAddressAndUndefinedBehaviourSanitizers() throws IOException, InterruptedException {
        Path dir = Path.of(System.getProperty("leanpo.native.dir", "target/native"));
        run(15, "cmake", "--build", dir.toString(), "--target", "leanpo_cuda_check_san");
        long seed = ThreadLocalRandom.current().nextLong(1L << 48);
        String text = run(15, dir.resolve("leanpo_cuda_check_san").toString(), "--seed", Long.toString(seed));
        assertFalse(text.contains("ERROR: AddressSanitizer") || text.contains("ERROR: LeakSanitizer") || text.contains("runtime error:"),
                text);
        assertTrue(text.matches("(?s).*checks: [1-9][0-9]{2,}, failed: 0.*"), "seed " + seed + ":\n" + text);
    }
}
