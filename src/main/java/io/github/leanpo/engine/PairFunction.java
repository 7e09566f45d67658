package io.github.leanpo.engine;

/**
 * The per-pair function the kernels evaluate (DESIGN.md §1), in the engine's own terms so the engine
 * does not depend on the public {@code loss} facade. All objectives share every row kernel; only
 * this function differs.
 *
 * @param kind      which pair loss
 * @param beta      reward scale β (> 0)
 * @param gamma     target margin γ (LEANPO, SIMPO)
 * @param smoothing how ε is chosen per pair
 * @param epsilon   ε (fixed) or ε0 (dynamic), in [0, 1)
 * @param nllWeight λ ≥ 0, weight of the NLL term −mean_w on the chosen response
 */
public record PairFunction(Kind kind, double beta, double gamma, SmoothingKind smoothing, double epsilon, double nllWeight) {

    /** Pair losses; the order matches the LEANPO_OBJECTIVE_* codes. */
    public enum Kind {
        LEANPO, SIMPO, DPO, SFT;

        public int nativeCode() {
            return ordinal();
        }

        /** True when the reward uses per-sequence reference log-prob sums. */
        public boolean needsReference() {
            return this == DPO;
        }
    }

    /** Label smoothing; the order matches the LEANPO_SMOOTHING_* codes. */
    public enum SmoothingKind {
        NONE, FIXED, DYNAMIC;

        public int nativeCode() {
            return ordinal();
        }
    }

    public PairFunction {
        if (kind == null || smoothing == null) {
            throw new IllegalArgumentException("objective and smoothing must be given");
        }
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("beta must be a positive finite number, got " + beta);
        }
        if (!Double.isFinite(gamma)) {
            throw new IllegalArgumentException("gamma must be finite, got " + gamma);
        }
        if (!(epsilon >= 0 && epsilon < 1)) {
            throw new IllegalArgumentException("label smoothing epsilon must be in [0, 1), got " + epsilon);
        }
        if (!(nllWeight >= 0) || !Double.isFinite(nllWeight)) {
            throw new IllegalArgumentException("NLL weight must be a finite number >= 0, got " + nllWeight);
        }
    }
}
