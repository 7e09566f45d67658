package io.github.leanpo.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the {@code leanpo} command line in-process and captures what it printed; the shared CLI test helpers. */
public record CliRun(int code, String out, String err) {

    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }

    /** The run failed with {@code code} and exactly one line on stderr, "leanpo: ..." containing {@code contains}, no stack trace. */
    public void assertOneLineError(int expectedCode, String contains) {
        assertEquals(expectedCode, code, "exit code; stderr: " + err);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, "error must be one line, got: " + err);
        assertTrue(lines[0].startsWith("leanpo: ") && lines[0].contains(contains), lines[0]);
        assertFalse(err.contains("\tat "), "no stack trace");
    }
}
