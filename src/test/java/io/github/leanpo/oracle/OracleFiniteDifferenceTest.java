package io.github.leanpo.oracle;

import static io.github.leanpo.oracle.OracleTestSupport.IGNORE;
import static io.github.leanpo.oracle.OracleTestSupport.assertInternallyConsistent;
import static io.github.leanpo.oracle.OracleTestSupport.assertNonParticipatingRowsZero;
import static io.github.leanpo.oracle.OracleTestSupport.checkLogitGradient;
import static io.github.leanpo.oracle.OracleTestSupport.randomProblem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.oracle.OracleTestSupport.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Gradient of the loss w.r.t. every logit, checked against central finite differences. */
class OracleFiniteDifferenceTest {

    private static void checkAll(Problem pr, OracleConfig cfg) {
        OracleResult r = pr.compute(cfg);
        assertTrue(Double.isFinite(r.loss()), "finite loss");
        assertNonParticipatingRowsZero(pr, cfg, r);
        assertInternallyConsistent(pr, cfg, r);
        checkLogitGradient(pr, cfg);
    }

    @ParameterizedTest
    @ValueSource(longs = {1L, 2L, 3L})
    void leanpoNoSmoothingWithNllAndNormalizer(long seed) {
        // P = 2, T = 12, V = 5; row 1 (inside chosen_0) and row 5 (inside rejected_0) masked
        Problem pr = randomProblem(seed, 5, new int[] {3, 4, 2, 3}, 0, new int[] {1, 5}, null, false);
        OracleConfig cfg = OracleConfig.leanpo().withSmoothing(OracleSmoothing.NONE, 0.0)
                .withNllWeight(0.3).withNormalizer(3.0);
        checkAll(pr, cfg);
        assertArrayEquals(new double[] {0.0, 0.0}, pr.compute(cfg).epsilon(), 0.0);
    }

    @ParameterizedTest
    @ValueSource(longs = {11L, 12L})
    void leanpoFixedSmoothing(long seed) {
        // P = 3, T = 13, V = 7; masked rows inside chosen_1 and at the start of chosen_2
        Problem pr = randomProblem(seed, 7, new int[] {2, 3, 3, 2, 2, 1}, 0, new int[] {6, 10}, null, false);
        OracleConfig cfg = OracleConfig.leanpo().withSmoothing(OracleSmoothing.FIXED, 0.1).withNllWeight(0.25);
        checkAll(pr, cfg);
        assertArrayEquals(new double[] {0.1, 0.1, 0.1}, pr.compute(cfg).epsilon(), 0.0);
    }

    @ParameterizedTest
    @ValueSource(longs = {21L, 22L, 23L})
    void leanpoDynamicSmoothingOnForOnePairOffForTheOther(long seed) {
        // Pair 0: chosen targets pushed down, rejected up -> mean_w < mean_l -> eps on.
        // Pair 1: the opposite -> eps off. The margin keeps finite differences away from the switch.
        double[] boost = {-2.5, 2.5, 2.5, -2.5};
        Problem pr = randomProblem(seed, 6, new int[] {3, 2, 3, 3}, 0, new int[] {1, 7}, boost, false);
        OracleConfig cfg = OracleConfig.leanpo().withNllWeight(0.5).withNormalizer(5.0);
        OracleResult r = pr.compute(cfg);
        assertTrue(r.seqMean()[0] < r.seqMean()[1] - 0.5, "pair 0 must be clearly inverted");
        assertTrue(r.seqMean()[2] > r.seqMean()[3] + 0.5, "pair 1 must be clearly ordered");
        assertArrayEquals(new double[] {0.2, 0.0}, r.epsilon(), 0.0);
        checkAll(pr, cfg);
    }

    @ParameterizedTest
    @ValueSource(longs = {31L, 32L})
    void simpoWithGamma(long seed) {
        // P = 1, T = 7, V = 11, one masked row inside the chosen response
        Problem pr = randomProblem(seed, 11, new int[] {4, 3}, 0, new int[] {2}, null, false);
        OracleConfig cfg = OracleConfig.leanpo().withObjective(OracleObjective.SIMPO).withGamma(0.5)
                .withBeta(2.5).withSmoothing(OracleSmoothing.FIXED, 0.15);
        checkAll(pr, cfg);
        OracleResult r = pr.compute(cfg);
        assertEquals(2.5 * r.seqMean()[0], r.rewardChosen()[0], 1e-12);
        assertEquals(2.5 * r.seqMean()[1], r.rewardRejected()[0], 1e-12);
        // gamma changes the loss
        double noGamma = pr.compute(cfg.withGamma(0.0)).loss();
        assertTrue(Math.abs(noGamma - r.loss()) > 1e-3, "gamma must change the loss");
    }

    @ParameterizedTest
    @ValueSource(longs = {41L, 42L})
    void dpoWithRefSumAndFixedSmoothing(long seed) {
        // P = 2, T = 11, V = 4
        Problem pr = randomProblem(seed, 4, new int[] {3, 3, 2, 3}, 0, new int[] {4, 9}, null, true);
        OracleConfig cfg = OracleConfig.leanpo().withObjective(OracleObjective.DPO).withBeta(0.5)
                .withGamma(3.0) // not used by DPO
                .withSmoothing(OracleSmoothing.FIXED, 0.1).withNllWeight(0.2).withNormalizer(2.5);
        checkAll(pr, cfg);
        OracleResult r = pr.compute(cfg);
        for (int s = 0; s < 4; s++) {
            double expectedReward = 0.5 * (r.seqSum()[s] - pr.refSum()[s]);
            double got = s % 2 == 0 ? r.rewardChosen()[s / 2] : r.rewardRejected()[s / 2];
            assertEquals(expectedReward, got, 1e-12, "DPO reward of sequence " + s);
        }
        assertEquals(r.loss(), pr.compute(cfg.withGamma(0.0)).loss(), 0.0, "gamma must not affect DPO");
    }

