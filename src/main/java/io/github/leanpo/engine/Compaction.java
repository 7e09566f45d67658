package io.github.leanpo.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Response-row compaction for Hugging Face style batches: from padded [B, L, width] rows (hidden
 * states or logits) and labels [B, L] that hold the ignore index outside each response, it gathers
 * the rows that predict a response token (row (b, l) predicts labels[b, l+1]: the one-token shift)
 * into a contiguous [T, width] block ordered chosen_0, rejected_0, chosen_1, ... following an explicit
 * pair mapping. Prompt and video rows never reach the loss head. After the backward pass,
 * {@link #scatter} puts the compact gradient back into a [B, L, width] buffer, zeros elsewhere.
 *
 * <p>Owns the compact rows and targets (native memory) until {@link #close()} (idempotent).
 */
public final class Compaction implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final long width;
    private final long fullRows;
    private final BatchLayout layout;
    private final long[] sourceRows;
    private final List<Pointer> owned = new ArrayList<>();
    private final HostTensor rows;
    private final HostTensor targets;
    private final LongPointer index;
    private boolean closed;

    /**
     * @param src         [B, L, width] rows (borrowed; read once here)
     * @param labels      [B, L] (i32 or i64) target ids, the ignore index outside responses
     * @param chosenRow   batch row of each pair's chosen sequence
     * @param rejectedRow batch row of each pair's rejected sequence; -1 when there is none (SFT only)
     * @param allowEmptyRejected true for SFT, where the rejected response takes no part
     * @throws IllegalArgumentException naming the pair or batch row at fault
     */
    public static Compaction of(Backend backend, HostTensor src, long batch, long seqLen, long width, HostTensor labels,
                                int[] chosenRow, int[] rejectedRow, long ignoreIndex, boolean allowEmptyRejected) {
        return new Compaction(backend, src, batch, seqLen, width, labels, chosenRow, rejectedRow, ignoreIndex, allowEmptyRejected);
    }

    private Compaction(Backend backend, HostTensor src, long batch, long seqLen, long width, HostTensor labels, int[] chosenRow,
                       int[] rejectedRow, long ignoreIndex, boolean allowEmptyRejected) {
        if (batch < 1 || seqLen < 2 || width < 1) {
            throw new IllegalArgumentException("need B >= 1, L >= 2 and a row width >= 1, got B=" + batch + ", L=" + seqLen + ", width=" + width);
        }
        if (chosenRow == null || rejectedRow == null || chosenRow.length != rejectedRow.length || chosenRow.length == 0) {
            throw new IllegalArgumentException("the pair mapping needs one chosen and one rejected batch row per pair, for at least one pair");
        }
        long bl = Math.multiplyExact(batch, seqLen);
        if (bl > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("B x L = " + bl + " is too large for one call");
        }
        if (src.numel() < Math.multiplyExact(bl, width)) {
            throw new IllegalArgumentException("the [B, L, width] input holds " + src.numel() + " elements but B x L x width = "
                    + batch + " x " + seqLen + " x " + width + " needs " + bl * width);
        }
        if (labels.dtype() != DType.I32 && labels.dtype() != DType.I64) {
            throw new IllegalArgumentException("labels must be i32 or i64, got " + labels.dtype());
        }
        if (labels.numel() < bl) {
            throw new IllegalArgumentException("labels hold " + labels.numel() + " elements but B x L = " + bl);
        }
        long[] lab = labels.readIndices((int) bl);
        int pairs = chosenRow.length;
        int[] usedBy = new int[(int) batch];
        Arrays.fill(usedBy, -1);
        List<Long> src0 = new ArrayList<>();
        List<Long> tgt = new ArrayList<>();
        BatchLayout.Builder lb = BatchLayout.builder();
        for (int p = 0; p < pairs; p++) {
            long[] n = new long[2];
            for (int side = 0; side < 2; side++) {
                int b = side == 0 ? chosenRow[p] : rejectedRow[p];
                String name = side == 0 ? "chosen" : "rejected";
                if (b == -1 && side == 1 && allowEmptyRejected) {
                    continue;
                }
                if (b < 0 || b >= batch) {
                    throw new IllegalArgumentException("pair " + p + ": " + name + " batch row " + b + " is outside [0, B=" + batch + ")");
                }
                if (usedBy[b] >= 0) {
                    throw new IllegalArgumentException("batch row " + b + " is used by pair " + usedBy[b] + " and by pair " + p
                            + "; each sequence must belong to one pair");
                }
                usedBy[b] = p;
                for (long l = 0; l + 1 < seqLen; l++) {
                    long y = lab[(int) (b * seqLen + l + 1)];
                    if (y != ignoreIndex) {
                        src0.add(b * seqLen + l);
                        tgt.add(y);
                        n[side]++;
                    }
                }
                if (n[side] == 0 && !(side == 1 && allowEmptyRejected)) {
                    throw new IllegalArgumentException("pair " + p + ": the " + name + " sequence (batch row " + b
                            + ") has no response label after the one-token shift; every label from position 1 on is the ignore index "
                            + ignoreIndex);
                }
            }
            lb.addPair(n[0], n[1]);
        }
        this.backend = backend;
        this.dtype = src.dtype();
        this.width = width;
        this.fullRows = bl;
        this.layout = lb.build();
        this.sourceRows = src0.stream().mapToLong(Long::longValue).toArray();
        long[] targetValues = tgt.stream().mapToLong(Long::longValue).toArray();
        long t = sourceRows.length;
        long rowBytes = width * dtype.byteSize();
        try (PointerScope scope = new PointerScope()) {
            index = own(scope, new LongPointer(sourceRows));
            BytePointer compact = own(scope, new BytePointer(Math.max(1, t * rowBytes)));
            LongPointer tp = own(scope, new LongPointer(targetValues));
            try (Kernels k = backend.open(0)) {
                k.gatherRows(k.at(k.addressable(src, true), 0), rowBytes, index, t, compact);
            }
            rows = HostTensor.of(compact, dtype, t * width);
            targets = HostTensor.of(tp, DType.I64, t);
        }
    }

    /** Takes {@code p} out of the call's scope (detach drops the scope's reference, so keep one of our own). */
    private <P extends Pointer> P own(PointerScope scope, P p) {
        p.retainReference();
        scope.detach(p);
        owned.add(p);
        return p;
    }

    /** The compact rows [T, width] in the input's dtype; owned by this object. */
    public HostTensor rows() {
        return rows;
    }

    /** Targets [T] (i64); owned by this object. */
    public HostTensor targets() {
        return targets;
    }

    public BatchLayout layout() {
        return layout;
    }

    /** For each compact row, its row index b·L + l in the padded batch. */
    public long[] sourceRows() {
        return sourceRows.clone();
    }

    /**
     * Writes the compact gradient [T, width] (the input's dtype) into {@code full} [B, L, width], with zeros in every
     * row that did not reach the head.
     */
    public void scatter(HostTensor compact, HostTensor full) {
        if (closed) {
            throw new IllegalStateException("this Compaction is closed");
        }
        long t = sourceRows.length;
        if (compact.dtype() != dtype || full.dtype() != dtype) {
            throw new IllegalArgumentException("gradients must have the input's dtype " + dtype + ", got " + compact.dtype() + " and " + full.dtype());
        }
        if (compact.numel() < t * width || full.numel() < fullRows * width) {
            throw new IllegalArgumentException("gradient buffers too small: compact holds " + compact.numel() + " (needs " + t * width
                    + "), full holds " + full.numel() + " (needs " + fullRows * width + ")");
        }
        try (Kernels k = backend.open(0)) {
            Tensor c = k.addressable(compact, true);
            Tensor f = k.addressable(full, false);
            k.zero(k.at(f, 0), fullRows * width * dtype.byteSize());
            k.scatterRows(k.at(c, 0), width * dtype.byteSize(), index, t, k.at(f, 0));
            k.copyBack(full, f);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Pointer p : owned) {
                p.releaseReference();
            }
        }
    }
}
