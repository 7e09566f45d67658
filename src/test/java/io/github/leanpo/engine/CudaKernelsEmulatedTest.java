package io.github.leanpo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs every CUDA kernel of leanpo on the CPU, through the emulation in src/test/cuda, against the
 * CPU references of leanpo_cuda_check (benchmarks/cuda/cuda_check.cpp) on fresh random inputs. This
 * is how the kernels' logic is checked on machines without a GPU; the same program built against the
 * GPU is what benchmarks/cuda/run.sh runs on one.
 */
class CudaKernelsEmulatedTest {

    private static Path checkProgram() {
        String dir = System.getProperty("leanpo.native.dir", "target/native");
        return Path.of(dir, "leanpo_cuda_check_emu");
    }

    @Test
    void everyKernelMatchesTheCpuReference() throws IOException, InterruptedException {
        Path exe = checkProgram();
        assertTrue(Files.isExecutable(exe), exe + " was not built (cmake/build-native.sh builds it with the library)");
        long seed = ThreadLocalRandom.current().nextLong(1L << 48);
        Process p = new ProcessBuilder(exe.toString(), "--seed", Long.toString(seed)).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the emulated kernel check did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "emulated CUDA kernels disagree with the CPU reference (rerun with --seed " + seed
                + " to reproduce):\n" + text);
        assertTrue(text.contains("failed: 0"), text);
        assertTrue(text.matches("(?s).*checks: ([1-9][0-9]{2,}), failed: 0.*"), "expected hundreds of checks:\n" + text);
    }
}
