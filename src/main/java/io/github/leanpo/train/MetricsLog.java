package io.github.leanpo.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.files.AppendOnlyLines;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Step metrics as JSON lines (one object per step, TRL's metric names). Each step is appended as one whole line in a
 * single write and flushed to the disk before {@link #write} returns ({@link AppendOnlyLines}), so a run killed at any
 * moment leaves every step it logged, each line complete. Owns the file; close is idempotent.
 */
public final class MetricsLog implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FileChannel out;
    private long position;

    private MetricsLog(FileChannel out) {
        this.out = out;
    }

    /** Creates (or truncates: a new run starts a new log) {@code path}. */
    public static MetricsLog create(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        return new MetricsLog(FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE));
    }

    /** Appends one step's metrics as a line, on the disk when this returns. */
    public synchronized void write(Map<String, ?> record) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write metrics as JSON: " + e.getOriginalMessage(), e);
        }
        try {
            position = AppendOnlyLines.append(out, position, json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the metrics log", e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
