package io.github.leanpo.model;

import static org.bytedeco.pytorch.global.torch.gather;
import static org.bytedeco.pytorch.global.torch.log_sigmoid;
import static org.bytedeco.pytorch.global.torch.log_softmax;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The LeanPO loss written the way a libtorch (PyTorch) user writes it: logits = H·Wᵀ materialised as a
 * [T, V] tensor, log_softmax, gather, per-sequence mean, the pair loss, and autograd for the backward.
 * It is the baseline {@code leanpo bench --impl torch} times against leanpo's fused-linear head (DESIGN.md
 * §4: speed and peak memory), and a cross-check of the numbers (same inputs, same loss).
 */
public final class TorchLeanPoReference {
    private TorchLeanPoReference() {}

    /**
     * LeanPO with dynamic smoothing over contiguous sequences chosen_0, rejected_0, ...
     *
     * @param hidden  [T, d] leaf tensor with requires_grad
     * @param weight  [V, d] leaf tensor with requires_grad
     * @param targets [T] target ids (no ignored rows)
     * @param offsets [2P+1] sequence offsets
     * @return the scalar loss Σ L / P, ready for backward()
     */
    public static Tensor loss(Tensor hidden, Tensor weight, long[] targets, long[] offsets, double beta, double epsilon0) {
        int rows = targets.length;
        int seqs = offsets.length - 1;
        int pairs = seqs / 2;
        long[] seqOfRow = new long[rows];
        float[] count = new float[seqs];
        for (int s = 0; s < seqs; s++) {
            for (long t = offsets[s]; t < offsets[s + 1]; t++) {
                seqOfRow[(int) t] = s;
            }
            count[s] = offsets[s + 1] - offsets[s];
        }
        Tensor logits = hidden.matmul(weight.t());
        Tensor logp = gather(log_softmax(logits, 1), 1, Tensor.create(targets, rows, 1)).squeeze(1);
        Tensor sums = Tensor.create(new float[seqs], seqs).index_add(0, Tensor.create(seqOfRow, rows), logp);
        Tensor mean = sums.div(Tensor.create(count, seqs));
        long[] chosen = new long[pairs];
        long[] rejected = new long[pairs];
        for (int p = 0; p < pairs; p++) {
            chosen[p] = 2L * p;
            rejected[p] = 2L * p + 1;
        }
        Tensor meanW = mean.index_select(0, Tensor.create(chosen, pairs));
        Tensor meanL = mean.index_select(0, Tensor.create(rejected, pairs));
        float[] mw = new float[pairs];
        float[] ml = new float[pairs];
        meanW.detach().contiguous().data_ptr_float().get(mw);
        meanL.detach().contiguous().data_ptr_float().get(ml);
        float[] eps = new float[pairs];
        float[] keep = new float[pairs];
        for (int p = 0; p < pairs; p++) {
            eps[p] = mw[p] < ml[p] ? (float) epsilon0 : 0f;
            keep[p] = 1f - eps[p];
        }
        Tensor z = meanW.sub(meanL).mul(new Scalar(beta));
        Tensor l = log_sigmoid(z).mul(Tensor.create(keep, pairs)).neg().sub(log_sigmoid(z.neg()).mul(Tensor.create(eps, pairs)));
        return l.sum().div(new Scalar((double) pairs));
    }
}
