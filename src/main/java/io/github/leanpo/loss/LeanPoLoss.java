package io.github.leanpo.loss;

import io.github.leanpo.engine.Backend;
import io.github.leanpo.engine.CpuBackend;
import io.github.leanpo.engine.CudaBackend;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearEngine;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.engine.LinearOptions;
import io.github.leanpo.engine.LogitsEngine;
import io.github.leanpo.engine.Tensor;

/**
 * The loss head: LeanPO and its relatives over a batch of preference pairs, forward and backward.
 * <pre>{@code
 * try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
 *     LossResult r = loss.forwardBackward(batch, HostTensor.of(gradLogits));
 *     double value = r.loss();
 * }
 * }</pre>
 * Holds a compute backend (the CPU, or a GPU: see {@link BackendChoice}); close it when done
 * (idempotent). Calls from several threads are allowed; the CPU kernels run one call at a time on the
 * shared thread pool, and on a GPU each call runs on the stream its batch names.
 */
public final class LeanPoLoss implements AutoCloseable {
    private final LossConfig config;
    private final Backend backend;
    private final LogitsEngine engine;
    private final LinearEngine linear;
    private volatile boolean closed;

    private LeanPoLoss(LossConfig config, Backend backend, LinearOptions linearOptions) {
        this.config = config;
        this.backend = backend;
        this.engine = new LogitsEngine(backend, 0);
        this.linear = new LinearEngine(backend, linearOptions);
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
        return create(config, choice, threads, null, 0);
    }

    /**
     * @param linearOptions chunk and tile sizes of the fused-linear head, or null to choose them from V and the backend
     * @throws IllegalStateException when the requested backend is not available here, saying why
     */
    public static LeanPoLoss create(LossConfig config, BackendChoice choice, int threads, LinearOptions linearOptions) {
        return create(config, choice, threads, linearOptions, 0);
    }

    /**
     * @param threads       CPU threads for the kernels (process-wide); {@code <= 0} keeps the current setting
     * @param linearOptions chunk and tile sizes of the fused-linear head, or null to choose them from V and the backend
     * @param gpu           the GPU index for CUDA (AUTO uses it when it picks CUDA)
     * @throws IllegalStateException when the requested backend is not available here, saying why
     */
    public static LeanPoLoss create(LossConfig config, BackendChoice choice, int threads, LinearOptions linearOptions, int gpu) {
        if (config == null || choice == null) {
            throw new IllegalArgumentException("config and backend choice must be given");
        }
        Backend backend = switch (choice) {
            case CPU -> new CpuBackend(threads);
            case CUDA -> new CudaBackend(gpu);
            // A GPU, leanpo's CUDA part and cuBLAS must all be there; otherwise the CPU.
            case AUTO -> CudaBackend.unavailableReason() == null ? new CudaBackend(gpu) : new CpuBackend(threads);
        };
        return new LeanPoLoss(config, backend, linearOptions);
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
    public LossResult forwardBackward(LogitsBatch batch, Tensor gradLogits) {
        if (gradLogits == null) {
            throw new IllegalArgumentException("gradLogits must be given; use forward() for the loss alone");
        }
        return run(batch, gradLogits);
    }

    /** Loss and metrics of a fused-linear batch; no gradient. */
    public LossResult forward(LinearBatch batch) {
        return forwardBackward(batch, LinearGrads.none());
    }

    /**
     * Loss, metrics, and the gradients {@code grads} asks for (grad_hidden [T, d], grad_weight [V, d],
     * grad_bias [V]), without a [T, V] buffer. grad_weight and grad_bias accumulate in fp32; with
     * {@code grads.accumulate()} they are added into the caller's f32 buffers.
     *
     * @throws IllegalArgumentException for invalid input (naming the offending index) or non-finite logits
     */
    public LossResult forwardBackward(LinearBatch batch, LinearGrads grads) {
        checkOpen();
        if (batch == null) {
            throw new IllegalArgumentException("batch must be given");
        }
        return new LossResult(linear.run(batch.input(), config.pairFunction(), config.ignoreIndex(), config.normalizer(), grads));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this LeanPoLoss is closed");
        }
    }

    private LossResult run(LogitsBatch batch, Tensor grad) {
        checkOpen();
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