    @Test
    void dpoDynamicSmoothing() {
        double[] boost = {2.0, -2.0, -2.0, 2.0};
        Problem pr = randomProblem(43L, 5, new int[] {3, 2, 2, 3}, 0, new int[] {1}, boost, true);
        OracleConfig cfg = OracleConfig.leanpo().withObjective(OracleObjective.DPO).withBeta(0.3).withNllWeight(0.1);
        OracleResult r = pr.compute(cfg);
        assertArrayEquals(new double[] {0.0, 0.2}, r.epsilon(), 0.0);
        checkAll(pr, cfg);
    }

    @Test
    void sftWithEmptyRejected() {
        // P = 2, T = 9, V = 3: rejected_0 has zero rows, rejected_1 has rows (they must get no gradient)
        Problem pr = randomProblem(51L, 3, new int[] {3, 0, 4, 2}, 0, new int[] {4}, null, false);
        OracleConfig cfg = OracleConfig.leanpo().withObjective(OracleObjective.SFT).withNllWeight(0.7)
                .withNormalizer(4.0);
        checkAll(pr, cfg);
        OracleResult r = pr.compute(cfg);
        assertEquals(0L, r.seqTokens()[1]);
        assertEquals(0.0, r.seqMean()[1], 0.0);
        assertEquals(0.0, r.seqSum()[1], 0.0);
        assertArrayEquals(new double[] {0.0, 0.0}, r.epsilon(), 0.0);
        assertEquals((-r.seqMean()[0] - r.seqMean()[2]) / 4.0, r.loss(), 1e-12);
        for (int t = 7; t < 9; t++) { // rejected_1 takes no part
            assertEquals(0.0, r.dLogp()[t], 0.0);
            for (int v = 0; v < 3; v++) {
                assertEquals(0.0, r.gradLogits()[t * 3 + v], 0.0);
            }
        }
    }

    @Test
    void sftWithFullyMaskedRejected() {
        // rejected_0 has rows but every target is ignored -> n = 0, legal for SFT
        Problem pr = randomProblem(52L, 4, new int[] {4, 3}, 0, new int[] {0, 4, 5, 6}, null, false);
        OracleConfig cfg = OracleConfig.leanpo().withObjective(OracleObjective.SFT);
        checkAll(pr, cfg);
        OracleResult r = pr.compute(cfg);
        assertEquals(0L, r.seqTokens()[1]);
        assertEquals(3L, r.seqTokens()[0]);
        assertEquals(-r.seqMean()[0], r.loss(), 1e-12);
    }

    @Test
    void rowsOutsideEverySequenceTakeNoPart() {
        // two padding rows after the last sequence, plus a masked row
        Problem pr = randomProblem(61L, 5, new int[] {3, 3}, 2, new int[] {3}, null, false);
        assertEquals(8, pr.T());
        OracleConfig cfg = OracleConfig.leanpo().withSmoothing(OracleSmoothing.FIXED, 0.2);
        checkAll(pr, cfg);
    }

    @Test
    void customIgnoreIndex() {
        Problem base = randomProblem(71L, 6, new int[] {3, 4}, 0, new int[] {1}, null, false);
        long[] targets = base.targets().clone();
        targets[1] = -1L; // ignore index -1 instead of -100
        Problem pr = new Problem(base.logits(), base.T(), base.V(), targets, base.offsets(), null);
        OracleConfig cfg = OracleConfig.leanpo().withIgnoreIndex(-1L).withNllWeight(0.1);
        checkAll(pr, cfg);
        OracleResult r = pr.compute(cfg);
        assertEquals(2L, r.seqTokens()[0]);
        assertEquals(base.compute(OracleConfig.leanpo().withNllWeight(0.1)).loss(), r.loss(), 0.0);
        assertEquals(IGNORE, base.targets()[1]);
    }

    @Test
    void normalizerScalesLossAndGradient() {
        Problem pr = randomProblem(81L, 5, new int[] {2, 3, 3, 2, 2, 2}, 0, new int[] {3}, null, false);
        OracleConfig byPairs = OracleConfig.leanpo().withNllWeight(0.2);
        OracleConfig byN = byPairs.withNormalizer(7.0);
        OracleResult a = pr.compute(byPairs);
        OracleResult b = pr.compute(byN);
        assertEquals(a.loss() * 3.0, b.loss() * 7.0, 1e-12);
        assertArrayEquals(a.pairLoss(), b.pairLoss(), 0.0);
        for (int i = 0; i < a.gradLogits().length; i++) {
            assertEquals(a.gradLogits()[i] * 3.0, b.gradLogits()[i] * 7.0, 1e-13);
        }
        // a non-positive normalizer means "divide by P"
        assertEquals(a.loss(), pr.compute(byPairs.withNormalizer(-1.0)).loss(), 0.0);
    }
}
