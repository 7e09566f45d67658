package io.github.leanpo.oracle;

/** Objective of the fp64 reference ("oracle") of the LeanPO loss family. */
public enum OracleObjective {
    /** LeanPO: length-normalised implicit reward {@code beta * mean_s}, margin {@code gamma}. */
    LEANPO,
    /** SimPO: same formula as LEANPO (kept separate so that configurations can name it). */
    SIMPO,
    /** DPO: reward {@code beta * (sum_s - refSum[s])}; gamma is not used. */
    DPO,
    /** Supervised fine-tuning on the chosen sequence only: {@code L = -mean_w}. */
    SFT
}
