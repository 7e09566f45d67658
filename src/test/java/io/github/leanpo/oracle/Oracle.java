package io.github.leanpo.oracle;

/**
 * Plain-Java fp64 reference of the LeanPO loss family (LEANPO, SIMPO, DPO, SFT) and its gradients.
 *
 * <p>This is written for clarity, not speed: it follows the normative formulas step by step so that
 * faster implementations (the native engine) can be checked against it. It validates the input only
 * as far as needed to make the formulas well defined.
 *
 * <p>Layout: P pairs, S = 2P sequences ordered chosen_0, rejected_0, chosen_1, rejected_1, ...;
 * sequence s covers rows [offsets[s], offsets[s+1]). Rows outside [offsets[0], offsets[S]) and rows
 * whose target equals the ignore index take no part and get a zero gradient.
 */
public final class Oracle {

    private Oracle() {
    }

    /**
     * Loss and gradient with respect to the logits.
     *
     * @param logits  [T, V] row-major
     * @param T       number of rows
     * @param V       vocabulary size
     * @param targets [T] target ids, each in [0, V) or equal to {@code cfg.ignoreIndex()}
     * @param offsets [2P + 1] non-decreasing sequence boundaries within [0, T]
     * @param refSum  [2P] reference-model sequence log-prob sums; required for DPO, ignored otherwise
     * @param cfg     configuration
     */
    public static OracleResult compute(double[] logits, int T, int V, long[] targets, long[] offsets,
                                       double[] refSum, OracleConfig cfg) {
        require(cfg != null, "cfg must not be null");
        require(T >= 0, "T must be >= 0");
        require(V >= 1, "V must be >= 1");
        require(logits != null && logits.length == (long) T * V, "logits must have length T*V");
        require(targets != null && targets.length == T, "targets must have length T");
        require(offsets != null && offsets.length >= 3 && offsets.length % 2 == 1,
                "offsets must have length 2P+1 with P >= 1");
        final int S = offsets.length - 1;
        final int P = S / 2;
        require(offsets[0] >= 0, "offsets[0] must be >= 0");
        for (int s = 0; s < S; s++) {
            require(offsets[s] <= offsets[s + 1], "offsets must be non-decreasing (at " + s + ")");
        }
        require(offsets[S] <= T, "offsets[2P] must be <= T");
        final long ignore = cfg.ignoreIndex();
        for (int t = 0; t < T; t++) {
            require(targets[t] == ignore || (targets[t] >= 0 && targets[t] < V),
                    "target " + targets[t] + " at row " + t + " is neither ignored nor in [0, V)");
        }
        final OracleObjective objective = cfg.objective();
        if (objective == OracleObjective.DPO) {
            require(refSum != null && refSum.length == S, "DPO needs refSum of length 2P");
        }
        final double N = cfg.normalizer() > 0 ? cfg.normalizer() : P;

        // ---- forward: per-row log-probabilities and per-sequence sums / means ----
        final double[] logp = new double[T];
        final double[] lse = new double[T];
        final double[] seqSum = new double[S];
        final double[] seqMean = new double[S];
        final long[] seqTokens = new long[S];
        for (int s = 0; s < S; s++) {
            double sum = 0.0;
            long n = 0;
            for (int t = (int) offsets[s]; t < (int) offsets[s + 1]; t++) {
                if (targets[t] == ignore) {
                    continue;
                }
                lse[t] = logSumExp(logits, t * V, V);
                logp[t] = logits[t * V + (int) targets[t]] - lse[t];
                sum += logp[t];
                n++;
            }
            seqSum[s] = sum;
            seqTokens[s] = n;
            seqMean[s] = n > 0 ? sum / n : 0.0;
        }
        for (int p = 0; p < P; p++) {
            require(seqTokens[2 * p] > 0, "chosen sequence of pair " + p + " has no target tokens");
            require(objective == OracleObjective.SFT || seqTokens[2 * p + 1] > 0,
                    "rejected sequence of pair " + p + " has no target tokens");
        }

        // ---- per-pair loss and derivatives w.r.t. sequence sums and means ----
        final double beta = cfg.beta();
        final double lambda = cfg.nllWeight();
        final double[] pairLoss = new double[P];
        final double[] rewardChosen = new double[P];
        final double[] rewardRejected = new double[P];
        final double[] eps = new double[P];
        final double[] dSum = new double[S];
        final double[] dMean = new double[S];
        double total = 0.0;
        for (int p = 0; p < P; p++) {
            final int w = 2 * p;
            final int l = 2 * p + 1;
            if (objective == OracleObjective.SFT) {
                rewardChosen[p] = beta * seqMean[w];
                rewardRejected[p] = beta * seqMean[l];
                eps[p] = 0.0;
                pairLoss[p] = -seqMean[w];
                dMean[w] = -1.0 / N;
            } else {
                final double z;
                if (objective == OracleObjective.DPO) {
                    rewardChosen[p] = beta * (seqSum[w] - refSum[w]);
                    rewardRejected[p] = beta * (seqSum[l] - refSum[l]);
                    z = rewardChosen[p] - rewardRejected[p];
                } else { // LEANPO, SIMPO
                    rewardChosen[p] = beta * seqMean[w];
                    rewardRejected[p] = beta * seqMean[l];
                    z = rewardChosen[p] - rewardRejected[p] - cfg.gamma();
                }
                eps[p] = switch (cfg.smoothing()) {
                    case NONE -> 0.0;
                    case FIXED -> cfg.epsilon();
                    case DYNAMIC -> seqMean[w] < seqMean[l] ? cfg.epsilon() : 0.0;
                };
                // -(1-e) log sigma(z) - e log sigma(-z) = (1-e) softplus(-z) + e softplus(z)
                pairLoss[p] = (1.0 - eps[p]) * softplus(-z) + eps[p] * softplus(z) - lambda * seqMean[w];
                final double g = sigmoid(z) - (1.0 - eps[p]);
                if (objective == OracleObjective.DPO) {
                    dSum[w] = beta * g / N;
                    dMean[w] = -lambda / N;
                    dSum[l] = -beta * g / N;
                } else {
                    dMean[w] = (beta * g - lambda) / N;
                    dMean[l] = -beta * g / N;
                }
            }
            total += pairLoss[p];
        }
        final double loss = total / N;

        // ---- backward: dL/dlogp per row, then dL/dx = dL/dlogp * (onehot - softmax) ----
        final double[] dLogp = new double[T];
        final double[] grad = new double[T * V];
        for (int s = 0; s < S; s++) {
            if (seqTokens[s] == 0) {
                continue;
            }
            final double perRow = dSum[s] + dMean[s] / seqTokens[s];
            for (int t = (int) offsets[s]; t < (int) offsets[s + 1]; t++) {
                if (targets[t] == ignore) {
                    continue;
                }
                dLogp[t] = perRow;
                final int y = (int) targets[t];
                for (int v = 0; v < V; v++) {
                    final double softmax = Math.exp(logits[t * V + v] - lse[t]);
                    grad[t * V + v] = perRow * ((v == y ? 1.0 : 0.0) - softmax);
                }
            }
        }
        return new OracleResult(loss, grad, seqMean, seqSum, seqTokens, pairLoss, rewardChosen, rewardRejected,
                eps, dLogp);
    }

