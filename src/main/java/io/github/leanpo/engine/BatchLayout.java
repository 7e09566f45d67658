package io.github.leanpo.engine;

import java.util.Arrays;

/**
 * Which rows belong to which sequence, and which sequences form which pair. Pairs are explicit:
 * pair p's chosen sequence is sequence 2p and its rejected sequence is 2p+1, and sequence s covers
 * rows [offset(s), offset(s+1)). Build it pair by pair with {@link #builder()}, or from a
 * {@code seq_offsets [2P+1]} array laid out that way with {@link #fromOffsets(long[])}.
 * Immutable.
 */
public final class BatchLayout {
    private final long[] offsets;

    private BatchLayout(long[] offsets) {
        this.offsets = offsets;
    }

    /**
     * A layout from token offsets of the sequences chosen_0, rejected_0, chosen_1, rejected_1, ...
     *
     * @param seqOffsets 2P+1 monotone offsets starting at 0; the last is T (copied)
     * @throws IllegalArgumentException naming the first bad index
     */
    public static BatchLayout fromOffsets(long[] seqOffsets) {
        if (seqOffsets == null || seqOffsets.length < 3) {
            throw new IllegalArgumentException("seq_offsets needs 2P+1 >= 3 entries (at least one chosen/rejected pair), got "
                    + (seqOffsets == null ? "null" : seqOffsets.length));
        }
        if ((seqOffsets.length - 1) % 2 != 0) {
            throw new IllegalArgumentException("seq_offsets has " + seqOffsets.length + " entries, so it describes "
                    + (seqOffsets.length - 1) + " sequences: an odd number, but sequences come in chosen/rejected pairs");
        }
        if (seqOffsets[0] != 0) {
            throw new IllegalArgumentException("seq_offsets[0] must be 0, got " + seqOffsets[0]);
        }
        for (int i = 1; i < seqOffsets.length; i++) {
            if (seqOffsets[i] < seqOffsets[i - 1]) {
                throw new IllegalArgumentException("seq_offsets must not decrease: seq_offsets[" + i + "] = " + seqOffsets[i]
                        + " < seq_offsets[" + (i - 1) + "] = " + seqOffsets[i - 1]);
            }
        }
        return new BatchLayout(seqOffsets.clone());
    }

    /** Starts a layout built pair by pair. */
    public static Builder builder() {
        return new Builder();
    }

    /** Adds pairs in order; each pair's rows follow the previous pair's. */
    public static final class Builder {
        private long[] offsets = new long[9];
        private int n = 1;

        private Builder() {}

        /** Adds a pair whose chosen response has {@code chosenRows} rows, then its rejected one. */
        public Builder addPair(long chosenRows, long rejectedRows) {
            if (chosenRows < 0 || rejectedRows < 0) {
                throw new IllegalArgumentException("pair " + pairs() + ": row counts must be >= 0, got chosen=" + chosenRows
                        + ", rejected=" + rejectedRows);
            }
            if (n + 2 > offsets.length) {
                offsets = Arrays.copyOf(offsets, offsets.length * 2);
            }
            try {
                offsets[n] = Math.addExact(offsets[n - 1], chosenRows);
                offsets[n + 1] = Math.addExact(offsets[n], rejectedRows);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("pair " + pairs() + ": the row count overflows a 64-bit T (chosen=" + chosenRows
                        + ", rejected=" + rejectedRows + ")");
            }
            n += 2;
            return this;
        }

        private int pairs() {
            return (n - 1) / 2;
        }

        public BatchLayout build() {
            if (n < 3) {
                throw new IllegalArgumentException("a batch needs at least one pair");
            }
            return new BatchLayout(Arrays.copyOf(offsets, n));
        }
    }

    /** P. */
    public int pairs() {
        return (offsets.length - 1) / 2;
    }

    /** 2P. */
    public int sequences() {
        return offsets.length - 1;
    }

    /** T, the rows the layout covers. */
    public long rows() {
        return offsets[offsets.length - 1];
    }

    public long offset(int seq) {
        return offsets[seq];
    }

    public static int chosen(int pair) {
        return 2 * pair;
    }

    public static int rejected(int pair) {
        return 2 * pair + 1;
    }

    /** The sequence holding row {@code row} (binary search). */
    public int sequenceOfRow(long row) {
        int i = Arrays.binarySearch(offsets, row);
        if (i >= 0) {
            while (i + 1 < offsets.length && offsets[i + 1] == row) {
                i++;
            }
            return Math.min(i, sequences() - 1);
        }
        return -i - 2;
    }

    /** A copy of the 2P+1 offsets. */
    public long[] offsets() {
        return offsets.clone();
    }

    @Override
    public String toString() {
        return "BatchLayout[P=" + pairs() + ", T=" + rows() + "]";
    }
}
