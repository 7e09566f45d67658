package io.github.leanpo.pipeline;

/** A record of the input file that cannot be used; the message starts with {@code file:line}. */
public final class InputFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InputFormatException(String message) {
        super(message);
    }
}
