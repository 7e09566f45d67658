package io.github.leanpo.oracle;

import static io.github.leanpo.oracle.OracleTestSupport.IGNORE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.oracle.OracleTestSupport.Problem;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Large logits and saturated sigmoids must not produce NaN or infinity. */
class OracleRobustnessTest {

    private static final double LN2 = Math.log(2.0);
    private static final double LN3 = Math.log(3.0);

    private static void assertAllFinite(String what, double[] xs) {
        for (int i = 0; i < xs.length; i++) {
            assertTrue(Double.isFinite(xs[i]), what + "[" + i + "] = " + xs[i]);
        }
    }

    private static void assertResultFinite(OracleResult r) {
        assertTrue(Double.isFinite(r.loss()), "loss = " + r.loss());
        assertAllFinite("gradLogits", r.gradLogits());
        assertAllFinite("dLogp", r.dLogp());
        assertAllFinite("seqMean", r.seqMean());
        assertAllFinite("seqSum", r.seqSum());
        assertAllFinite("pairLoss", r.pairLoss());
        assertAllFinite("rewardChosen", r.rewardChosen());
        assertAllFinite("rewardRejected", r.rewardRejected());
    }

    @ParameterizedTest
    @EnumSource(OracleObjective.class)
    void logitsOfMagnitude1e4(OracleObjective objective) {
        Random rng = new Random(99L);
        int T = 10;
        int V = 11;
        double[] logits = new double[T * V];
        long[] targets = new long[T];
        for (int t = 0; t < T; t++) {
            for (int v = 0; v < V; v++) {
                logits[t * V + v] = (2.0 * rng.nextDouble() - 1.0) * 1e4;
            }
            targets[t] = rng.nextInt(V);
        }
        targets[2] = IGNORE;
        // row 0: two tied maxima at 1e4 and everything else far below -> logp of a tied target = -ln 2
        for (int v = 0; v < V; v++) {
            logits[v] = -1e4;
        }
        logits[3] = 1e4;
        logits[7] = 1e4;
        targets[0] = 3;
        double[] refSum = {-5e3, -6e3, 1e3, -2e4};
        Problem pr = new Problem(logits, T, V, targets, new long[] {0, 3, 5, 8, 10},
                objective == OracleObjective.DPO ? refSum : null);
        OracleConfig cfg = OracleConfig.leanpo().withObjective(objective).withNllWeight(0.1);
        OracleResult r = pr.compute(cfg);
        assertResultFinite(r);
        assertEquals(-LN2, logpOfRow0(pr), 1e-12);
        for (int t = 0; t < T; t++) {
            double rowSum = 0.0;
            for (int v = 0; v < V; v++) {
                rowSum += r.gradLogits()[t * V + v];
            }
            assertEquals(0.0, rowSum, 1e-9, "row " + t + " sums to zero");
        }
    }

    /** logp of row 0 recovered from a problem whose chosen_0 holds only that row. */
    private static double logpOfRow0(Problem pr) {
        Problem single = new Problem(pr.logits(), pr.T(), pr.V(), pr.targets(), new long[] {0, 1, 2}, null);
        return single.compute(OracleConfig.leanpo()).seqSum()[0];
    }

    /** Ordered pair with mean_w - mean_l = ln 2 (see OracleHandComputedTest); z = beta ln 2. */
    private static Problem orderedPair() {
        double[] logits = {0.0, 0.0, 0.0, 0.0, 0.0, LN3};
        return new Problem(logits, 3, 2, new long[] {0, 1, 0}, new long[] {0, 2, 3}, null);
    }

    /** Same, chosen and rejected swapped: mean_w - mean_l = -ln 2. */
    private static Problem invertedPair() {
        double[] logits = {0.0, LN3, 0.0, 0.0, 0.0, 0.0};
        return new Problem(logits, 3, 2, new long[] {0, 0, 1}, new long[] {0, 1, 3}, null);
    }

    @ParameterizedTest
    @ValueSource(doubles = {1000.0, -1000.0})
    void saturatedSigmoid(double z) {
        Problem pr = z > 0 ? orderedPair() : invertedPair();
        double beta = 1000.0 / LN2;
        OracleConfig none = OracleConfig.leanpo().withBeta(beta).withSmoothing(OracleSmoothing.NONE, 0.0);
        OracleConfig fixed = none.withSmoothing(OracleSmoothing.FIXED, 0.2);
        OracleConfig dynamic = none.withSmoothing(OracleSmoothing.DYNAMIC, 0.2);

        OracleResult rn = pr.compute(none);
        OracleResult rf = pr.compute(fixed);
        OracleResult rd = pr.compute(dynamic);
        assertResultFinite(rn);
        assertResultFinite(rf);
        assertResultFinite(rd);
        assertEquals(z, rn.rewardChosen()[0] - rn.rewardRejected()[0], 1e-9);

        // NONE: L = softplus(-z); FIXED 0.2: L = 0.8 softplus(-z) + 0.2 softplus(z)
        double spNeg = z > 0 ? 0.0 : 1000.0;
        double spPos = z > 0 ? 1000.0 : 0.0;
        assertEquals(spNeg, rn.loss(), 1e-9);
        assertEquals(0.8 * spNeg + 0.2 * spPos, rf.loss(), 1e-9);
        // DYNAMIC is on only for the inverted pair (z < 0)
        assertArrayEquals(new double[] {z < 0 ? 0.2 : 0.0}, rd.epsilon(), 0.0);
        assertEquals(z < 0 ? rf.loss() : rn.loss(), rd.loss(), 0.0);

        // g = sigma(z) - (1 - eps), saturated to 0 or -1 (NONE) and 0.2 or -0.8 (FIXED)
        double gNone = z > 0 ? 0.0 : -1.0;
        double gFixed = z > 0 ? 0.2 : -0.8;
        // chosen rows have n_w tokens; dlogp = beta * g / n_w
        long nw = rn.seqTokens()[0];
        assertEquals(beta * gNone / nw, rn.dLogp()[0], 1e-9 * beta);
        assertEquals(beta * gFixed / nw, rf.dLogp()[0], 1e-9 * beta);
    }

    @Test
    void extremeLinearInputsStayFinite() {
        int T = 3;
        int d = 2;
        int V = 4;
        double[] hidden = {100.0, -100.0, 50.0, 50.0, -100.0, 100.0};
        double[] weight = {50.0, 0.0, -50.0, 0.0, 0.0, 50.0, 0.0, -50.0}; // logits up to 5e3
        OracleLinearResult r = Oracle.computeLinear(hidden, weight, new double[V], T, d, V, new long[] {0, 1, 2},
                new long[] {0, 2, 3}, null, OracleConfig.leanpo());
        assertResultFinite(r.logitsResult());
        assertAllFinite("gradHidden", r.gradHidden());
        assertAllFinite("gradWeight", r.gradWeight());
        assertAllFinite("gradBias", r.gradBias());
    }
}
