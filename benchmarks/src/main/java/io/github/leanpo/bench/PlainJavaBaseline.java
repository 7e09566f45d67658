package io.github.leanpo.bench;

/**
 * What a JVM user would write without leanpo: LeanPO forward and backward over f32 logits [T, V] in
 * plain Java, one thread, with the log-softmax materialised in a second T×V buffer, a gather of the
 * target log-probs, per-sequence means and the pair loss, and the softmax gradient in another pass.
 * It is also a second, independent check of the numbers (the summary compares its loss with leanpo's).
 */
public final class PlainJavaBaseline {
    private final int rows;
    private final int vocab;
    private final long[] targets;
    private final long[] offsets;
    private final float[] logSoftmax;
    private final double beta = 2.0;
    private final double eps0 = 0.2;

    public PlainJavaBaseline(int rows, int vocab, long[] targets, long[] offsets) {
        this.rows = rows;
        this.vocab = vocab;
        this.targets = targets;
        this.offsets = offsets;
        this.logSoftmax = new float[Math.multiplyExact(rows, vocab)];
    }

    /** Forward and backward; writes dL/dlogits into grad and returns the loss. */
    public double step(float[] logits, float[] grad) {
        // pass 1: log-softmax of every row into the second buffer
        for (int t = 0; t < rows; t++) {
            int base = t * vocab;
            float max = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[base + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[base + v] - max);
            }
            float lse = (float) (max + Math.log(sum));
            for (int v = 0; v < vocab; v++) {
                logSoftmax[base + v] = logits[base + v] - lse;
            }
        }
        // gather, sequence means, pair loss and its gradient
        int seqs = offsets.length - 1;
        double[] mean = new double[seqs];
        for (int s = 0; s < seqs; s++) {
            double acc = 0;
            for (long t = offsets[s]; t < offsets[s + 1]; t++) {
                acc += logSoftmax[(int) t * vocab + (int) targets[(int) t]];
            }
            mean[s] = acc / (offsets[s + 1] - offsets[s]);
        }
        int pairs = seqs / 2;
        double loss = 0;
        double[] coef = new double[seqs];
        for (int p = 0; p < pairs; p++) {
            double z = beta * (mean[2 * p] - mean[2 * p + 1]);
            double eps = mean[2 * p] < mean[2 * p + 1] ? eps0 : 0;
            double sig = 1 / (1 + Math.exp(-z));
            loss += -(1 - eps) * Math.log(sig) - eps * Math.log(1 - sig);
            double g = sig - (1 - eps);
            coef[2 * p] = beta * g / pairs / (offsets[2 * p + 1] - offsets[2 * p]);
            coef[2 * p + 1] = -beta * g / pairs / (offsets[2 * p + 2] - offsets[2 * p + 1]);
        }
        // pass 2: softmax gradient from the stored log-softmax
        for (int s = 0; s < seqs; s++) {
            for (long tt = offsets[s]; tt < offsets[s + 1]; tt++) {
                int t = (int) tt;
                int base = t * vocab;
                float w = (float) coef[s];
                for (int v = 0; v < vocab; v++) {
                    grad[base + v] = -w * (float) Math.exp(logSoftmax[base + v]);
                }
                grad[base + (int) targets[t]] += w;
            }
        }
        return loss / pairs;
    }
}
