package io.github.leanpo.engine;

import io.github.leanpo.nativelib.NativeCalls;

/**
 * The native C++ backend: vectorised row kernels on leanpo's own thread pool, products through
 * OpenBLAS. The pool is shared by the whole process, so {@link #CpuBackend(int)} sets the thread count
 * for every CPU backend.
 */
public final class CpuBackend implements Backend {
    /** Logits per chunk: 24 MiB, a little under a 32 MiB L3, so pass 2 reads what pass 1 left in cache. */
    public static final long CHUNK_BYTES = 24L << 20;

    private final int blasThreads;

    /** Uses the current thread count (by default one per hardware thread). */
    public CpuBackend() {
        this(0);
    }

    /**
     * @param threads threads for the CPU kernels; {@code <= 0} keeps the current setting
     * @throws IllegalStateException when the native library cannot be loaded
     */
    public CpuBackend(int threads) {
        NativeCalls.ensureLoaded();
        if (threads > 0) {
            NativeCalls.setThreads(threads);
        }
        blasThreads = NativeCalls.threads();
    }

    /** Threads the CPU kernels use now. */
    public int threads() {
        return NativeCalls.threads();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Kernels open(long stream) {
        return new CpuKernels(blasThreads);
    }

    @Override
    public long logitsChunkBytes() {
        return CHUNK_BYTES;
    }

    @Override
    public LinearOptions linearDefaults(long vocab) {
        return LinearOptions.defaults(vocab);
    }

    @Override
    public void close() {
        // Nothing per instance: the thread pool and the library live for the process.
    }
}
