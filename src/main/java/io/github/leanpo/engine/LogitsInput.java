package io.github.leanpo.engine;

/**
 * One logits-in batch (DESIGN.md §2): logits [T, V] row-major (f32, bf16 or f16), targets [T] (i32 or
 * i64, already shifted so row t predicts targets[t]), the pair layout (T = layout.rows()), and for DPO
 * the reference log-prob sums ref_sum [2P] (f32). All tensors are borrowed.
 *
 * @param refSum null unless the objective needs reference sums
 */
public record LogitsInput(HostTensor logits, long vocab, HostTensor targets, BatchLayout layout, HostTensor refSum) {
    public LogitsInput {
        if (logits == null || targets == null || layout == null) {
            throw new IllegalArgumentException("logits, targets and layout must be given");
        }
    }
}
