package io.github.leanpo.loss;

/** Where the loss runs: AUTO picks CUDA when a GPU is present and the CUDA backend is available, else the CPU. */
public enum BackendChoice {
    AUTO, CPU, CUDA;

    public static BackendChoice parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown backend '" + s + "' (use auto, cpu or cuda)");
        }
    }
}
