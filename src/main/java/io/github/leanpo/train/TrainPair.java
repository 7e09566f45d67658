package io.github.leanpo.train;

/**
 * One training unit: a video's frames, a prompt, and a chosen response with an optional rejected one (absent for
 * SFT). Token ids come from the model's tokenizer; responses end with {@code <eos>}.
 *
 * @param id         for logs
 * @param frames     [k, 3, S, S] f32 in [-1, 1] (borrowed, shared by the chosen and rejected rows; not modified)
 * @param frameCount k
 * @param prompt     prompt tokens, ending with {@code <assistant>}
 * @param chosen     the chosen (SFT: target) response tokens, non-empty
 * @param rejected   the rejected response tokens, non-empty, or null for SFT
 * @param refSum     DPO only: the reference model's summed log-prob of {chosen, rejected}, or null
 */
public record TrainPair(String id, float[] frames, int frameCount, int[] prompt, int[] chosen, int[] rejected, float[] refSum) {
    public TrainPair {
        if (frames == null || prompt == null || chosen == null) {
            throw new IllegalArgumentException(id + ": frames, prompt and chosen response are required");
        }
        if (chosen.length == 0 || (rejected != null && rejected.length == 0)) {
            throw new IllegalArgumentException(id + ": a response must have at least one token");
        }
        if (frameCount < 1 || frames.length % frameCount != 0) {
            throw new IllegalArgumentException(id + ": " + frames.length + " frame values do not split into " + frameCount + " frames");
        }
        if (refSum != null && refSum.length != 2) {
            throw new IllegalArgumentException(id + ": refSum holds the chosen and the rejected sum, got " + refSum.length + " values");
        }
    }

    /** An SFT example: the target response only. */
    public static TrainPair sft(String id, float[] frames, int frameCount, int[] prompt, int[] target) {
        return new TrainPair(id, frames, frameCount, prompt, target, null, null);
    }

    /** A preference pair without reference sums. */
    public static TrainPair preference(String id, float[] frames, int frameCount, int[] prompt, int[] chosen, int[] rejected) {
        return new TrainPair(id, frames, frameCount, prompt, chosen, rejected, null);
    }

    /** This pair with DPO reference sums. */
    public TrainPair withRefSum(float chosenSum, float rejectedSum) {
        return new TrainPair(id, frames, frameCount, prompt, chosen, rejected, new float[] {chosenSum, rejectedSum});
    }

    public boolean hasRejected() {
        return rejected != null;
    }
}
