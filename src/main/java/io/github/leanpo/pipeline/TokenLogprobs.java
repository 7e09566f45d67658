package io.github.leanpo.pipeline;

import java.util.Arrays;

/**
 * The policy's log-probability of each token of a response, given the video and the prompt before it: entry t is
 * log p(y_t | video, prompt, y_&lt;t). Only response tokens; the end-of-turn token is not included.
 *
 * @param tokenIds the response's token ids (same length as {@code logprobs}; empty when a backend has none)
 * @param logprobs natural-log probabilities, each ≤ 0 and not NaN; at least one
 */
public record TokenLogprobs(int[] tokenIds, double[] logprobs) {
    public TokenLogprobs {
        if (logprobs.length == 0) {
            throw new IllegalArgumentException("a scored response needs at least one token");
        }
        if (tokenIds.length != 0 && tokenIds.length != logprobs.length) {
            throw new IllegalArgumentException(tokenIds.length + " token ids but " + logprobs.length + " log-probs");
        }
        for (int t = 0; t < logprobs.length; t++) {
            if (Double.isNaN(logprobs[t]) || logprobs[t] > 1e-6) {
                throw new IllegalArgumentException("log-prob of response token " + t + " is " + logprobs[t] + " (must be <= 0)");
            }
        }
        tokenIds = tokenIds.clone();
        logprobs = logprobs.clone();
    }

    public int tokens() {
        return logprobs.length;
    }

    /** The mean token log-prob, LeanPO's length-normalised likelihood (DESIGN.md §1: mean_s). */
    public double mean() {
        return sum() / logprobs.length;
    }

    public double sum() {
        double s = 0;
        for (double v : logprobs) {
            s += v;
        }
        return s;
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public double[] logprobs() {
        return logprobs.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenLogprobs t && Arrays.equals(tokenIds, t.tokenIds) && Arrays.equals(logprobs, t.logprobs);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokenIds) + Arrays.hashCode(logprobs);
    }

    @Override
    public String toString() {
        return "TokenLogprobs[" + logprobs.length + " tokens, mean " + mean() + "]";
    }
}
