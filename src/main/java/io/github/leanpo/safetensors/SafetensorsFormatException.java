package io.github.leanpo.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown when a file is not a well-formed safetensors file, or when its contents change
 * underneath an open {@link SafetensorsFile} (for example it became shorter than its header
 * claims). The message always names the file and states what is wrong; when the problem concerns
 * a particular tensor, the tensor name is part of the message.
 */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the offending file (may be {@code null} if unknown)
     * @param detail what is wrong with it
     */
    public SafetensorsFormatException(Path file, String detail) {
        super(message(file, detail));
        this.file = file;
    }

    /**
     * @param file the offending file (may be {@code null} if unknown)
     * @param detail what is wrong with it
     * @param cause the underlying parser or I/O error
     */
    public SafetensorsFormatException(Path file, String detail, Throwable cause) {
        super(message(file, detail), cause);
        this.file = file;
    }

    /** @return the offending file, or {@code null} if unknown */
    public Path file() {
        return file;
    }

    private static String message(Path file, String detail) {
        return "invalid safetensors file " + (file == null ? "<unknown>" : file.toString()) + ": " + detail;
    }
}
