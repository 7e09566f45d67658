package io.github.leanpo.loss;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LogitsInput;
import io.github.leanpo.engine.Tensor;

/**
 * A logits-in batch (DESIGN.md §2): logits [T, V] row-major (f32, bf16 or f16), targets [T] (i32 or
 * i64; row t predicts targets[t], already shifted), and the explicit pair layout. DPO also needs
 * ref_sum [2P] (f32). The batch borrows its tensors; they must stay alive and unchanged while a loss
 * call runs.
 */
public final class LogitsBatch {
    private final LogitsInput input;

    private LogitsBatch(LogitsInput input) {
        this.input = input;
    }

    /**
     * @param logits  [T, V] (at least T·V elements)
     * @param vocab   V
     * @param targets [T]
     * @param layout  which rows form which sequence and pair; T = layout.rows()
     */
    public static LogitsBatch of(Tensor logits, long vocab, Tensor targets, BatchLayout layout) {
        return new LogitsBatch(new LogitsInput(logits, vocab, targets, layout, null, 0));
    }

    /** Convenience for f32 Java arrays; {@code seqOffsets} as in {@link BatchLayout#fromOffsets(long[])}. */
    public static LogitsBatch of(float[] logits, int vocab, int[] targets, long[] seqOffsets) {
        return of(HostTensor.of(logits), vocab, HostTensor.of(targets), BatchLayout.fromOffsets(seqOffsets));
    }

    /** The same batch with reference log-prob sums [2P] (f32), which DPO needs. */
    public LogitsBatch withRefSum(Tensor refSum) {
        LogitsInput i = input;
        return new LogitsBatch(new LogitsInput(i.logits(), i.vocab(), i.targets(), i.layout(), refSum, i.stream()));
    }

    /**
     * The same batch on a CUDA stream: the call's kernels are enqueued on {@code stream} (a {@code cudaStream_t} address,
     * e.g. libtorch's current stream), after the work that produced the tensors there, and the results are ready for
     * work enqueued there after the call. 0 is the default stream. Ignored on the CPU.
     */
    public LogitsBatch onStream(long stream) {
        LogitsInput i = input;
        return new LogitsBatch(new LogitsInput(i.logits(), i.vocab(), i.targets(), i.layout(), i.refSum(), stream));
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

    public Tensor logits() {
        return input.logits();
    }

    LogitsInput input() {
        return input;
    }
}
