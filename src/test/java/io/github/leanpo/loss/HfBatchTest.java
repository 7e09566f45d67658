package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.engine.Tensor;
import io.github.leanpo.oracle.Oracle;
import io.github.leanpo.oracle.OracleConfig;
import io.github.leanpo.oracle.OracleLinearResult;
import io.github.leanpo.oracle.OracleResult;
import io.github.leanpo.testing.Gpu;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The HF adapter on padded batches: prompt rows, padding and masked tokens never reach the head; the
 * shift is by one; pairs follow the explicit mapping, not batch position; gradients land back in the
 * right [B, L, ·] rows with zeros elsewhere.
 */
class HfBatchTest {
    static final int B = 4, L = 12, D = 6, V = 30;

    /** labels: prompt (ignored) of promptLen, response of respLen, then padding (ignored). */
    static long[] labels(Random r, int[] promptLen, int[] respLen) {
        long[] lab = new long[B * L];
        for (int b = 0; b < B; b++) {
            for (int l = 0; l < L; l++) {
                boolean resp = l >= promptLen[b] && l < promptLen[b] + respLen[b];
                lab[b * L + l] = resp ? r.nextInt(V) : -100;
            }
        }
        return lab;
    }

    @Test
    void hiddenAdapterMatchesHandCompactedOracle() {
        hiddenRoundTrip(false);
    }

