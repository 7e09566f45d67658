package io.github.leanpo.engine;

/**
 * One fused-linear batch (DESIGN.md §2): hidden [T, d] and the LM head's weight [V, d] (nn.Linear
 * layout) and optional bias [V], so logits x = h·Wᵀ + b are never stored whole. hidden and weight may
 * be f32, bf16 or f16 (independently); bias is f32 or the weight's dtype. Targets, layout, refSum and
 * stream as in {@link LogitsInput}. All tensors are borrowed.
 */
public record LinearInput(Tensor hidden, Tensor weight, Tensor bias, long hiddenSize, long vocab, Tensor targets,
                          BatchLayout layout, Tensor refSum, long stream) {
    public LinearInput {
        if (hidden == null || weight == null || targets == null || layout == null) {
            throw new IllegalArgumentException("hidden, weight, targets and layout must be given");
        }
    }
}
