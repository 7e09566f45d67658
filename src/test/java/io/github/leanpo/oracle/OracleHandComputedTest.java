package io.github.leanpo.oracle;

import static io.github.leanpo.oracle.OracleTestSupport.IGNORE;
import static io.github.leanpo.oracle.OracleTestSupport.randomProblem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.oracle.OracleTestSupport.Problem;
import org.junit.jupiter.api.Test;

/**
 * Cases computed on paper, with V = 2 so that every log-probability is a multiple of ln 2:
 * a row [0, 0] gives logp = -ln 2 for either target; a row [0, ln 3] with target 0 gives logp = -ln 4.
 */
class OracleHandComputedTest {

    private static final double LN2 = Math.log(2.0);
    private static final double LN3 = Math.log(3.0);
    private static final double TOL = 1e-12;

    /**
     * One pair. chosen = rows 0..2: row 0 is a masked prompt row [5, -3], rows 1 and 2 are [0, 0] with
     * targets 0 and 1 -> sum_w = -2 ln 2, mean_w = -ln 2. rejected = row 3: [0, ln 3] with target 0 ->
     * sum_l = mean_l = -2 ln 2.
     */
    private static Problem orderedPair() {
        double[] logits = {5.0, -3.0, 0.0, 0.0, 0.0, 0.0, 0.0, LN3};
        long[] targets = {IGNORE, 0, 1, 0};
        return new Problem(logits, 4, 2, targets, new long[] {0, 3, 4}, null);
    }

    /** The same sequences with chosen and rejected swapped: mean_w = -2 ln 2 < mean_l = -ln 2. */
    private static Problem invertedPair() {
        double[] logits = {0.0, LN3, 5.0, -3.0, 0.0, 0.0, 0.0, 0.0};
        long[] targets = {0, IGNORE, 0, 1};
        return new Problem(logits, 4, 2, targets, new long[] {0, 1, 4}, null);
    }

    @Test
    void leanpoDefaultsOnOrderedPair() {
        // beta = 2: reward_w = -2 ln 2, reward_l = -4 ln 2, z = 2 ln 2 = ln 4, sigma(z) = 4/5.
        // mean_w > mean_l -> dynamic eps = 0 -> L = -log(4/5) = ln 1.25.
        OracleResult r = orderedPair().compute(OracleConfig.leanpo());
        assertEquals(Math.log(1.25), r.loss(), TOL);
        assertArrayEquals(new double[] {Math.log(1.25)}, r.pairLoss(), TOL);
        assertArrayEquals(new double[] {-2 * LN2}, r.rewardChosen(), TOL);
        assertArrayEquals(new double[] {-4 * LN2}, r.rewardRejected(), TOL);
        assertArrayEquals(new double[] {0.0}, r.epsilon(), 0.0);
        assertArrayEquals(new double[] {-LN2, -2 * LN2}, r.seqMean(), TOL);
        assertArrayEquals(new double[] {-2 * LN2, -2 * LN2}, r.seqSum(), TOL);
        assertArrayEquals(new long[] {2, 1}, r.seqTokens());
        // g = 4/5 - 1 = -1/5; dL/dmean_w = beta g = -2/5 -> dlogp = -1/5 per chosen row;
        // dL/dmean_l = +2/5 -> dlogp = 2/5 on the single rejected row.
        assertArrayEquals(new double[] {0.0, -0.2, -0.2, 0.4}, r.dLogp(), TOL);
        // dL/dx = dlogp * (onehot - softmax): softmax [1/2, 1/2] on rows 1, 2 and [1/4, 3/4] on row 3.
        assertArrayEquals(new double[] {0.0, 0.0, -0.1, 0.1, 0.1, -0.1, 0.3, -0.3}, r.gradLogits(), TOL);
    }

    @Test
    void leanpoWithNllTerm() {
        // L = ln 1.25 + lambda * ln 2; dL/dmean_w = -2/5 - lambda
        OracleConfig cfg = OracleConfig.leanpo().withSmoothing(OracleSmoothing.NONE, 0.0).withNllWeight(0.5);
        OracleResult r = orderedPair().compute(cfg);
        assertEquals(Math.log(1.25) + 0.5 * LN2, r.loss(), TOL);
        assertArrayEquals(new double[] {0.0, -0.45, -0.45, 0.4}, r.dLogp(), TOL);
    }

    @Test
    void leanpoFixedSmoothingHasZeroGradientAtSigmaEqualOneMinusEps() {
        // eps = 0.2: L = -0.8 log(4/5) - 0.2 log(1/5) = 0.8 ln 1.25 + 0.2 ln 5; g = 4/5 - 0.8 = 0
        OracleResult r = orderedPair().compute(OracleConfig.leanpo().withSmoothing(OracleSmoothing.FIXED, 0.2));
        assertEquals(0.8 * Math.log(1.25) + 0.2 * Math.log(5.0), r.loss(), TOL);
        assertArrayEquals(new double[] {0.2}, r.epsilon(), 0.0);
        for (double g : r.gradLogits()) {
            assertEquals(0.0, g, TOL);
        }
    }

    @Test
    void simpoWithGammaLn2() {
        // z = 2 ln 2 - ln 2 = ln 2, sigma = 2/3, L = ln 1.5
        OracleConfig cfg = OracleConfig.leanpo().withObjective(OracleObjective.SIMPO).withGamma(LN2)
                .withSmoothing(OracleSmoothing.NONE, 0.0);
        OracleResult r = orderedPair().compute(cfg);
        assertEquals(Math.log(1.5), r.loss(), TOL);
        // g = -1/3, dL/dmean_w = -2/3 -> -1/3 per chosen row; rejected row +2/3
        assertArrayEquals(new double[] {0.0, -1.0 / 3, -1.0 / 3, 2.0 / 3}, r.dLogp(), TOL);
    }

