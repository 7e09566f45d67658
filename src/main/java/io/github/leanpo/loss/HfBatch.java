package io.github.leanpo.loss;

import io.github.leanpo.engine.Compaction;
import io.github.leanpo.engine.CpuBackend;
import io.github.leanpo.engine.HostTensor;
import org.bytedeco.javacpp.BytePointer;

/**
 * The Hugging Face adapter (DESIGN.md §2): a padded batch of hidden states [B, L, d] or logits
 * [B, L, V] with labels [B, L] holding the ignore index outside each response, plus an explicit
 * {@link PairMapping}. It applies the one-token shift (position l predicts labels[l+1]), keeps only
 * the rows that predict a response token (prompt and video rows never reach the head), orders them
 * chosen_0, rejected_0, ... and hands out a {@link LinearBatch} or {@link LogitsBatch}; after the
 * backward pass {@link #scatterGrad} writes the gradient back as [B, L, ·] with zeros elsewhere.
 * <pre>{@code
 * try (HfBatch hb = HfBatch.ofHidden(hidden, B, L, d, labels, mapping, cfg)) {
 *     HostTensor gCompact = hb.newCompactGrad();
 *     loss.forwardBackward(hb.linear(weight, bias, V), new LinearGrads(gCompact, gradW, null, false));
 *     hb.scatterGrad(gCompact, gradHiddenFull);
 * }
 * }</pre>
 * Owns the compact copy of the response rows and the buffers from {@link #newCompactGrad()} until
 * {@link #close()} (idempotent).
 */
public final class HfBatch implements AutoCloseable {
    private final Compaction compaction;
    private final long width;
    private final java.util.List<BytePointer> grads = new java.util.ArrayList<>();

    private HfBatch(Compaction compaction, long width) {
        this.compaction = compaction;
        this.width = width;
    }

    /** From hidden states [B, L, d]; {@code cfg} supplies the ignore index (and SFT's optional rejected rows). */
    public static HfBatch ofHidden(HostTensor hidden, long batch, long seqLen, long hiddenSize, HostTensor labels, PairMapping pairs,
                                   LossConfig cfg) {
        return new HfBatch(compact(hidden, batch, seqLen, hiddenSize, labels, pairs, cfg), hiddenSize);
    }

    /** From logits [B, L, V]. */
    public static HfBatch ofLogits(HostTensor logits, long batch, long seqLen, long vocab, HostTensor labels, PairMapping pairs,
                                   LossConfig cfg) {
        return new HfBatch(compact(logits, batch, seqLen, vocab, labels, pairs, cfg), vocab);
    }

    private static Compaction compact(HostTensor src, long batch, long seqLen, long width, HostTensor labels, PairMapping pairs,
                                      LossConfig cfg) {
        if (src == null || labels == null || pairs == null || cfg == null) {
            throw new IllegalArgumentException("input, labels, pair mapping and config must be given");
        }
        return Compaction.of(new CpuBackend(), src, batch, seqLen, width, labels, pairs.chosenRow(), pairs.rejectedRow(),
                cfg.ignoreIndex(), cfg.objective() == Objective.SFT);
    }

    /** The compact fused-linear batch over the LM head's weight [V, d] and optional bias [V]. */
    public LinearBatch linear(HostTensor weight, HostTensor bias, long vocab) {
        return LinearBatch.of(compaction.rows(), weight, bias, width, vocab, compaction.targets(), compaction.layout());
    }

    /** The compact logits-in batch (when built with {@link #ofLogits}). */
    public LogitsBatch logits() {
        return LogitsBatch.of(compaction.rows(), width, compaction.targets(), compaction.layout());
    }

    /** T, the rows that reach the head. */
    public long rows() {
        return compaction.layout().rows();
    }

    /** A compact gradient buffer [T, width] in the input's dtype, owned by this batch. */
    public HostTensor newCompactGrad() {
        long n = compaction.layout().rows() * width;
        BytePointer p;
        // Allocated outside any scope the caller has open: this batch, not that scope, decides when it is freed.
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            p = new BytePointer(n * compaction.rows().dtype().byteSize());
            p.retainReference();
            scope.detach(p);
        }
        grads.add(p);
        return HostTensor.of(p, compaction.rows().dtype(), n);
    }

    /** Writes the compact gradient into {@code full} [B, L, width], zeros in every row that did not reach the head. */
    public void scatterGrad(HostTensor compactGrad, HostTensor full) {
        compaction.scatter(compactGrad, full);
    }

    /** For each compact row, its index b·L + l in the padded batch. */
    public long[] sourceRows() {
        return compaction.sourceRows();
    }

    @Override
    public void close() {
        compaction.close();
        for (BytePointer p : grads) {
            p.releaseReference();
        }
        grads.clear();
    }
}
