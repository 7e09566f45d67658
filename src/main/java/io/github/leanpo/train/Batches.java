package io.github.leanpo.train;

import io.github.leanpo.loss.PairMapping;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.WordTokenizer;
import java.util.List;

/**
 * A padded micro-batch as the model and leanpo's HF adapter take it: rows chosen_0, rejected_0, chosen_1, ... (no
 * rejected rows for SFT), text right-padded to the longest row, and labels [B, N] over the whole sequence
 * (N = visual + text tokens) holding each response token at its own position and the ignore index everywhere else.
 * The adapter shifts them by one, so hidden row l predicts label l+1: the row of the last prompt token predicts the
 * first response token, and video and prompt rows never reach the loss head.
 */
final class Batches {
    private Batches() {}

    record Padded(int rows, int frameCount, int textLen, int seqLen, float[] frames, long[] tokens, long[] labels, PairMapping mapping,
                  float[] refSum) {}

    static Padded build(List<TrainPair> pairs, ModelConfig mc, long ignoreIndex) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("an empty micro-batch");
        }
        int k = pairs.get(0).frameCount();
        boolean withRejected = pairs.get(0).hasRejected();
        int rows = 0;
        int textLen = 0;
        for (TrainPair p : pairs) {
            if (p.frameCount() != k) {
                throw new IllegalArgumentException(p.id() + ": " + p.frameCount() + " frames but the micro-batch has " + k);
            }
            if (p.hasRejected() != withRejected) {
                throw new IllegalArgumentException(p.id() + ": SFT examples and preference pairs cannot share a micro-batch");
            }
            textLen = Math.max(textLen, p.prompt().length + p.chosen().length);
            if (p.hasRejected()) {
                textLen = Math.max(textLen, p.prompt().length + p.rejected().length);
            }
            rows += p.hasRejected() ? 2 : 1;
        }
        if (textLen > mc.maxText()) {
            throw new IllegalArgumentException("a sequence of " + textLen + " text tokens exceeds the model's " + mc.maxText());
        }
        int nv = k * mc.tokensPerFrame();
        int seqLen = nv + textLen;
        int plane = pairs.get(0).frames().length;
        float[] frames = new float[rows * plane];
        long[] tokens = new long[rows * textLen];
        long[] labels = new long[rows * seqLen];
        java.util.Arrays.fill(tokens, WordTokenizer.PAD);
        java.util.Arrays.fill(labels, ignoreIndex);
        int[] chosenRow = new int[pairs.size()];
        int[] rejectedRow = new int[pairs.size()];
        float[] ref = pairs.get(0).refSum() != null ? new float[2 * pairs.size()] : null;
        int r = 0;
        for (int p = 0; p < pairs.size(); p++) {
            TrainPair tp = pairs.get(p);
            chosenRow[p] = r;
            put(tp, tp.chosen(), r++, frames, tokens, labels, textLen, seqLen, nv, plane);
            if (tp.hasRejected()) {
                rejectedRow[p] = r;
                put(tp, tp.rejected(), r++, frames, tokens, labels, textLen, seqLen, nv, plane);
            } else {
                rejectedRow[p] = -1;
            }
            if (ref != null) {
                if (tp.refSum() == null) {
                    throw new IllegalArgumentException(tp.id() + ": reference sums are missing (compute them with Trainer.withReferenceSums)");
                }
                ref[2 * p] = tp.refSum()[0];
                ref[2 * p + 1] = tp.refSum()[1];
            }
        }
        return new Padded(rows, k, textLen, seqLen, frames, tokens, labels, new PairMapping(chosenRow, rejectedRow), ref);
    }

    private static void put(TrainPair tp, int[] response, int row, float[] frames, long[] tokens, long[] labels, int textLen, int seqLen,
                            int nv, int plane) {
        System.arraycopy(tp.frames(), 0, frames, row * plane, plane);
        int[] prompt = tp.prompt();
        for (int i = 0; i < prompt.length; i++) {
            tokens[row * textLen + i] = prompt[i];
        }
        for (int j = 0; j < response.length; j++) {
            tokens[row * textLen + prompt.length + j] = response[j];
            labels[row * seqLen + nv + prompt.length + j] = response[j];
        }
    }
}