    @Test
    void dpoWithReference() {
        // beta = 1, refSum = [-3 ln 2, -2 ln 2]: reward_w = ln 2, reward_l = 0, z = ln 2, L = ln 1.5
        Problem base = orderedPair();
        Problem pr = new Problem(base.logits(), 4, 2, base.targets(), base.offsets(), new double[] {-3 * LN2, -2 * LN2});
        OracleConfig cfg = OracleConfig.leanpo().withObjective(OracleObjective.DPO).withBeta(1.0)
                .withSmoothing(OracleSmoothing.NONE, 0.0);
        OracleResult r = pr.compute(cfg);
        assertEquals(Math.log(1.5), r.loss(), TOL);
        assertArrayEquals(new double[] {LN2}, r.rewardChosen(), TOL);
        assertArrayEquals(new double[] {0.0}, r.rewardRejected(), TOL);
        // g = -1/3; dL/dsum_w = -1/3 on every chosen row, dL/dsum_l = +1/3
        assertArrayEquals(new double[] {0.0, -1.0 / 3, -1.0 / 3, 1.0 / 3}, r.dLogp(), TOL);
    }

    @Test
    void sft() {
        // L = -mean_w = ln 2; rewards beta * mean (informational); rejected has no gradient
        OracleResult r = orderedPair().compute(OracleConfig.leanpo().withObjective(OracleObjective.SFT));
        assertEquals(LN2, r.loss(), TOL);
        assertArrayEquals(new double[] {-2 * LN2}, r.rewardChosen(), TOL);
        assertArrayEquals(new double[] {-4 * LN2}, r.rewardRejected(), TOL);
        assertArrayEquals(new double[] {0.0}, r.epsilon(), 0.0);
        assertArrayEquals(new double[] {0.0, -0.5, -0.5, 0.0}, r.dLogp(), TOL);
    }

    @Test
    void dynamicEpsilonOnWhenChosenIsWorse() {
        // mean_w = -2 ln 2 < mean_l = -ln 2 -> eps = 0.2; z = -ln 4, sigma(z) = 1/5
        Problem pr = invertedPair();
        OracleResult dyn = pr.compute(OracleConfig.leanpo());
        OracleResult fixed = pr.compute(OracleConfig.leanpo().withSmoothing(OracleSmoothing.FIXED, 0.2));
        OracleResult none = pr.compute(OracleConfig.leanpo().withSmoothing(OracleSmoothing.NONE, 0.2));
        assertArrayEquals(new double[] {0.2}, dyn.epsilon(), 0.0);
        assertEquals(0.8 * Math.log(5.0) + 0.2 * Math.log(1.25), dyn.loss(), TOL);
        assertEquals(fixed.loss(), dyn.loss(), 0.0);
        assertArrayEquals(fixed.gradLogits(), dyn.gradLogits(), 0.0);
        assertEquals(Math.log(5.0), none.loss(), TOL);
        assertNotEquals(none.loss(), dyn.loss(), 1e-3);
    }

    @Test
    void dynamicEpsilonOffWhenChosenIsBetter() {
        Problem pr = orderedPair();
        OracleResult dyn = pr.compute(OracleConfig.leanpo());
        OracleResult fixed = pr.compute(OracleConfig.leanpo().withSmoothing(OracleSmoothing.FIXED, 0.2));
        OracleResult none = pr.compute(OracleConfig.leanpo().withSmoothing(OracleSmoothing.NONE, 0.2));
        assertArrayEquals(new double[] {0.0}, dyn.epsilon(), 0.0);
        assertEquals(none.loss(), dyn.loss(), 0.0);
        assertArrayEquals(none.gradLogits(), dyn.gradLogits(), 0.0);
        assertNotEquals(fixed.loss(), dyn.loss(), 1e-3);
    }

    @Test
    void dynamicEpsilonOffOnATie() {
        // identical chosen and rejected: mean_w == mean_l, the condition mean_w < mean_l is false
        double[] logits = {0.3, -1.2, 0.3, -1.2};
        Problem pr = new Problem(logits, 2, 2, new long[] {1, 1}, new long[] {0, 1, 2}, null);
        OracleResult r = pr.compute(OracleConfig.leanpo());
        assertArrayEquals(new double[] {0.0}, r.epsilon(), 0.0);
        assertEquals(Math.log(2.0), r.loss(), TOL); // z = 0 -> -log sigma(0) = ln 2
    }

    @Test
    void dynamicEpsilonIsDecidedPerPair() {
        double[] boost = {-2.5, 2.5, 2.5, -2.5, -2.5, 2.5};
        Problem pr = randomProblem(7L, 6, new int[] {3, 2, 3, 3, 2, 2}, 0, new int[] {1}, boost, false);
        OracleConfig dynCfg = OracleConfig.leanpo().withNllWeight(0.3);
        OracleResult dyn = pr.compute(dynCfg);
        OracleResult fixed = pr.compute(dynCfg.withSmoothing(OracleSmoothing.FIXED, 0.2));
        OracleResult none = pr.compute(dynCfg.withSmoothing(OracleSmoothing.NONE, 0.2));
        for (int p = 0; p < 3; p++) {
            boolean inverted = dyn.seqMean()[2 * p] < dyn.seqMean()[2 * p + 1];
            assertEquals(p != 1, inverted, "construction of pair " + p);
            assertEquals(inverted ? 0.2 : 0.0, dyn.epsilon()[p], 0.0);
            assertEquals((inverted ? fixed : none).pairLoss()[p], dyn.pairLoss()[p], 0.0);
        }
        assertTrue(dyn.loss() != fixed.loss() && dyn.loss() != none.loss());
    }
}
