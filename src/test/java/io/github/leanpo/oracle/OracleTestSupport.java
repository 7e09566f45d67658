package io.github.leanpo.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/** Shared helpers for the oracle tests: random problems and finite-difference checks. */
final class OracleTestSupport {

    static final double FD_ABS_TOL = 1e-6;
    static final double FD_REL_TOL = 1e-5;
    static final long IGNORE = -100L;

    private OracleTestSupport() {
    }

    /** A logits-level problem. */
    record Problem(double[] logits, int T, int V, long[] targets, long[] offsets, double[] refSum) {
        int sequences() {
            return offsets.length - 1;
        }

        OracleResult compute(OracleConfig cfg) {
            return Oracle.compute(logits, T, V, targets, offsets, refSum, cfg);
        }

        double lossAt(double[] x, OracleConfig cfg) {
            return Oracle.compute(x, T, V, targets, offsets, refSum, cfg).loss();
        }

        /** Sequence that row t belongs to, or -1 when it lies outside every sequence. */
        int sequenceOf(int t) {
            for (int s = 0; s < sequences(); s++) {
                if (t >= offsets[s] && t < offsets[s + 1]) {
                    return s;
                }
            }
            return -1;
        }
    }

    /**
     * Random problem with standard-normal logits.
     *
     * @param seqLens     rows per sequence (chosen_0, rejected_0, ...)
     * @param padRows     extra rows after the last sequence (outside every sequence)
     * @param maskedRows  global row indices whose target is set to {@link #IGNORE}
     * @param targetBoost per-sequence amount added to the target logit of each row (null for none)
     * @param withRefSum  whether to draw a random reference sum per sequence
     */
    static Problem randomProblem(long seed, int V, int[] seqLens, int padRows, int[] maskedRows,
                                 double[] targetBoost, boolean withRefSum) {
        Random rng = new Random(seed);
        int S = seqLens.length;
        long[] offsets = new long[S + 1];
        for (int s = 0; s < S; s++) {
            offsets[s + 1] = offsets[s] + seqLens[s];
        }
        int T = (int) offsets[S] + padRows;
        double[] logits = new double[T * V];
        long[] targets = new long[T];
        for (int t = 0; t < T; t++) {
            for (int v = 0; v < V; v++) {
                logits[t * V + v] = rng.nextGaussian();
            }
            targets[t] = rng.nextInt(V);
        }
        for (int t : maskedRows) {
            targets[t] = IGNORE;
        }
        if (targetBoost != null) {
            for (int s = 0; s < S; s++) {
                for (int t = (int) offsets[s]; t < offsets[s + 1]; t++) {
                    if (targets[t] != IGNORE) {
                        logits[t * V + (int) targets[t]] += targetBoost[s];
                    }
                }
            }
        }
        double[] refSum = null;
        if (withRefSum) {
            refSum = new double[S];
            for (int s = 0; s < S; s++) {
                refSum[s] = -1.5 * seqLens[s] + 0.5 * rng.nextGaussian();
            }
        }
        return new Problem(logits, T, V, targets, offsets, refSum);
    }

    /** Central finite difference of f at x, one coordinate at a time, step 1e-6 relative. */
    static double[] finiteDifference(double[] x, ToDoubleFunction<double[]> f) {
        double[] out = new double[x.length];
        double[] work = x.clone();
        for (int i = 0; i < x.length; i++) {
            double h = 1e-6 * Math.max(1.0, Math.abs(x[i]));
            work[i] = x[i] + h;
            double fp = f.applyAsDouble(work);
            work[i] = x[i] - h;
            double fm = f.applyAsDouble(work);
            work[i] = x[i];
            out[i] = (fp - fm) / (2.0 * h);
        }
        return out;
    }

    /** Asserts analytic == numeric within 1e-6 abs + 1e-5 rel, element by element. */
    static void assertMatchesFd(String what, double[] analytic, double[] numeric) {
        assertEquals(numeric.length, analytic.length, what + ": length");
        for (int i = 0; i < analytic.length; i++) {
            double tol = FD_ABS_TOL + FD_REL_TOL * Math.abs(numeric[i]);
            double err = Math.abs(analytic[i] - numeric[i]);
            if (!(err <= tol)) {
                fail(what + "[" + i + "]: analytic " + analytic[i] + " vs finite difference " + numeric[i]
                        + " (|diff| " + err + " > tol " + tol + ")");
            }
        }
    }

    /** Checks dLoss/dlogits against finite differences of the loss over every logit. */
    static void checkLogitGradient(Problem pr, OracleConfig cfg) {
        OracleResult r = pr.compute(cfg);
        double[] fd = finiteDifference(pr.logits(), x -> pr.lossAt(x, cfg));
        assertMatchesFd("gradLogits", r.gradLogits(), fd);
    }

    /** Rows that take no part (ignored target or outside every sequence) must have an exactly zero gradient. */
    static void assertNonParticipatingRowsZero(Problem pr, OracleConfig cfg, OracleResult r) {
        for (int t = 0; t < pr.T(); t++) {
            boolean participates = pr.sequenceOf(t) >= 0 && pr.targets()[t] != cfg.ignoreIndex();
            if (participates) {
                continue;
            }
            assertEquals(0.0, r.dLogp()[t], 0.0, "dLogp of non-participating row " + t);
            for (int v = 0; v < pr.V(); v++) {
                double g = r.gradLogits()[t * pr.V() + v];
                assertEquals(0L, Double.doubleToLongBits(Math.abs(g)),
                        "gradient of non-participating row " + t + ", column " + v + " is " + g);
            }
        }
    }

    /** loss == sum(pairLoss) / N, and per-row gradients have the dLogp * (onehot - softmax) structure. */
    static void assertInternallyConsistent(Problem pr, OracleConfig cfg, OracleResult r) {
        int P = pr.sequences() / 2;
        double n = cfg.normalizer() > 0 ? cfg.normalizer() : P;
        double total = 0.0;
        for (double l : r.pairLoss()) {
            total += l;
        }
        assertEquals(total / n, r.loss(), 1e-12 * Math.max(1.0, Math.abs(r.loss())), "loss vs pairLoss / N");
        for (int t = 0; t < pr.T(); t++) {
            double rowSum = 0.0;
            for (int v = 0; v < pr.V(); v++) {
                rowSum += r.gradLogits()[t * pr.V() + v];
            }
            // sum_v (onehot - softmax) = 0 for every row
            assertEquals(0.0, rowSum, 1e-12, "row " + t + " of gradLogits must sum to zero");
        }
    }
}
