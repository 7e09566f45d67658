package io.github.leanpo.loss;

import io.github.leanpo.engine.Compaction;
import io.github.leanpo.engine.CpuBackend;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.Tensor;

/**
 * The Hugging Face adapter (DESIGN.md §2): a padded batch of hidden states [B, L, d] or logits
 * [B, L, V] with labels [B, L] holding the ignore index outside each response, plus an explicit
 * {@link PairMapping}. It applies the one-token shift (position l predicts labels[l+1]), keeps only
 * the rows that predict a response token (prompt and video rows never reach the head), orders them
 * chosen_0, rejected_0, ... and hands out a {@link LinearBatch} or {@link LogitsBatch}; after the
 * backward pass {@link #scatterGrad} writes the gradient back as [B, L, ·] with zeros elsewhere.
 * <pre>{@code
 * try (HfBatch hb = HfBatch.ofHidden(hidden, B, L, d, labels, mapping, cfg)) {
 *     Tensor gCompact = hb.newCompactGrad();
 *     loss.forwardBackward(hb.linear(weight, bias, V), new LinearGrads(gCompact, gradW, null, false));
 *     hb.scatterGrad(gCompact, gradHiddenFull);
 * }
 * }</pre>
 * Hidden states or logits in GPU memory ({@link DeviceTensor}) are compacted on the GPU and stay
 * there (pass the trainer's stream to the {@code ofHidden}/{@code ofLogits} overloads that take one; the
 * batches handed out carry it); labels are read on the host, since they decide the layout.
 * Owns the compact copy of the response rows and the buffers from {@link #newCompactGrad()} until
 * {@link #close()} (idempotent).
 */
public final class HfBatch implements AutoCloseable {
    private final Compaction compaction;
    private final long width;
    private final long stream;

    private HfBatch(Compaction compaction, long width, long stream) {
        this.compaction = compaction;
        this.width = width;
        this.stream = stream;
    }

    /** From hidden states [B, L, d]; {@code cfg} supplies the ignore index (and SFT's optional rejected rows). */
    public static HfBatch ofHidden(Tensor hidden, long batch, long seqLen, long hiddenSize, HostTensor labels, PairMapping pairs,
                                   LossConfig cfg) {
        return ofHidden(hidden, batch, seqLen, hiddenSize, labels, pairs, cfg, 0);
    }

    /** As {@link #ofHidden(Tensor, long, long, long, HostTensor, PairMapping, LossConfig)}, on a CUDA stream (address). */
    public static HfBatch ofHidden(Tensor hidden, long batch, long seqLen, long hiddenSize, HostTensor labels, PairMapping pairs,
                                   LossConfig cfg, long stream) {
        return new HfBatch(compact(hidden, batch, seqLen, hiddenSize, labels, pairs, cfg, stream), hiddenSize, stream);
    }

    /** From logits [B, L, V]. */
    public static HfBatch ofLogits(Tensor logits, long batch, long seqLen, long vocab, HostTensor labels, PairMapping pairs,
                                   LossConfig cfg) {
        return ofLogits(logits, batch, seqLen, vocab, labels, pairs, cfg, 0);
    }

    /** As {@link #ofLogits(Tensor, long, long, long, HostTensor, PairMapping, LossConfig)}, on a CUDA stream (address). */
    public static HfBatch ofLogits(Tensor logits, long batch, long seqLen, long vocab, HostTensor labels, PairMapping pairs,
                                   LossConfig cfg, long stream) {
        return new HfBatch(compact(logits, batch, seqLen, vocab, labels, pairs, cfg, stream), vocab, stream);
    }

    private static Compaction compact(Tensor src, long batch, long seqLen, long width, HostTensor labels, PairMapping pairs,
                                      LossConfig cfg, long stream) {
        if (src == null || labels == null || pairs == null || cfg == null) {
            throw new IllegalArgumentException("input, labels, pair mapping and config must be given");
        }
        return Compaction.of(new CpuBackend(), src, batch, seqLen, width, labels, pairs.chosenRow(), pairs.rejectedRow(),
                cfg.ignoreIndex(), cfg.objective() == Objective.SFT, stream);
    }

    /** The compact fused-linear batch over the LM head's weight [V, d] and optional bias [V]. */
    public LinearBatch linear(Tensor weight, Tensor bias, long vocab) {
        return LinearBatch.of(compaction.rows(), weight, bias, width, vocab, compaction.targets(), compaction.layout()).onStream(stream);
    }

    /** The compact logits-in batch (when built with {@link #ofLogits}). */
    public LogitsBatch logits() {
        return LogitsBatch.of(compaction.rows(), width, compaction.targets(), compaction.layout()).onStream(stream);
    }

    /** T, the rows that reach the head. */
    public long rows() {
        return compaction.layout().rows();
    }

    /** A compact gradient buffer [T, width] in the input's dtype, where the input is (host or GPU), owned by this batch. */
    public Tensor newCompactGrad() {
        return compaction.newCompactBuffer();
    }

    /** Writes the compact gradient into {@code full} [B, L, width], zeros in every row that did not reach the head. */
    public void scatterGrad(Tensor compactGrad, Tensor full) {
        compaction.scatter(compactGrad, full);
    }

    /** For each compact row, its index b·L + l in the padded batch. */
    public long[] sourceRows() {
        return compaction.sourceRows();
    }

    @Override
    public void close() {
        compaction.close();

    }
}
