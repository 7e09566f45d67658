package io.github.leanpo.oracle;

/** Label smoothing of the preference objectives (ignored by SFT). */
public enum OracleSmoothing {
    /** epsilon = 0. */
    NONE,
    /** epsilon = configured epsilon for every pair. */
    FIXED,
    /** epsilon = configured epsilon if mean_w &lt; mean_l, else 0 (no gradient through epsilon). */
    DYNAMIC
}
