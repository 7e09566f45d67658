package io.github.leanpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.leanpo.safetensors.SafetensorsFile;
import io.github.leanpo.testing.Fuzzing;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code leanpo loss} end to end on arbitrary input files: the safetensors reader, the key and shape checks of the
 * command, the loss engine (logits-in and fused-linear) and the atomic writer together. Every file either yields
 * exit status 0 and a complete output file with the documented keys, or exit status 1 with one line on stderr from
 * an exception the command means to throw (bad input: IllegalArgument/IllegalState, a format or I/O error, a missing
 * key) — never another exception type, never a crash. Seeds: valid logits-in files (f32, bf16), a fused-linear file
 * with bias, a DPO file with ref_sum, and near misses.
 */
@Timeout(Fuzzing.TIMEOUT_S)
class LossCommandFuzzTest {
    @TempDir
    static Path dir;

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    @DictionaryEntries({"\"logits\"", "\"hidden\"", "\"weight\"", "\"bias\"", "\"targets\"", "\"seq_offsets\"", "\"ref_sum\"",
            "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"BF16\"", "\"F16\"", "\"I64\"", "\"I32\""})
    void lossOnAnyFile(byte[] content) throws IOException {
        Path in = dir.resolve("in.safetensors");
        Path out = dir.resolve("out.safetensors");
        Files.write(in, content);
        Files.deleteIfExists(out);
        run(in, out, "leanpo");
        // DPO reads one more key; only worth a second run when the file may have it
        if (new String(content, StandardCharsets.ISO_8859_1).contains("ref_sum")) {
            Files.deleteIfExists(out);
            run(in, out, "dpo");
        }
    }

    /** Built once: picocli resets every option before each parse, and building the command tree costs more than a run. */
    private static final CommandLine CLI = new CommandLine(new Main());
    private static final Throwable[] THROWN = new Throwable[1];
    private static final StringWriter ERR = new StringWriter();

    static {
        CLI.setOut(new PrintWriter(new StringWriter() {
            @Override
            public void write(String s, int off, int len) {
                // the metrics line is not checked; dropping it keeps memory flat over millions of runs
            }
        }, true));
        CLI.setErr(new PrintWriter(ERR, true));
        CLI.setExecutionExceptionHandler((ex, c, parsed) -> {
            THROWN[0] = ex;
            return 1;
        });
    }

    private static void run(Path in, Path out, String objective) throws IOException {
        THROWN[0] = null;
        ERR.getBuffer().setLength(0);
        int code = CLI.execute("loss", in.toString(), "-o", out.toString(), "--objective", objective, "--json");
        String err = ERR.toString();
        Throwable e = THROWN[0];
        if (code == 0) {
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                assertTrue(f.tensors().containsKey("loss") && f.tensors().containsKey("pair_loss"), () -> f.tensors().keySet().toString());
                assertTrue(f.tensors().containsKey("grad_logits") || f.tensors().containsKey("grad_hidden"), () -> f.tensors().keySet().toString());
            }
            return;
        }
        assertEquals(1, code, err);
        if (!(e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof IOException
                || e instanceof NoSuchElementException || e instanceof CommandLine.ParameterException)) {
            throw new AssertionError("leanpo loss failed with an unexpected " + e.getClass().getName(), e);
        }
        Fuzzing.assertClear(e);
        assertTrue(!Files.exists(out), "a failed run leaves no output file");
    }
}
