package io.github.leanpo.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * What every fuzz test shares. A {@code @FuzzTest} runs its seeds (the files under
 * {@code src/test/resources/<package>/<TestClass>Inputs/<method>/}) in every build; with {@code JAZZER_FUZZ=1} the
 * {@code fuzz} Maven profile fuzzes each target in its own JVM for {@link #MAX_DURATION} (CI does this, see
 * {@code .ci/run}). A finding is written next to the seeds, where it becomes a regression test once committed.
 */
public final class Fuzzing {
    /**
     * How long one target is fuzzed in the CI run: a short run that still explores well past the seeds, kept small
     * because CI fuzzes every target on 2 cores. A longer run of one target passes a libFuzzer flag, which wins over
     * this value: {@code mvn -B -ntp test-compile surefire:test@fuzz-frames} with {@code JAZZER_FUZZ=1} and
     * {@code -Dleanpo.fuzz.args="-Djazzer.internal.arg.0=x -Djazzer.internal.arg.1=-max_total_time=600"} (execution
     * ids in pom.xml's fuzz profile).
     */
    public static final String MAX_DURATION = "10s";

    /**
     * Seconds one input may take before it counts as a hang: the JUnit timeout of each seed in the regression run,
     * and libFuzzer's per-input timeout while fuzzing (Jazzer passes {@code @Timeout} on). Far above any real input.
     */
    public static final long TIMEOUT_S = 30;

    private Fuzzing() {}

    /**
     * Checks that a rejected input was rejected clearly: the failure carries a message a user can act on. Anything
     * the caller did not expect is rethrown by the caller, so it reaches the fuzzer as a finding.
     */
    public static void assertClear(Throwable e) {
        assertNotNull(e.getMessage(), () -> e.getClass().getName() + " without a message");
        assertFalse(e.getMessage().isBlank(), () -> e.getClass().getName() + " with a blank message");
    }
}
