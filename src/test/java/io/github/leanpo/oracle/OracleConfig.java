package io.github.leanpo.oracle;

/**
 * Configuration of the fp64 reference loss.
 *
 * @param objective   loss objective
 * @param beta        reward scale
 * @param gamma       target margin (LEANPO / SIMPO only)
 * @param smoothing   label smoothing mode (ignored by SFT)
 * @param epsilon     smoothing strength used by FIXED and DYNAMIC, in [0, 1]
 * @param nllWeight   lambda, weight of the {@code -mean_w} term (ignored by SFT, whose loss is that term)
 * @param ignoreIndex target value that marks rows taking no part
 * @param normalizer  N; if {@code > 0} the summed pair loss is divided by it, otherwise by the number of pairs
 */
public record OracleConfig(OracleObjective objective, double beta, double gamma, OracleSmoothing smoothing,
                           double epsilon, double nllWeight, long ignoreIndex, double normalizer) {

    public OracleConfig {
        if (objective == null) {
            throw new IllegalArgumentException("objective must not be null");
        }
        if (smoothing == null) {
            throw new IllegalArgumentException("smoothing must not be null");
        }
        if (Double.isNaN(beta) || Double.isNaN(gamma) || Double.isNaN(nllWeight) || Double.isNaN(normalizer)) {
            throw new IllegalArgumentException("beta, gamma, nllWeight and normalizer must not be NaN");
        }
        if (!(epsilon >= 0.0 && epsilon <= 1.0)) {
            throw new IllegalArgumentException("epsilon must be in [0, 1], got " + epsilon);
        }
    }

    /** LeanPO defaults: beta 2, gamma 0, DYNAMIC smoothing with epsilon 0.2, no NLL term, ignore -100, N = P. */
    public static OracleConfig leanpo() {
        return new OracleConfig(OracleObjective.LEANPO, 2.0, 0.0, OracleSmoothing.DYNAMIC, 0.2, 0.0, -100L, 0.0);
    }

    public OracleConfig withObjective(OracleObjective newObjective) {
        return new OracleConfig(newObjective, beta, gamma, smoothing, epsilon, nllWeight, ignoreIndex, normalizer);
    }

    public OracleConfig withBeta(double newBeta) {
        return new OracleConfig(objective, newBeta, gamma, smoothing, epsilon, nllWeight, ignoreIndex, normalizer);
    }

    public OracleConfig withGamma(double newGamma) {
        return new OracleConfig(objective, beta, newGamma, smoothing, epsilon, nllWeight, ignoreIndex, normalizer);
    }

    public OracleConfig withSmoothing(OracleSmoothing newSmoothing, double newEpsilon) {
        return new OracleConfig(objective, beta, gamma, newSmoothing, newEpsilon, nllWeight, ignoreIndex, normalizer);
    }

    public OracleConfig withNllWeight(double newNllWeight) {
        return new OracleConfig(objective, beta, gamma, smoothing, epsilon, newNllWeight, ignoreIndex, normalizer);
    }

    public OracleConfig withIgnoreIndex(long newIgnoreIndex) {
        return new OracleConfig(objective, beta, gamma, smoothing, epsilon, nllWeight, newIgnoreIndex, normalizer);
    }

    public OracleConfig withNormalizer(double newNormalizer) {
        return new OracleConfig(objective, beta, gamma, smoothing, epsilon, nllWeight, ignoreIndex, newNormalizer);
    }
}
