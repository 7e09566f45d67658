package io.github.leanpo.loss;

/**
 * Which batch row holds each pair's chosen and rejected sequence: pair p is (chosenRow[p],
 * rejectedRow[p]). Always explicit, never "the first half of the batch". rejectedRow[p] = -1 means
 * the pair has no rejected sequence (SFT only).
 */
public record PairMapping(int[] chosenRow, int[] rejectedRow) {
    public PairMapping {
        if (chosenRow == null || rejectedRow == null || chosenRow.length != rejectedRow.length) {
            throw new IllegalArgumentException("the pair mapping needs as many chosen rows as rejected rows");
        }
        chosenRow = chosenRow.clone();
        rejectedRow = rejectedRow.clone();
    }

    /** Pairs (0, 1), (2, 3), ... for batches laid out chosen, rejected, chosen, rejected. */
    public static PairMapping interleaved(int pairs) {
        int[] c = new int[pairs];
        int[] r = new int[pairs];
        for (int p = 0; p < pairs; p++) {
            c[p] = 2 * p;
            r[p] = 2 * p + 1;
        }
        return new PairMapping(c, r);
    }

    public int pairs() {
        return chosenRow.length;
    }
}