    /**
     * Fused-linear variant: logits = hidden * weight^T + bias, then {@link #compute}; gradients are
     * propagated to hidden, weight and bias.
     *
     * @param hidden [T, d] row-major
     * @param weight [V, d] row-major
     * @param bias   [V] or {@code null} (then {@code gradBias} is {@code null})
     */
    public static OracleLinearResult computeLinear(double[] hidden, double[] weight, double[] bias, int T, int d,
                                                   int V, long[] targets, long[] offsets, double[] refSum,
                                                   OracleConfig cfg) {
        require(T >= 0 && d >= 1 && V >= 1, "T must be >= 0, d and V >= 1");
        require(hidden != null && hidden.length == (long) T * d, "hidden must have length T*d");
        require(weight != null && weight.length == (long) V * d, "weight must have length V*d");
        require(bias == null || bias.length == V, "bias must be null or have length V");
        require((long) T * V <= Integer.MAX_VALUE, "T*V too large for the reference");

        final double[] logits = new double[T * V];
        for (int t = 0; t < T; t++) {
            for (int v = 0; v < V; v++) {
                double acc = bias == null ? 0.0 : bias[v];
                for (int k = 0; k < d; k++) {
                    acc += hidden[t * d + k] * weight[v * d + k];
                }
                logits[t * V + v] = acc;
            }
        }
        final OracleResult r = compute(logits, T, V, targets, offsets, refSum, cfg);
        final double[] G = r.gradLogits();

        final double[] gradHidden = new double[T * d];
        final double[] gradWeight = new double[V * d];
        final double[] gradBias = bias == null ? null : new double[V];
        for (int t = 0; t < T; t++) {
            if (r.dLogp()[t] == 0.0) {
                continue; // the whole row of G is zero
            }
            for (int v = 0; v < V; v++) {
                final double gtv = G[t * V + v];
                for (int k = 0; k < d; k++) {
                    gradHidden[t * d + k] += gtv * weight[v * d + k];
                    gradWeight[v * d + k] += gtv * hidden[t * d + k];
                }
                if (gradBias != null) {
                    gradBias[v] += gtv;
                }
            }
        }
        return new OracleLinearResult(r, gradHidden, gradWeight, gradBias);
    }

    /** log(sum_v exp(x[from + v])) over V entries, with the row max subtracted for stability. */
    static double logSumExp(double[] x, int from, int V) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) {
            max = Math.max(max, x[from + v]);
        }
        require(Double.isFinite(max), "logits row has a non-finite maximum");
        double sum = 0.0;
        for (int v = 0; v < V; v++) {
            sum += Math.exp(x[from + v] - max);
        }
        return max + Math.log(sum);
    }

    /** softplus(a) = log(1 + exp(a)), computed stably. */
    static double softplus(double a) {
        return Math.max(a, 0.0) + Math.log1p(Math.exp(-Math.abs(a)));
    }

    /** sigma(z) = 1 / (1 + exp(-z)), computed stably. */
    static double sigmoid(double z) {
        if (z >= 0) {
            return 1.0 / (1.0 + Math.exp(-z));
        }
        final double e = Math.exp(z);
        return e / (1.0 + e);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
