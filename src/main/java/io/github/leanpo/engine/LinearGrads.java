package io.github.leanpo.engine;

/**
 * Where the fused-linear gradients go; each may be null to skip it. Host or device memory, as the
 * inputs.
 *
 * @param hidden     [T, d] in the hidden states' dtype
 * @param weight     [V, d] in the weight's dtype, or f32; accumulated in fp32
 * @param bias       [V] in the bias's dtype, or f32; accumulated in fp32
 * @param accumulate add into {@code weight} and {@code bias} (which must then be f32) instead of overwriting
 *                   them, for gradient accumulation across micro-batches
 */
public record LinearGrads(Tensor hidden, Tensor weight, Tensor bias, boolean accumulate) {
    public static LinearGrads none() {
        return new LinearGrads(null, null, null, false);
    }
}
