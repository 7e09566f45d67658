package io.github.leanpo.oracle;

import static io.github.leanpo.oracle.OracleTestSupport.IGNORE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Invalid input is rejected with IllegalArgumentException; the config helpers set what they say. */
class OracleValidationTest {

    private static final int V = 3;
    private static final double[] LOGITS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2};
    private static final int T = 4;

    private static OracleResult run(long[] targets, long[] offsets, double[] refSum, OracleConfig cfg) {
        return Oracle.compute(LOGITS, T, V, targets, offsets, refSum, cfg);
    }

    @Test
    void acceptsValidInput() {
        assertDoesNotThrow(() -> run(new long[] {0, 1, 2, 0}, new long[] {0, 2, 4}, null, OracleConfig.leanpo()));
    }

    @Test
    void rejectsEmptyChosen() {
        IllegalArgumentException e = null;
        for (OracleObjective o : OracleObjective.values()) {
            OracleConfig cfg = OracleConfig.leanpo().withObjective(o);
            double[] ref = o == OracleObjective.DPO ? new double[] {0, 0} : null;
            // chosen has no rows
            assertThrows(IllegalArgumentException.class, () -> run(new long[] {0, 1, 2, 0}, new long[] {0, 0, 4}, ref, cfg));
            // chosen has rows but all are ignored
            e = assertThrows(IllegalArgumentException.class,
                    () -> run(new long[] {IGNORE, IGNORE, 2, 0}, new long[] {0, 2, 4}, ref, cfg));
        }
        assertEquals(IllegalArgumentException.class, e.getClass());
    }

    @Test
    void rejectsEmptyRejectedExceptForSft() {
        for (OracleObjective o : new OracleObjective[] {OracleObjective.LEANPO, OracleObjective.SIMPO, OracleObjective.DPO}) {
            OracleConfig cfg = OracleConfig.leanpo().withObjective(o);
            double[] ref = o == OracleObjective.DPO ? new double[] {0, 0} : null;
            assertThrows(IllegalArgumentException.class, () -> run(new long[] {0, 1, 2, 0}, new long[] {0, 4, 4}, ref, cfg));
            assertThrows(IllegalArgumentException.class,
                    () -> run(new long[] {0, 1, IGNORE, IGNORE}, new long[] {0, 2, 4}, ref, cfg));
        }
        OracleConfig sft = OracleConfig.leanpo().withObjective(OracleObjective.SFT);
        assertDoesNotThrow(() -> run(new long[] {0, 1, 2, 0}, new long[] {0, 4, 4}, null, sft));
        assertDoesNotThrow(() -> run(new long[] {0, 1, IGNORE, IGNORE}, new long[] {0, 2, 4}, null, sft));
    }

    @Test
    void rejectsBadTargets() {
        OracleConfig cfg = OracleConfig.leanpo();
        assertThrows(IllegalArgumentException.class, () -> run(new long[] {0, 3, 2, 0}, new long[] {0, 2, 4}, null, cfg));
        assertThrows(IllegalArgumentException.class, () -> run(new long[] {0, -1, 2, 0}, new long[] {0, 2, 4}, null, cfg));
        // -100 is only special when it is the configured ignore index
        assertThrows(IllegalArgumentException.class,
                () -> run(new long[] {0, IGNORE, 2, 0}, new long[] {0, 2, 4}, null, cfg.withIgnoreIndex(-1)));
        assertThrows(IllegalArgumentException.class, () -> run(new long[] {0, 1, 2}, new long[] {0, 2, 4}, null, cfg));
    }

    @Test
    void rejectsBadOffsets() {
        OracleConfig cfg = OracleConfig.leanpo();
        long[] y = {0, 1, 2, 0};
        assertThrows(IllegalArgumentException.class, () -> run(y, new long[] {0, 3, 2}, null, cfg)); // decreasing
        assertThrows(IllegalArgumentException.class, () -> run(y, new long[] {0, 2, 5}, null, cfg)); // past T
        assertThrows(IllegalArgumentException.class, () -> run(y, new long[] {-1, 2, 4}, null, cfg)); // negative
        assertThrows(IllegalArgumentException.class, () -> run(y, new long[] {0, 2, 3, 4}, null, cfg)); // even length
        assertThrows(IllegalArgumentException.class, () -> run(y, new long[] {0}, null, cfg)); // no pair
        assertThrows(IllegalArgumentException.class, () -> run(y, null, null, cfg));
    }

    @Test
    void rejectsBadShapesAndMissingReference() {
        OracleConfig dpo = OracleConfig.leanpo().withObjective(OracleObjective.DPO);
        long[] y = {0, 1, 2, 0};
        long[] off = {0, 2, 4};
        assertThrows(IllegalArgumentException.class, () -> run(y, off, null, dpo));
        assertThrows(IllegalArgumentException.class, () -> run(y, off, new double[] {0.0}, dpo));
        assertDoesNotThrow(() -> run(y, off, new double[] {0.0, 0.0}, dpo));
        assertThrows(IllegalArgumentException.class,
                () -> Oracle.compute(LOGITS, T, V + 1, y, off, null, OracleConfig.leanpo()));
        assertThrows(IllegalArgumentException.class,
                () -> Oracle.computeLinear(new double[8], new double[6], new double[2], T, 2, V, y, off, null,
                        OracleConfig.leanpo()));
    }

    @Test
    void configDefaultsAndWithers() {
        OracleConfig c = OracleConfig.leanpo();
        assertEquals(new OracleConfig(OracleObjective.LEANPO, 2.0, 0.0, OracleSmoothing.DYNAMIC, 0.2, 0.0, -100L, 0.0), c);
        OracleConfig d = c.withObjective(OracleObjective.DPO).withBeta(0.1).withGamma(0.3)
                .withSmoothing(OracleSmoothing.FIXED, 0.05).withNllWeight(0.7).withIgnoreIndex(-1L).withNormalizer(9.0);
        assertEquals(new OracleConfig(OracleObjective.DPO, 0.1, 0.3, OracleSmoothing.FIXED, 0.05, 0.7, -1L, 9.0), d);
        assertThrows(IllegalArgumentException.class, () -> c.withSmoothing(OracleSmoothing.FIXED, 1.5));
        assertThrows(IllegalArgumentException.class, () -> c.withSmoothing(null, 0.1));
    }
}
