package io.github.leanpo.loss;

import io.github.leanpo.engine.Backend;
import io.github.leanpo.engine.CpuBackend;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LogitsEngine;

/**
 * The loss head: LeanPO and its relatives over a batch of preference pairs, forward and backward.
 * <pre>{@code
 * try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
 *     LossResult r = loss.forwardBackward(batch, HostTensor.of(gradLogits));
 *     double value = r.loss();
 * }
 * }</pre>
 * Holds a compute backend; close it when done (idempotent). Calls from several threads are allowed;
 * the CPU kernels run one call at a time on the shared thread pool.
 */
public final class LeanPoLoss implements AutoCloseable {
    private final LossConfig config;
    private final Backend backend;
    private final LogitsEngine engine;
    private volatile boolean closed;

    private LeanPoLoss(LossConfig config, Backend backend) {
        this.config = config;
        this.backend = backend;
        this.engine = new LogitsEngine(backend, LogitsEngine.DEFAULT_CHUNK_BYTES);
    }

    /** A loss on the automatically chosen backend. */
    public static LeanPoLoss create(LossConfig config) {
        return create(config, BackendChoice.AUTO, 0);
    }

    /**
     * @param threads CPU threads for the kernels (process-wide); {@code <= 0} keeps the current setting
     * @throws IllegalStateException when the requested backend is not available here, saying why
     */
    public static LeanPoLoss create(LossConfig config, BackendChoice choice, int threads) {
        if (config == null || choice == null) {
            throw new IllegalArgumentException("config and backend choice must be given");
        }
        Backend backend = switch (choice) {
            // The CUDA backend is not part of this version; AUTO therefore always means the CPU.
            case AUTO, CPU -> new CpuBackend(threads);
            case CUDA -> throw new IllegalStateException(
                    "the CUDA backend is not available in this version of leanpo; use --backend cpu (or auto)");
        };
        return new LeanPoLoss(config, backend);
    }

    public LossConfig config() {
        return config;
    }

    /** "cpu" or "cuda". */
    public String backendName() {
        return backend.name();
    }

    /** Loss and metrics only; no gradient. */
    public LossResult forward(LogitsBatch batch) {
        return run(batch, null);
    }

    /**
     * Loss, metrics and dL/dlogits.
     *
     * @param gradLogits borrowed output [T, V] in the logits' dtype; may be the logits themselves (in place)
     * @throws IllegalArgumentException for invalid input (naming the offending index) or non-finite logits
     */
    public LossResult forwardBackward(LogitsBatch batch, HostTensor gradLogits) {
        if (gradLogits == null) {
            throw new IllegalArgumentException("gradLogits must be given; use forward() for the loss alone");
        }
        return run(batch, gradLogits);
    }

    private LossResult run(LogitsBatch batch, HostTensor grad) {
        if (closed) {
            throw new IllegalStateException("this LeanPoLoss is closed");
        }
        if (batch == null) {
            throw new IllegalArgumentException("batch must be given");
        }
        return new LossResult(engine.run(batch.input(), config.pairFunction(), config.ignoreIndex(), config.normalizer(), grad));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            backend.close();
        }
    }
}
