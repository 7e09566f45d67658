package io.github.leanpo.loss;

/**
 * Preference objectives (DESIGN.md §1). All share the same kernels; they differ in the reward of a
 * sequence and the per-pair loss.
 */
public enum Objective {
    /** LeanPO (arXiv 2506.05260): reward β·mean token log-prob, reference-free; dynamic label smoothing by default. */
    LEANPO,
    /** SimPO: reward β·mean token log-prob with a target margin γ (default 0.5); no smoothing by default. */
    SIMPO,
    /** DPO: reward β·(sum log-prob − reference sum); needs ref_sum per sequence. Fixed smoothing (cDPO) allowed. */
    DPO,
    /** Supervised fine-tuning: −mean token log-prob of the chosen response; the rejected one may be empty. */
    SFT
}
