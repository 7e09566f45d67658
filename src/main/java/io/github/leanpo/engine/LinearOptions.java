package io.github.leanpo.engine;

/**
 * Chunk and tile sizes of the fused-linear head; they bound its extra memory, which never depends on T.
 *
 * @param chunkRows       rows (tokens) per chunk, at least 1; a chunk holds whole pairs when it can
 * @param vocabTile       vocabulary columns per tile (weight rows widened and multiplied at once), at least 1
 * @param singlePassBytes when a chunk's full logits rows (chunkRows × V × 4 bytes) fit in this many bytes and the
 *                        chunk holds whole pairs, the chunk runs in one pass (6·T·d·V flops); otherwise it runs two
 *                        passes over vocabulary tiles (8·T·d·V flops, rows × vocabTile × 4 bytes of logits)
 */
public record LinearOptions(int chunkRows, int vocabTile, long singlePassBytes) {
    public LinearOptions {
        if (chunkRows < 1 || vocabTile < 1 || singlePassBytes < 0) {
            throw new IllegalArgumentException("chunkRows and vocabTile must be >= 1 and singlePassBytes >= 0, got " + chunkRows
                    + ", " + vocabTile + ", " + singlePassBytes);
        }
    }

    /** 128 MiB of single-pass logits, 4096-column tiles; chunk rows chosen from V. */
    public static LinearOptions defaults(long vocab) {
        long budget = 128L << 20;
        int rows = (int) Math.max(16, Math.min(2048, budget / (4 * Math.max(1, vocab))));
        return new LinearOptions(rows, 4096, budget);
    }
}
