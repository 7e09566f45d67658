package io.github.leanpo.loss;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.LinearInput;
import io.github.leanpo.engine.Tensor;

/**
 * A fused-linear batch (DESIGN.md §2): the last hidden states [T, d] and the LM head's weight [V, d]
 * (nn.Linear layout) with an optional bias [V], instead of logits; leanpo computes the logits tile by
 * tile and never holds a [T, V] buffer. hidden and weight may be f32, bf16 or f16; bias f32 or the
 * weight's dtype. Targets [T] and the pair layout as in {@link LogitsBatch}. Borrows its tensors.
 */
public final class LinearBatch {
    private final LinearInput input;

    private LinearBatch(LinearInput input) {
        this.input = input;
    }

    /**
     * @param hidden     [T, d]
     * @param weight     [V, d]
     * @param bias       [V] or null
     * @param hiddenSize d
     * @param vocab      V
     * @param targets    [T] (i32 or i64)
     * @param layout     the pairs; T = layout.rows()
     */
    public static LinearBatch of(Tensor hidden, Tensor weight, Tensor bias, long hiddenSize, long vocab, Tensor targets,
                                 BatchLayout layout) {
        return new LinearBatch(new LinearInput(hidden, weight, bias, hiddenSize, vocab, targets, layout, null, 0));
    }

    /** The same batch with reference log-prob sums [2P] (f32), which DPO needs. */
    public LinearBatch withRefSum(Tensor refSum) {
        LinearInput i = input;
        return new LinearBatch(new LinearInput(i.hidden(), i.weight(), i.bias(), i.hiddenSize(), i.vocab(), i.targets(), i.layout(),
                refSum, i.stream()));
    }

    /** The same batch on a CUDA stream (see {@link LogitsBatch#onStream}). Ignored on the CPU. */
    public LinearBatch onStream(long stream) {
        LinearInput i = input;
        return new LinearBatch(new LinearInput(i.hidden(), i.weight(), i.bias(), i.hiddenSize(), i.vocab(), i.targets(), i.layout(),
                i.refSum(), stream));
    }

    public BatchLayout layout() {
        return input.layout();
    }

    public long rows() {
        return input.layout().rows();
    }

    public long vocab() {
        return input.vocab();
    }

    public long hiddenSize() {
        return input.hiddenSize();
    }

    LinearInput input() {
        return input;
    }
}
