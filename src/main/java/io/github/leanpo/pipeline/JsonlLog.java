package io.github.leanpo.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.files.AppendOnlyLines;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.BiConsumer;

/**
 * An append-only JSON-lines file that survives being killed at any moment.
 *
 * <p>Each record is one line written with a single positioned write of the whole line and its newline, then
 * flushed to the disk ({@code fsync}) before {@link #append} returns, so a record that was reported written
 * survives a crash. A kill during a write can leave a torn last line — bytes without a trailing newline —
 * which {@link #open} cuts off before anything is appended. Complete lines must be JSON objects with a string
 * {@code "id"}; anything else is reported with its line number, never skipped. The file is locked for the
 * lifetime of this object, so two runs cannot interleave their lines. Owns its file channel; close is idempotent.
 */
final class JsonlLog implements Closeable {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private final long tornBytes;
    private long position;
    private boolean closed;

    private JsonlLog(Path path, FileChannel channel, FileLock lock, long tornBytes) throws IOException {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.tornBytes = tornBytes;
        this.position = channel.size();
    }

    /**
     * Opens (creating if needed) {@code path}, locks it, drops a torn last line and hands every existing record to
     * {@code visit} with its {@code file:line}.
     *
     * @throws IllegalStateException    when another process (or this one) holds the file
     * @throws IllegalArgumentException when a complete line is not a JSON object with a string "id"
     */
    static JsonlLog open(Path path, BiConsumer<JsonNode, String> visit) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalStateException("another run is writing " + path + " (the file is locked); wait for it or choose other output files");
            }
            long torn = AppendOnlyLines.dropTornTail(ch);
            readRecords(path, ch, visit);
            return new JsonlLog(path, ch, lock, torn);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    Path path() {
        return path;
    }

    /** Bytes of a torn last line that {@link #open} removed (0 when the file ended cleanly). */
    long tornBytes() {
        return tornBytes;
    }

    /** Appends {@code record} as one line and flushes it to the disk before returning. */
    synchronized void append(Object record) throws IOException {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a record as JSON: " + e.getMessage(), e);
        }
        position = AppendOnlyLines.append(channel, position, json);
    }

    /** Empties the file (used to retry recorded failures), flushing the truncation to the disk. */
    synchronized void truncate() throws IOException {
        channel.truncate(0);
        channel.force(true);
        position = 0;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }

    private static void readRecords(Path path, FileChannel ch, BiConsumer<JsonNode, String> visit) throws IOException {
        ch.position(0);
        // Not closed: closing the stream would close the channel we keep for appending.
        Utf8Lines lines = new Utf8Lines(Channels.newInputStream(ch));
        while (true) {
            String line;
            try {
                line = lines.next();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(path + ":" + lines.number() + ": not valid UTF-8; the file is damaged or not written by leanpo");
            }
            if (line == null) {
                return;
            }
            String where = path + ":" + lines.number();
            JsonNode n;
            try {
                n = MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                n = null;
            }
            if (n == null || !n.isObject() || !n.path("id").isTextual()) {
                throw new IllegalArgumentException(where + ": not a record of leanpo pairs (a JSON object with an \"id\"); "
                        + "the file is damaged or is not this run's output; fix or remove that line, or choose another output");
            }
            visit.accept(n, where);
        }
    }
}
