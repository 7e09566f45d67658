package io.github.leanpo.pipeline;

import java.io.IOException;

/** A video that cannot be read (missing, corrupt, no video stream, too short); fails one sample, never the run. */
public final class VideoException extends IOException {
    private static final long serialVersionUID = 1L;

    public VideoException(String message) {
        super(message);
    }

    public VideoException(String message, Throwable cause) {
        super(message, cause);
    }
}
