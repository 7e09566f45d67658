package io.github.leanpo.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The two halves of an append-only line file that survives being killed at any moment: each line goes out in one
 * positioned write of the whole line and its newline, flushed to the disk before the caller goes on; and on reopening,
 * a torn last line (bytes after the last newline, from a write cut short by a crash or a power loss) is cut off
 * before anything is appended, so every line in the file is one a writer completed. Stateless; the caller owns the
 * channel.
 */
public final class AppendOnlyLines {
    private AppendOnlyLines() {}

    /**
     * Writes {@code record} and a newline at {@code position} and flushes them to the disk. The record must not hold
     * a newline itself (one compact JSON object does not).
     *
     * @return the position after the line
     */
    public static long append(FileChannel channel, long position, byte[] record) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(record.length + 1).put(record).put((byte) '\n').flip();
        long at = position;
        while (b.hasRemaining()) {
            at += channel.write(b, at);
        }
        channel.force(false);
        return at;
    }

    /** Cuts the file after its last newline (all of it when it has none), flushing the cut; returns the bytes cut. */
    public static long dropTornTail(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size == 0) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.allocate(8192);
        long end = size;
        long keep = 0;
        search:
        while (end > 0) {
            int n = (int) Math.min(b.capacity(), end);
            long start = end - n;
            b.clear().limit(n);
            int read = 0;
            while (read < n) {
                int r = channel.read(b, start + read);
                if (r < 0) {
                    throw new IOException("unexpected end of file while reading " + size + " bytes");
                }
                read += r;
            }
            for (int i = n - 1; i >= 0; i--) {
                if (b.get(i) == '\n') {
                    keep = start + i + 1;
                    break search;
                }
            }
            end = start;
        }
        if (keep < size) {
            channel.truncate(keep);
            channel.force(true);
        }
        return size - keep;
    }
}
