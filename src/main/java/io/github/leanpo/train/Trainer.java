package io.github.leanpo.train;

import static org.bytedeco.pytorch.global.torch.clip_grad_norm_;
import static org.bytedeco.pytorch.global.torch.zeros;

import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.files.AtomicFiles;
import io.github.leanpo.loss.BackendChoice;
import io.github.leanpo.loss.HfBatch;
import io.github.leanpo.loss.LeanPoLoss;
import io.github.leanpo.loss.LinearBatch;
import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.loss.LossResult;
import io.github.leanpo.loss.Objective;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.TinyVideoLM;
import io.github.leanpo.model.TorchRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/**
 * Trains a {@link TinyVideoLM} with leanpo as its loss head (SFT, DPO, LeanPO, SimPO — whatever the
 * {@link TrainConfig}'s loss says). One {@link #step} is one AdamW update over a list of pairs:
 *
 * <ol>
 *   <li>the pairs are split into micro-batches of {@link TrainConfig#microPairs()}; each is padded
 *       ({@code chosen_0, rejected_0, ...}), run through the model to the last hidden states [B, N, d];</li>
 *   <li>leanpo's HF adapter keeps the response rows and its fused-linear head computes the loss, grad_hidden and
 *       grad_weight against the LM head's weight, with the step's pair count as the global normaliser, so the
 *       micro-batches' gradients add up to the full batch's; grad_weight accumulates (fp32) straight into one
 *       buffer that becomes the head weight's {@code .grad};</li>
 *   <li>{@code hidden.backward(grad_hidden)} pushes the gradient through the transformer and the frame encoder;</li>
 *   <li>optional clipping, then AdamW.</li>
 * </ol>
 *
 * Every step runs in its own {@link PointerScope} (libtorch memory is invisible to the JVM's garbage collector).
 * Metrics per step use TRL's names ({@code loss}, {@code rewards/chosen}, ..., {@code logps/chosen},
 * {@code logps/rejected}) plus {@code lr}, {@code grad_norm} and {@code step_time_s}. Owns its loss engines and
 * optimizer; borrows the model. Not thread-safe.
 */
public final class Trainer implements AutoCloseable {
    private final TinyVideoLM model;
    private final TrainConfig config;
    private final AdamW optimizer;
    private final AdamWOptions options;
    private final Map<Integer, LeanPoLoss> losses = new HashMap<>();
    private int step;
    private boolean closed;

    public Trainer(TinyVideoLM model, TrainConfig config) {
        TorchRuntime.ensureInit();
        this.model = model;
        this.config = config;
        this.options = new AdamWOptions(config.lr());
        options.weight_decay().put(config.weightDecay());
        this.optimizer = new AdamW(model.parameterVector(), options);
    }

    public TrainConfig config() {
        return config;
    }

    public TinyVideoLM model() {
        return model;
    }

    /** Optimizer steps taken. */
    public int steps() {
        return step;
    }

