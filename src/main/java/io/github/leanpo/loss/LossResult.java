package io.github.leanpo.loss;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.EngineResult;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of one loss call: the loss, per-sequence and per-pair values, and step metrics under
 * the names TRL logs use. Per-sequence arrays have 2P entries ordered chosen_0, rejected_0, ...;
 * per-pair arrays have P entries. Arrays are the result's own copies.
 */
public final class LossResult {
    private final EngineResult r;
    private final Map<String, Double> metrics;

    LossResult(EngineResult r) {
        this.r = r;
        this.metrics = Collections.unmodifiableMap(computeMetrics(r));
    }

    /** Σ_pairs L / N. */
    public double loss() {
        return r.loss();
    }

    /** N used for this call. */
    public double normalizer() {
        return r.normalizer();
    }

    public int pairs() {
        return r.pairLoss().length;
    }

    public float[] seqMeanLogp() {
        return r.seqMean().clone();
    }

    public float[] seqSumLogp() {
        return r.seqSum().clone();
    }

    public long[] seqTokens() {
        return r.seqTokens().clone();
    }

    /** Unnormalised per-pair loss L. */
    public float[] pairLoss() {
        return r.pairLoss().clone();
    }

    public float[] rewardChosen() {
        return r.rewardChosen().clone();
    }

    public float[] rewardRejected() {
        return r.rewardRejected().clone();
    }

    /** Reward margin r_w − r_l per pair. */
    public float[] margin() {
        float[] m = new float[pairs()];
        for (int p = 0; p < m.length; p++) {
            m[p] = r.rewardChosen()[p] - r.rewardRejected()[p];
        }
        return m;
    }

    /** The label smoothing ε applied to each pair. */
    public float[] pairEpsilon() {
        return r.pairEpsilon().clone();
    }

    /**
     * Step metrics: {@code loss}, {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/margins},
     * {@code rewards/accuracies}, {@code logps/chosen}, {@code logps/rejected} (mean token log-prob), and
     * {@code smoothing/active_fraction}; means over the pairs of this call.
     */
    public Map<String, Double> metrics() {
        return metrics;
    }

    private static Map<String, Double> computeMetrics(EngineResult r) {
        int pairs = r.pairLoss().length;
        double rc = 0, rr = 0, acc = 0, lc = 0, lr = 0, active = 0;
        for (int p = 0; p < pairs; p++) {
            rc += r.rewardChosen()[p];
            rr += r.rewardRejected()[p];
            acc += r.rewardChosen()[p] > r.rewardRejected()[p] ? 1 : 0;
            lc += r.seqMean()[BatchLayout.chosen(p)];
            lr += r.seqMean()[BatchLayout.rejected(p)];
            active += r.pairEpsilon()[p] > 0 ? 1 : 0;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", r.loss());
        m.put("rewards/chosen", rc / pairs);
        m.put("rewards/rejected", rr / pairs);
        m.put("rewards/margins", (rc - rr) / pairs);
        m.put("rewards/accuracies", acc / pairs);
        m.put("logps/chosen", lc / pairs);
        m.put("logps/rejected", lr / pairs);
        m.put("smoothing/active_fraction", active / pairs);
        return m;
    }
}
