package io.github.leanpo.pipeline;

/**
 * How a response is generated.
 *
 * @param temperature 0 for greedy decoding, otherwise the softmax temperature (at most 5)
 * @param topP        nucleus mass in (0, 1]
 * @param maxTokens   the most tokens to generate (at least 1)
 * @param seed        the sampling seed, so a sampled response is reproducible; null for none
 */
public record SamplingParams(double temperature, double topP, int maxTokens, Long seed) {
    public SamplingParams {
        if (!(temperature >= 0 && temperature <= 5)) {
            throw new IllegalArgumentException("temperature must be in [0, 5], got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens must be at least 1, got " + maxTokens);
        }
    }

    /** Greedy decoding (temperature 0). */
    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 1, maxTokens, null);
    }

    /** Sampling at {@code temperature} with a seed. */
    public static SamplingParams sampled(double temperature, double topP, int maxTokens, long seed) {
        return new SamplingParams(temperature, topP, maxTokens, seed);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
