package io.github.leanpo.engine;

import io.github.leanpo.nativelib.CudaCalls;
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
 * <p>Rows in device memory are gathered and scattered on the GPU, on the stream given, and the compact
 * rows stay there; the labels are read on the host (they decide the layout). Owns the compact rows,
 * targets and row index (host or device memory) until {@link #close()} (idempotent).
 */
public final class Compaction implements AutoCloseable {
    private final Backend backend;
    private final Pointer stream;
    private final DType dtype;
    private final long width;
    private final long fullRows;
    private final BatchLayout layout;
    private final long[] sourceRows;
    private final List<Pointer> owned = new ArrayList<>();
    /** The compact rows, their index and gradient buffers when the input is GPU memory; null otherwise. */
    private final DeviceMemory device;
    private final Tensor rows;
    private final HostTensor targets;
    /** Row index b·L + l of each compact row, where the rows are (host or device). */
    private final LongPointer index;
    private boolean closed;

    /**
     * @param src         [B, L, width] rows (borrowed; read once here)
     * @param labels      [B, L] (i32 or i64) target ids, the ignore index outside responses
     * @param chosenRow   batch row of each pair's chosen sequence
     * @param rejectedRow batch row of each pair's rejected sequence; -1 when there is none (SFT only)
     * @param allowEmptyRejected true for SFT, where the rejected response takes no part
     * @param stream      the CUDA stream (address, 0 = default) device rows are gathered and scattered on
     * @throws IllegalArgumentException naming the pair or batch row at fault
     */
    public static Compaction of(Backend backend, Tensor src, long batch, long seqLen, long width, HostTensor labels,
                                int[] chosenRow, int[] rejectedRow, long ignoreIndex, boolean allowEmptyRejected, long stream) {
        return new Compaction(backend, src, batch, seqLen, width, labels, chosenRow, rejectedRow, ignoreIndex, allowEmptyRejected,
                stream);
    }

    private Compaction(Backend backend, Tensor src, long batch, long seqLen, long width, HostTensor labels, int[] chosenRow,
                       int[] rejectedRow, long ignoreIndex, boolean allowEmptyRejected, long stream) {
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
        this.stream = CudaCalls.stream(stream);
        this.dtype = src.dtype();
        this.width = width;
        this.fullRows = bl;
        this.layout = lb.build();
        this.sourceRows = src0.stream().mapToLong(Long::longValue).toArray();
        long[] targetValues = tgt.stream().mapToLong(Long::longValue).toArray();
        long t = sourceRows.length;
        long rowBytes = width * dtype.byteSize();
        try (PointerScope scope = new PointerScope()) {
            LongPointer hostIndex = own(scope, new LongPointer(sourceRows));
            LongPointer tp = own(scope, new LongPointer(targetValues));
            targets = HostTensor.of(tp, DType.I64, t);
            if (src instanceof DeviceTensor d) {
                device = new DeviceMemory(stream);
                index = new LongPointer(DeviceMemory.raw(device.upload(hostIndex, DType.I64, t)));
                DeviceTensor compact = device.alloc(dtype, t * width);
                CudaCalls.gatherRows(d.at(0), rowBytes, index, t, DeviceMemory.raw(compact), this.stream);
                rows = DeviceTensor.of(compact.address(), dtype, t * width, d.device());
            } else {
                device = null;
                index = hostIndex;
                BytePointer compact = own(scope, new BytePointer(Math.max(1, t * rowBytes)));
                try (Kernels k = backend.open(0)) {
                    k.gatherRows(k.at(k.addressable(src, true), 0), rowBytes, index, t, compact);
                }
                rows = HostTensor.of(compact, dtype, t * width);
            }
        }
    }

    /** Takes {@code p} out of the call's scope (detach drops the scope's reference, so keep one of our own). */
    private <P extends Pointer> P own(PointerScope scope, P p) {
        p.retainReference();
        scope.detach(p);
        owned.add(p);
        return p;
    }

    /** The compact rows [T, width] in the input's dtype, where the input was (host or device); owned by this object. */
    public Tensor rows() {
        return rows;
    }

    /**
     * A buffer [T, width] of the input's dtype where the input is (host or device memory), for a compact gradient; owned
     * by this object until {@link #close()}.
     */
    public Tensor newCompactBuffer() {
        long n = sourceRows.length * width;
        if (rows instanceof DeviceTensor d) {
            return DeviceTensor.of(device.alloc(dtype, n).address(), dtype, n, d.device());
        }
        try (PointerScope scope = new PointerScope()) {
            return HostTensor.of(own(scope, new BytePointer(Math.max(1, n * dtype.byteSize()))), dtype, n);
        }
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
    public void scatter(Tensor compact, Tensor full) {
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
        long rowBytes = width * dtype.byteSize();
        if (rows instanceof DeviceTensor) {
            if (!(compact instanceof DeviceTensor c) || !(full instanceof DeviceTensor f)) {
                throw new IllegalArgumentException("the batch's rows are on the GPU, so both gradients must be device memory too");
            }
            CudaCalls.memset(f.at(0), 0, fullRows * rowBytes, stream);
            CudaCalls.scatterRows(c.at(0), rowBytes, index, t, f.at(0), stream);
            return;
        }
        try (Kernels k = backend.open(0)) {
            k.requireUsable(compact, "the compact gradient");
            k.requireUsable(full, "the full gradient");
            Tensor c = k.addressable(compact, true);
            Tensor f = k.addressable(full, false);
            k.zero(k.at(f, 0), fullRows * rowBytes);
            k.scatterRows(k.at(c, 0), rowBytes, index, t, k.at(f, 0));
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
            if (device != null) {
                device.close();  // stream-ordered: released after the gather and scatters enqueued before
            }
        }
    }
}
