package io.github.leanpo.loss;

import io.github.leanpo.engine.PairFunction;

/**
 * Everything that defines the loss (DESIGN.md §1). Start from an objective's defaults and change what
 * you need:
 * <pre>{@code
 * LossConfig cfg = LossConfig.leanpo().withBeta(2.0).withSmoothing(Smoothing.dynamic(0.1)).withNllWeight(0.5);
 * }</pre>
 * Immutable; the {@code with*} methods return copies.
 *
 * @param objective   LEANPO, SIMPO, DPO or SFT
 * @param beta        reward scale β > 0
 * @param gamma       target margin γ (LEANPO, SIMPO)
 * @param smoothing   label smoothing
 * @param nllWeight   λ ≥ 0: weight of the NLL term −mean_w on the chosen response
 * @param ignoreIndex target value marking rows that take no part (default -100)
 * @param normalizer  N in Loss = Σ L / N; 0 means P, the pairs in the batch. Set it to the global pair
 *                    count under gradient accumulation or data parallelism so partial batches add up.
 */
public record LossConfig(Objective objective, double beta, double gamma, Smoothing smoothing, double nllWeight,
                         long ignoreIndex, double normalizer) {

    public LossConfig {
        if (objective == null || smoothing == null) {
            throw new IllegalArgumentException("objective and smoothing must be given");
        }
        if (!(normalizer >= 0) || !Double.isFinite(normalizer)) {
            throw new IllegalArgumentException("normalizer must be 0 (= P) or a positive finite pair count, got " + normalizer);
        }
        toPairFunction(objective, beta, gamma, smoothing, nllWeight); // validates the rest
    }

    /** LeanPO defaults: β = 2, γ = 0, dynamic smoothing ε0 = 0.2, λ = 0. */
    public static LossConfig leanpo() {
        return new LossConfig(Objective.LEANPO, 2.0, 0.0, Smoothing.dynamic(0.2), 0.0, -100, 0);
    }

    /** SimPO defaults: β = 2, γ = 0.5, no smoothing. */
    public static LossConfig simpo() {
        return new LossConfig(Objective.SIMPO, 2.0, 0.5, Smoothing.none(), 0.0, -100, 0);
    }

    /** DPO defaults: β = 0.1, no smoothing (use {@code fixed(ε)} for cDPO). */
    public static LossConfig dpo() {
        return new LossConfig(Objective.DPO, 0.1, 0.0, Smoothing.none(), 0.0, -100, 0);
    }

    /** SFT: −mean log-prob of the chosen response. */
    public static LossConfig sft() {
        return new LossConfig(Objective.SFT, 1.0, 0.0, Smoothing.none(), 0.0, -100, 0);
    }

    /** The defaults of an objective. */
    public static LossConfig defaults(Objective objective) {
        return switch (objective) {
            case LEANPO -> leanpo();
            case SIMPO -> simpo();
            case DPO -> dpo();
            case SFT -> sft();
        };
    }

    public LossConfig withBeta(double v) {
        return new LossConfig(objective, v, gamma, smoothing, nllWeight, ignoreIndex, normalizer);
    }

    public LossConfig withGamma(double v) {
        return new LossConfig(objective, beta, v, smoothing, nllWeight, ignoreIndex, normalizer);
    }

    public LossConfig withSmoothing(Smoothing v) {
        return new LossConfig(objective, beta, gamma, v, nllWeight, ignoreIndex, normalizer);
    }

    public LossConfig withNllWeight(double v) {
        return new LossConfig(objective, beta, gamma, smoothing, v, ignoreIndex, normalizer);
    }

    public LossConfig withIgnoreIndex(long v) {
        return new LossConfig(objective, beta, gamma, smoothing, nllWeight, v, normalizer);
    }

    public LossConfig withNormalizer(double v) {
        return new LossConfig(objective, beta, gamma, smoothing, nllWeight, ignoreIndex, v);
    }

    PairFunction pairFunction() {
        return toPairFunction(objective, beta, gamma, smoothing, nllWeight);
    }

    private static PairFunction toPairFunction(Objective o, double beta, double gamma, Smoothing s, double nll) {
        PairFunction.Kind kind = PairFunction.Kind.valueOf(o.name());
        PairFunction.SmoothingKind sk = PairFunction.SmoothingKind.valueOf(s.mode().name());
        return new PairFunction(kind, beta, gamma, sk, s.epsilon(), nll);
    }
}
