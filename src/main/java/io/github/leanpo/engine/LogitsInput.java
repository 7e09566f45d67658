package io.github.leanpo.engine;

/**
 * One logits-in batch (DESIGN.md §2): logits [T, V] row-major (f32, bf16 or f16), targets [T] (i32 or
 * i64, already shifted so row t predicts targets[t]), the pair layout (T = layout.rows()), and for DPO
 * the reference log-prob sums ref_sum [2P] (f32). All tensors are borrowed; host and device memory may
 * be mixed on a GPU backend (host tensors are copied to the device for the call).
 *
 * @param refSum null unless the objective needs reference sums
 * @param stream the CUDA stream (address) the tensors are ready on and the results are wanted on; 0 for
 *               the default stream; ignored on the CPU
 */
public record LogitsInput(Tensor logits, long vocab, Tensor targets, BatchLayout layout, Tensor refSum, long stream) {
    public LogitsInput {
        if (logits == null || targets == null || layout == null) {
            throw new IllegalArgumentException("logits, targets and layout must be given");
        }
    }
}