    /**
     * One optimizer step over {@code pairs}.
     *
     * @return this step's metrics: TRL's names averaged over the pairs ({@code loss} is the full batch's loss)
     * @throws IllegalArgumentException for an invalid batch (mixed SFT and pairs, missing DPO reference sums, ...)
     */
    public Map<String, Double> step(List<TrainPair> pairs) {
        checkOpen();
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one pair");
        }
        long t0 = System.nanoTime();
        double lr = config.lrAt(step);
        Map<String, Double> m;
        double gradNorm;
        try (PointerScope scope = new PointerScope()) {
            optimizer.param_groups().get(0).options().set_lr(lr);
            optimizer.zero_grad();
            m = computeGradients(pairs);
            // clip_grad_norm_ also reports the norm; an infinite bound measures without clipping
            gradNorm = clip_grad_norm_(model.parameterVector(), config.clipNorm() > 0 ? config.clipNorm() : Double.POSITIVE_INFINITY);
            optimizer.step();
        }
        step++;
        m.put("lr", lr);
        m.put("grad_norm", gradNorm);
        m.put("step_time_s", (System.nanoTime() - t0) / 1e9);
        return m;
    }

    /**
     * Forward and backward over {@code pairs} in micro-batches, leaving the full batch's gradient in every
     * parameter's {@code .grad} (the caller has zeroed them). Runs in the caller's {@link PointerScope}.
     */
    Map<String, Double> computeGradients(List<TrainPair> pairs) {
        LossConfig lc = config.loss();
        LeanPoLoss loss = lossFor(pairs.size());
        ModelConfig mc = model.config();
        int d = mc.hidden();
        int v = mc.vocab();
        Map<String, Double> sums = new LinkedHashMap<>();
        double lossSum = 0;
        Tensor head = model.headWeight();
        Tensor headGrad = zeros(v, d);
        HostTensor headView = HostTensor.of(head.data_ptr_float(), DType.F32, (long) v * d);
        HostTensor headGradView = HostTensor.of(headGrad.data_ptr_float(), DType.F32, (long) v * d);
        for (int from = 0; from < pairs.size(); from += config.microPairs()) {
            List<TrainPair> micro = pairs.subList(from, Math.min(pairs.size(), from + config.microPairs()));
            try (PointerScope inner = new PointerScope()) {
                Batches.Padded b = Batches.build(micro, mc, lc.ignoreIndex());
                Tensor frames = Tensor.create(b.frames(), b.rows(), b.frameCount(), 3, mc.imageSize(), mc.imageSize());
                Tensor tokens = Tensor.create(b.tokens(), b.rows(), b.textLen());
                Tensor hidden = model.hiddenFromFrames(frames, tokens).contiguous();
                long n = (long) b.rows() * b.seqLen() * d;
                Tensor gradHidden = zeros(b.rows(), b.seqLen(), d);
                try (HfBatch hb = HfBatch.ofHidden(HostTensor.of(hidden.data_ptr_float(), DType.F32, n), b.rows(), b.seqLen(), d,
                        HostTensor.of(b.labels()), b.mapping(), lc)) {
                    io.github.leanpo.engine.Tensor gCompact = hb.newCompactGrad();
                    LinearBatch lb = hb.linear(headView, null, v);
                    if (lc.objective() == Objective.DPO) {
                        if (b.refSum() == null) {
                            throw new IllegalArgumentException("DPO needs reference sums; compute them with withReferenceSums");
                        }
                        lb = lb.withRefSum(HostTensor.of(b.refSum()));
                    }
                    // grad_weight is added (fp32) into headGrad across micro-batches; the normaliser is the step's pair count
                    LossResult r = loss.forwardBackward(lb, new LinearGrads(gCompact, headGradView, null, true));
                    hb.scatterGrad(gCompact, HostTensor.of(gradHidden.data_ptr_float(), DType.F32, n));
                    lossSum += r.loss();
                    for (Map.Entry<String, Double> e : r.metrics().entrySet()) {
                        sums.merge(e.getKey(), e.getValue() * micro.size(), Double::sum);
                    }
                }
                hidden.backward(gradHidden, new BoolOptional(), false, new TensorArrayRefOptional());
            }
        }
        head.mutable_grad().put(headGrad);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", lossSum);
        boolean sft = lc.objective() == Objective.SFT;
        for (Map.Entry<String, Double> e : sums.entrySet()) {
            String k = e.getKey();
            if (k.equals("loss") || sft && !k.equals("logps/chosen")) {
                continue; // SFT has no rejected response, hence no rewards
            }
            m.put(k, e.getValue() / pairs.size());
        }
        return m;
    }

    /** Zeroes (drops) every parameter's gradient. */
    void zeroGrad() {
        optimizer.zero_grad();
    }

    /**
     * The same pairs with DPO reference sums: each response's summed log-prob under the model as it is now (call it
     * before training, so the reference is the starting policy, computed once instead of keeping a frozen copy).
     */
    public List<TrainPair> withReferenceSums(List<TrainPair> pairs) {
        List<TrainPair> out = new ArrayList<>(pairs.size());
        int chunk = Math.max(1, config.microPairs());
        for (int from = 0; from < pairs.size(); from += chunk) {
            List<TrainPair> micro = pairs.subList(from, Math.min(pairs.size(), from + chunk));
            float[] sums = sequenceLogps(micro, false);
            for (int p = 0; p < micro.size(); p++) {
                out.add(micro.get(p).withRefSum(sums[2 * p], sums[2 * p + 1]));
            }
        }
        return out;
    }

    /**
     * Per-sequence log-probs of preference pairs under the current model, without gradients: [2P] ordered chosen_0,
     * rejected_0, ...; sums or means over each response's tokens.
     */
    public float[] sequenceLogps(List<TrainPair> pairs, boolean mean) {
        checkOpen();
        ModelConfig mc = model.config();
        int d = mc.hidden();
        LossConfig lc = LossConfig.leanpo().withIgnoreIndex(config.loss().ignoreIndex());
        LeanPoLoss loss = lossFor(-1);
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            Batches.Padded b = Batches.build(pairs, mc, lc.ignoreIndex());
            Tensor frames = Tensor.create(b.frames(), b.rows(), b.frameCount(), 3, mc.imageSize(), mc.imageSize());
            Tensor hidden = model.hiddenFromFrames(frames, Tensor.create(b.tokens(), b.rows(), b.textLen())).contiguous();
            long n = (long) b.rows() * b.seqLen() * d;
            try (HfBatch hb = HfBatch.ofHidden(HostTensor.of(hidden.data_ptr_float(), DType.F32, n), b.rows(), b.seqLen(), d,
                    HostTensor.of(b.labels()), b.mapping(), lc)) {
                Tensor head = model.headWeight();
                LossResult r = loss.forward(hb.linear(HostTensor.of(head.data_ptr_float(), DType.F32, (long) mc.vocab() * d), null,
                        mc.vocab()));
                return mean ? r.seqMeanLogp() : r.seqSumLogp();
            }
        }
    }

    /** The loss engine normalising by {@code pairs} (a step's global pair count); -1: a LeanPO engine for scoring. */
    private LeanPoLoss lossFor(int pairs) {
        return losses.computeIfAbsent(pairs, p -> LeanPoLoss.create(
                p < 0 ? LossConfig.leanpo().withIgnoreIndex(config.loss().ignoreIndex()) : config.loss().withNormalizer(p),
                BackendChoice.CPU, 1));
    }

    /**
     * Writes the optimizer's state (AdamW moments and step counts) to {@code file}, atomically: a kill at any moment
     * leaves the previous complete file or the new one ({@link AtomicFiles}).
     */
    public void saveOptimizer(Path file) throws IOException {
        checkOpen();
        AtomicFiles.writeVia(file, tmp -> {
            try (OutputArchive ar = new OutputArchive()) {
                optimizer.save(ar);
                ar.save_to(tmp.toString());
            }
        });
    }

    /** Restores the optimizer state written by {@link #saveOptimizer} for the same model shape, and the step count. */
    public void loadOptimizer(Path file, int steps) throws IOException {
        checkOpen();
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        try (InputArchive ar = new InputArchive()) {
            ar.load_from(file.toString());
            optimizer.load(ar);
        }
        this.step = steps;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this trainer is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (LeanPoLoss l : losses.values()) {
            l.close();
        }
        losses.clear();
        optimizer.close();
        options.close();
    }
}
