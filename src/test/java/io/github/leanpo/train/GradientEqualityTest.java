package io.github.leanpo.train;

import static org.bytedeco.pytorch.global.torch.gather;
import static org.bytedeco.pytorch.global.torch.log_sigmoid;
import static org.bytedeco.pytorch.global.torch.log_softmax;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.loss.Objective;
import io.github.leanpo.loss.Smoothing;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.TinyVideoLM;
import io.github.leanpo.model.TorchRuntime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer's gradients — leanpo's fused-linear head (grad_hidden, grad_weight) pushed back into libtorch with
 * {@code hidden.backward(grad_hidden)}, over several micro-batches with the global pair count as normaliser — equal
 * libtorch autograd's on the same model when the same loss is written in libtorch ops (log_softmax, gather, masked
 * mean, logsigmoid) over the whole batch at once. Every parameter is compared, the LM head's included.
 */
class GradientEqualityTest {
    private static final long IGNORE = -100;

    @BeforeAll
    static void init() {
        TorchRuntime.init(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"LEANPO", "LEANPO_FIXED", "DPO", "SFT"})
    void engineGradientsEqualAutograd(String kind) {
        ModelConfig mc = new ModelConfig(23, 32, 2, 2, 2, 16, 40);
        LossConfig lc = switch (kind) {
            case "LEANPO" -> LossConfig.leanpo().withSmoothing(Smoothing.dynamic(0.3)).withNllWeight(0.25);
            case "LEANPO_FIXED" -> LossConfig.leanpo().withSmoothing(Smoothing.fixed(0.1)).withGamma(0.2);
            case "DPO" -> LossConfig.dpo().withBeta(0.5);
            default -> LossConfig.sft();
        };
        Random rnd = new Random(kind.hashCode());
        boolean sft = lc.objective() == Objective.SFT;
        List<TrainPair> pairs = new ArrayList<>();
        for (int p = 0; p < 5; p++) { // 5 pairs in micro-batches of 2: accumulation over 3 micro-batches, the last partial
            float[] frames = new float[2 * 3 * 16 * 16];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = rnd.nextFloat() * 2 - 1;
            }
            int[] prompt = tokens(rnd, 2 + rnd.nextInt(6));
            int[] chosen = tokens(rnd, 1 + rnd.nextInt(7));
            TrainPair tp = sft ? TrainPair.sft("p" + p, frames, 2, prompt, chosen)
                    : TrainPair.preference("p" + p, frames, 2, prompt, chosen, tokens(rnd, 1 + rnd.nextInt(7)));
            if (lc.objective() == Objective.DPO) {
                tp = tp.withRefSum(-10f * rnd.nextFloat(), -10f * rnd.nextFloat());
            }
            pairs.add(tp);
        }
        try (TinyVideoLM model = new TinyVideoLM(mc, 7);
             Trainer trainer = new Trainer(model, new TrainConfig(lc, 1e-3, 0, 2, 0, 0, 0))) {
            Map<String, float[]> engine;
            double engineLoss;
            try (PointerScope scope = new PointerScope()) {
                trainer.zeroGrad();
                engineLoss = trainer.computeGradients(pairs).get("loss");
                engine = grads(model);
            }
            trainer.zeroGrad();
            double refLoss;
            try (PointerScope scope = new PointerScope()) {
                Tensor loss = referenceLoss(model, pairs, lc);
                refLoss = loss.item_float();
                loss.backward();
                Map<String, float[]> ref = grads(model);
                assertEquals(refLoss, engineLoss, 1e-5 + 1e-5 * Math.abs(refLoss), "loss");
                double nonZero = 0;
                for (String name : ref.keySet()) {
                    float[] a = engine.get(name);
                    float[] b = ref.get(name);
                    double max = 0;
                    double diff = 0;
                    for (int i = 0; i < b.length; i++) {
                        max = Math.max(max, Math.abs(b[i]));
                        diff = Math.max(diff, Math.abs(a[i] - b[i]));
                    }
                    nonZero += max;
                    assertTrue(diff <= 1e-6 + 2e-4 * max, kind + ": gradient of " + name + " differs by " + diff + " (max |grad| " + max + ")");
                }
                assertTrue(nonZero > 0, "all gradients are zero; the comparison would prove nothing");
                assertTrue(max(ref.get("lm_head_weight")) > 0 && max(ref.get("encoder_conv1_weight")) > 0,
                        "the head and the frame encoder must both receive gradient");
            }
        }
    }

    /** The same loss written in libtorch ops over the whole batch, DESIGN.md §1. */
    private static Tensor referenceLoss(TinyVideoLM model, List<TrainPair> pairs, LossConfig lc) {
        ModelConfig mc = model.config();
        Batches.Padded b = Batches.build(pairs, mc, IGNORE);
        Tensor frames = Tensor.create(b.frames(), b.rows(), b.frameCount(), 3, mc.imageSize(), mc.imageSize());
        Tensor hidden = model.hiddenFromFrames(frames, Tensor.create(b.tokens(), b.rows(), b.textLen()));
        int n = b.seqLen();
        // shift: row l predicts label l+1
        Tensor logits = model.logits(hidden.narrow(1, 0, n - 1));
        long[] targets = new long[b.rows() * (n - 1)];
        float[] mask = new float[targets.length];
        float[] count = new float[b.rows()];
        for (int r = 0; r < b.rows(); r++) {
            for (int l = 0; l < n - 1; l++) {
                long y = b.labels()[r * n + l + 1];
                targets[r * (n - 1) + l] = y == IGNORE ? 0 : y;
                mask[r * (n - 1) + l] = y == IGNORE ? 0 : 1;
                count[r] += y == IGNORE ? 0 : 1;
            }
        }
        Tensor logp = gather(log_softmax(logits, 2), 2, Tensor.create(targets, b.rows(), n - 1, 1)).squeeze(2);
        Tensor sum = logp.mul(Tensor.create(mask, b.rows(), n - 1)).sum(1);
        Tensor mean = sum.div(Tensor.create(count, b.rows()));
        int p = pairs.size();
        int[] cr = b.mapping().chosenRow();
        int[] rr = b.mapping().rejectedRow();
        Tensor meanW = mean.index_select(0, Tensor.create(toLong(cr), p));
        if (lc.objective() == Objective.SFT) {
            return meanW.neg().sum().div(new Scalar((double) p));
        }
        Tensor meanL = mean.index_select(0, Tensor.create(toLong(rr), p));
        Tensor z;
        float[] eps = new float[p];
        if (lc.objective() == Objective.DPO) {
            float[] ref = b.refSum();
            float[] rw = new float[p];
            float[] rl = new float[p];
            for (int i = 0; i < p; i++) {
                rw[i] = ref[2 * i];
                rl[i] = ref[2 * i + 1];
            }
            Tensor sumW = sum.index_select(0, Tensor.create(toLong(cr), p));
            Tensor sumL = sum.index_select(0, Tensor.create(toLong(rr), p));
            z = sumW.sub(Tensor.create(rw, p)).sub(sumL.sub(Tensor.create(rl, p))).mul(new Scalar(lc.beta()));
        } else {
            z = meanW.sub(meanL).mul(new Scalar(lc.beta())).sub(new Scalar(lc.gamma()));
            float[] mw = new float[p];
            float[] ml = new float[p];
            meanW.detach().contiguous().data_ptr_float().get(mw);
            meanL.detach().contiguous().data_ptr_float().get(ml);
            for (int i = 0; i < p; i++) {
                eps[i] = switch (lc.smoothing().mode()) {
                    case DYNAMIC -> mw[i] < ml[i] ? (float) lc.smoothing().epsilon() : 0f;
                    case FIXED -> (float) lc.smoothing().epsilon();
                    case NONE -> 0f;
                };
            }
        }
        Tensor e = Tensor.create(eps, p);
        Tensor oneMinus = Tensor.create(eps, p).neg().add(new Scalar(1.0));
        Tensor l = log_sigmoid(z).mul(oneMinus).neg().sub(log_sigmoid(z.neg()).mul(e));
        if (lc.nllWeight() != 0) {
            l = l.sub(meanW.mul(new Scalar(lc.nllWeight())));
        }
        return l.sum().div(new Scalar((double) p));
    }

    private static Map<String, float[]> grads(TinyVideoLM model) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            Tensor g = e.getValue().grad();
            float[] a = new float[(int) e.getValue().numel()];
            if (g.defined()) {
                g.contiguous().data_ptr_float().get(a);
            }
            m.put(e.getKey(), a);
        }
        return m;
    }

    private static int[] tokens(Random rnd, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 6 + rnd.nextInt(17);
        }
        return t;
    }

    private static long[] toLong(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    private static double max(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
