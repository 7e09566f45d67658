package io.github.leanpo.engine;

/**
 * Data errors kernels found on the device, where they cannot throw: each the smallest offending index,
 * or -1 for none (the status block of leanpo.h).
 *
 * @param nonFiniteRow  first row holding NaN or ±inf
 * @param badTargetRow  first row whose target is outside [0, V) and not the ignore index
 * @param emptySequence first scored sequence without a response token
 */
record DeviceErrors(long nonFiniteRow, long badTargetRow, long emptySequence) {
    static final DeviceErrors NONE = new DeviceErrors(-1, -1, -1);
}