    /** The hidden-state adapter against a hand compaction through the oracle, with host or (onGpu) device tensors. */
    static void hiddenRoundTrip(boolean onGpu) {
        Random r = new Random(3);
        int[] prompt = {3, 5, 2, 4};
        int[] resp = {4, 6, 5, 3};
        long[] lab = labels(r, prompt, resp);
        lab[1 * L + 7] = -100; // a masked token inside a response
        float[] hidden = new float[B * L * D];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) r.nextGaussian();
        }
        float[] weight = new float[V * D];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) (r.nextGaussian() * 0.8);
        }
        // pair 0 = (chosen row 2, rejected row 0), pair 1 = (chosen row 1, rejected row 3): not by position
        PairMapping map = new PairMapping(new int[] {2, 1}, new int[] {0, 3});

        // hand compaction: row (b, l) predicts lab[b, l+1]
        List<Integer> src = new ArrayList<>();
        List<Long> tgt = new ArrayList<>();
        long[] offsets = new long[5];
        int s = 0;
        for (int p = 0; p < 2; p++) {
            for (int b : new int[] {map.chosenRow()[p], map.rejectedRow()[p]}) {
                for (int l = 0; l + 1 < L; l++) {
                    if (lab[b * L + l + 1] != -100) {
                        src.add(b * L + l);
                        tgt.add(lab[b * L + l + 1]);
                    }
                }
                offsets[++s] = src.size();
            }
        }
        int t = src.size();
        double[] h64 = new double[t * D];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < D; j++) {
                h64[i * D + j] = hidden[src.get(i) * D + j];
            }
        }
        double[] w64 = new double[V * D];
        for (int i = 0; i < w64.length; i++) {
            w64[i] = weight[i];
        }
        long[] targets = tgt.stream().mapToLong(Long::longValue).toArray();
        OracleLinearResult ref = Oracle.computeLinear(h64, w64, null, t, D, V, targets, offsets, null, OracleConfig.leanpo());

        float[] gradFull = new float[B * L * D];
        java.util.Arrays.fill(gradFull, 7f); // must be overwritten everywhere
        float[] gW = new float[V * D];
        try (Gpu gpu = onGpu ? new Gpu() : null;
             HfBatch hb = HfBatch.ofHidden(onGpu ? gpu.upload(hidden) : HostTensor.of(hidden), B, L, D, HostTensor.of(lab), map,
                     LossConfig.leanpo());
             LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), onGpu ? BackendChoice.CUDA : BackendChoice.CPU, 0)) {
            assertEquals(t, hb.rows());
            assertEquals(BatchLayout.fromOffsets(offsets).offsets()[4], hb.rows());
            Tensor gc = hb.newCompactGrad();
            Tensor full = onGpu ? gpu.upload(gradFull) : HostTensor.of(gradFull);
            Tensor gw = onGpu ? gpu.upload(gW) : HostTensor.of(gW);
            LossResult res = loss.forwardBackward(hb.linear(onGpu ? gpu.upload(weight) : HostTensor.of(weight), null, V),
                    new LinearGrads(gc, gw, null, false));
            hb.scatterGrad(gc, full);
            if (onGpu) {
                gpu.download((DeviceTensor) full, gradFull);
                gpu.download((DeviceTensor) gw, gW);
            }
            OracleResult lr = ref.logitsResult();
            assertEquals(lr.loss(), res.loss(), 1e-5);
            for (int q = 0; q < 4; q++) {
                assertEquals(lr.seqTokens()[q], res.seqTokens()[q], "tokens of sequence " + q);
            }
        }
        boolean[] reached = new boolean[B * L];
        for (int i = 0; i < t; i++) {
            reached[src.get(i)] = true;
            for (int j = 0; j < D; j++) {
                double want = ref.gradHidden()[i * D + j];
                assertEquals(want, gradFull[src.get(i) * D + j], 1e-6 + 1e-4 * Math.abs(want), "row " + src.get(i));
            }
        }
        for (int row = 0; row < B * L; row++) {
            if (!reached[row]) {
                for (int j = 0; j < D; j++) {
                    assertEquals(0f, gradFull[row * D + j], "prompt/padding row " + row + " must get zero gradient");
                }
            }
        }
        for (int i = 0; i < gW.length; i++) {
            assertEquals(ref.gradWeight()[i], gW[i], 1e-6 + 1e-4 * Math.abs(ref.gradWeight()[i]), "grad_weight " + i);
        }
    }

    @Test
    void logitsAdapterRoundTrip() {
        Random r = new Random(4);
        long[] lab = labels(r, new int[] {2, 2, 6, 1}, new int[] {5, 3, 4, 8});
        float[] logits = new float[B * L * V];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextGaussian() * 2);
        }
        float[] full = new float[logits.length];
        try (HfBatch hb = HfBatch.ofLogits(HostTensor.of(logits), B, L, V, HostTensor.of(lab), PairMapping.interleaved(2), LossConfig.leanpo());
             LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            Tensor gc = hb.newCompactGrad();
            LossResult res = loss.forwardBackward(hb.logits(), gc);
            hb.scatterGrad(gc, HostTensor.of(full));
            assertTrue(Double.isFinite(res.loss()));
            long[] src = hb.sourceRows();
            // each scattered row sums to zero (onehot − softmax), prompt rows stay zero
            for (long row : src) {
                double sum = 0;
                for (int v = 0; v < V; v++) {
                    sum += full[(int) row * V + v];
                }
                assertEquals(0, sum, 1e-6);
            }
            assertEquals(0f, full[0]); // row (0, 0) is a prompt row
        }
    }

    @Test
    void mappingErrorsNamePairAndRow() {
        long[] lab = labels(new Random(5), new int[] {2, 2, 2, 2}, new int[] {3, 3, 3, 3});
        float[] hidden = new float[B * L * D];
        LossConfig cfg = LossConfig.leanpo();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HfBatch.ofHidden(HostTensor.of(hidden), B, L, D, HostTensor.of(lab), new PairMapping(new int[] {0, 1}, new int[] {2, 1}), cfg));
        assertTrue(e.getMessage().contains("batch row 1 is used by pair 1 and by pair 1") || e.getMessage().contains("batch row 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> HfBatch.ofHidden(HostTensor.of(hidden), B, L, D, HostTensor.of(lab), new PairMapping(new int[] {0}, new int[] {4}), cfg));
        assertTrue(e.getMessage().contains("pair 0") && e.getMessage().contains("outside [0, B=4)"), e.getMessage());
        long[] empty = lab.clone();
        for (int l = 1; l < L; l++) {
            empty[3 * L + l] = -100;
        }
        e = assertThrows(IllegalArgumentException.class,
                () -> HfBatch.ofHidden(HostTensor.of(hidden), B, L, D, HostTensor.of(empty), new PairMapping(new int[] {0}, new int[] {3}), cfg));
        assertTrue(e.getMessage().contains("pair 0: the rejected sequence (batch row 3)"), e.getMessage());
        // SFT: the rejected row may be absent
        try (HfBatch hb = HfBatch.ofHidden(HostTensor.of(hidden), B, L, D, HostTensor.of(lab), new PairMapping(new int[] {0}, new int[] {-1}),
                LossConfig.sft())) {
            assertEquals(3, hb.rows());
        }
    }
}
