package io.github.leanpo.engine;

/**
 * A compute backend (DESIGN.md §3): the CPU's native kernels with OpenBLAS, or a GPU's hand-written
 * CUDA kernels with cuBLAS. It opens one {@link Kernels} per loss call; the orchestrators are the same
 * for both. Thread-safe; closing it is idempotent.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    /**
     * The state of one call.
     *
     * @param stream the CUDA stream the call's work goes on (an address; 0 = the default stream); ignored on the CPU
     */
    Kernels open(long stream);

    /** Logits bytes per chunk of whole pairs for {@link LogitsEngine}. */
    long logitsChunkBytes();

    /** Chunk and tile sizes of the fused-linear head when the caller gives none. */
    LinearOptions linearDefaults(long vocab);

    @Override
    void close();
}
