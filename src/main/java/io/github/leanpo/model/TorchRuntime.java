package io.github.leanpo.model;

import org.bytedeco.pytorch.global.torch;

/**
 * Process-wide libtorch settings. libtorch's intra-op pool defaults to every core; on a small machine shared with
 * the JVM (and leanpo's own kernels) one thread is faster for these tiny shapes and keeps timings stable.
 */
public final class TorchRuntime {
    private static volatile boolean initialised;

    private TorchRuntime() {}

    /**
     * Loads libtorch (the first call takes a few seconds) and sets its intra-op threads; the system property
     * {@code leanpo.torch.threads} overrides {@code threads}.
     */
    public static synchronized void init(int threads) {
        int n = Integer.getInteger("leanpo.torch.threads", threads);
        if (n < 1) {
            throw new IllegalArgumentException("libtorch needs at least one thread, got " + n);
        }
        torch.set_num_threads(n);
        initialised = true;
    }

    /** {@link #init(int)} with one thread, unless already initialised. */
    public static void ensureInit() {
        if (!initialised) {
            init(1);
        }
    }
}
