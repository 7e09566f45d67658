package io.github.leanpo.loss;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearInput;

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
    public static LinearBatch of(HostTensor hidden, HostTensor weight, HostTensor bias, long hiddenSize, long vocab,
                                 HostTensor targets, BatchLayout layout) {
        return new LinearBatch(new LinearInput(hidden, weight, bias, hiddenSize, vocab, targets, layout, null));
    }

    /** The same batch with reference log-prob sums [2P] (f32), which DPO needs. */
    public LinearBatch withRefSum(HostTensor refSum) {
        LinearInput i = input;
        return new LinearBatch(new LinearInput(i.hidden(), i.weight(), i.bias(), i.hiddenSize(), i.vocab(), i.targets(), i.layout(),
                refSum));
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
