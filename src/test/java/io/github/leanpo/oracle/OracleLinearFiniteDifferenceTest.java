package io.github.leanpo.oracle;

import static io.github.leanpo.oracle.OracleTestSupport.IGNORE;
import static io.github.leanpo.oracle.OracleTestSupport.assertMatchesFd;
import static io.github.leanpo.oracle.OracleTestSupport.finiteDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

/** Fused-linear variant: gradients w.r.t. hidden, weight and bias against finite differences. */
class OracleLinearFiniteDifferenceTest {

    private static final int T = 5;
    private static final int D = 3;
    private static final int V = 7;
    // one pair: chosen rows 0..2 (row 1 masked), rejected rows 3..4
    private static final long[] TARGETS = {4, IGNORE, 6, 0, 2};
    private static final long[] OFFSETS = {0, 3, 5};
    private static final double[] REF_SUM = {-5.0, -4.0};

    static Stream<Arguments> cases() {
        OracleConfig leanpo = OracleConfig.leanpo().withNllWeight(0.2).withNormalizer(1.5);
        OracleConfig simpo = OracleConfig.leanpo().withObjective(OracleObjective.SIMPO).withGamma(0.5)
                .withSmoothing(OracleSmoothing.FIXED, 0.1);
        OracleConfig dpo = OracleConfig.leanpo().withObjective(OracleObjective.DPO).withBeta(0.4)
                .withSmoothing(OracleSmoothing.FIXED, 0.1).withNllWeight(0.3);
        OracleConfig sft = OracleConfig.leanpo().withObjective(OracleObjective.SFT);
        return Stream.of(
                Arguments.of(leanpo, true), Arguments.of(leanpo, false),
                Arguments.of(simpo, true), Arguments.of(simpo, false),
                Arguments.of(dpo, true), Arguments.of(dpo, false),
                Arguments.of(sft, true), Arguments.of(sft, false));
    }

    private static double[] gaussian(Random rng, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = rng.nextGaussian();
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(OracleConfig cfg, boolean withBias) {
        Random rng = new Random(withBias ? 1234L : 4321L);
        double[] hidden = gaussian(rng, T * D);
        double[] weight = gaussian(rng, V * D);
        double[] bias = withBias ? gaussian(rng, V) : null;
        double[] ref = cfg.objective() == OracleObjective.DPO ? REF_SUM : null;

        OracleLinearResult r = Oracle.computeLinear(hidden, weight, bias, T, D, V, TARGETS, OFFSETS, ref, cfg);

        // logitsResult is compute() on the materialised logits h W^T + b
        double[] logits = new double[T * V];
        for (int t = 0; t < T; t++) {
            for (int v = 0; v < V; v++) {
                double acc = withBias ? bias[v] : 0.0;
                for (int k = 0; k < D; k++) {
                    acc += hidden[t * D + k] * weight[v * D + k];
                }
                logits[t * V + v] = acc;
            }
        }
        OracleResult direct = Oracle.compute(logits, T, V, TARGETS, OFFSETS, ref, cfg);
        assertEquals(direct.loss(), r.logitsResult().loss(), 1e-13);
        assertArrayEquals(direct.gradLogits(), r.logitsResult().gradLogits(), 1e-13);

        assertMatchesFd("gradHidden", r.gradHidden(), finiteDifference(hidden,
                h -> Oracle.computeLinear(h, weight, bias, T, D, V, TARGETS, OFFSETS, ref, cfg).logitsResult().loss()));
        assertMatchesFd("gradWeight", r.gradWeight(), finiteDifference(weight,
                w -> Oracle.computeLinear(hidden, w, bias, T, D, V, TARGETS, OFFSETS, ref, cfg).logitsResult().loss()));
        if (withBias) {
            assertNotNull(r.gradBias());
            assertMatchesFd("gradBias", r.gradBias(), finiteDifference(bias,
                    b -> Oracle.computeLinear(hidden, weight, b, T, D, V, TARGETS, OFFSETS, ref, cfg).logitsResult().loss()));
        } else {
            assertNull(r.gradBias());
        }
        // the masked row 1 takes no part: its hidden-state gradient is exactly zero
        for (int k = 0; k < D; k++) {
            assertEquals(0.0, r.gradHidden()[D + k], 0.0);
        }
    }
}
