package io.github.leanpo.pipeline;

/** A model backend could not answer (server error after retries, malformed reply, ...); fails one sample, never the run. */
public class ModelException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
