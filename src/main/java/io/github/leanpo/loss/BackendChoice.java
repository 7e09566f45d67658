package io.github.leanpo.loss;

/**
 * Where the loss runs. AUTO picks CUDA when a GPU is present, this libleanpo has its CUDA part and cuBLAS loads
 * (see {@code leanpo info}), else the CPU. CUDA fails with the reason when any of those is missing.
 */
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
