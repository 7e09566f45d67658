package io.github.leanpo.pipeline;

/**
 * How pairs are generated.
 *
 * @param frames              K, frames of the original view (winner and scoring)
 * @param loserFrames         frames of the loser's degraded view, 1..K, spread uniformly over the K
 * @param reflections         R, self-reflection rounds of the winner (0 = none)
 * @param keep                which pairs are kept
 * @param maxExtraReflections the bound on extra rounds under {@link KeepPolicy#REFLECT_UNTIL_ORDERED}
 * @param maxTokens           the most tokens of one generated answer
 * @param loserTemperature    the loser's sampling temperature (greedy for the winner)
 * @param loserTopP           the loser's nucleus mass
 * @param runSeed             the run seed; each sample's seeds derive from it and the sample id
 */
public record PairConfig(int frames, int loserFrames, int reflections, KeepPolicy keep, int maxExtraReflections, int maxTokens,
                         double loserTemperature, double loserTopP, long runSeed) {
    public PairConfig {
        if (frames < 1) {
            throw new IllegalArgumentException("frames must be at least 1, got " + frames);
        }
        if (loserFrames < 1 || loserFrames > frames) {
            throw new IllegalArgumentException("loser frames must be in [1, frames=" + frames + "], got " + loserFrames);
        }
        if (reflections < 0 || reflections > 16) {
            throw new IllegalArgumentException("reflections must be in [0, 16], got " + reflections);
        }
        if (keep == null) {
            throw new IllegalArgumentException("a keep policy is required");
        }
        if (maxExtraReflections < 0 || maxExtraReflections > 16) {
            throw new IllegalArgumentException("extra reflections must be in [0, 16], got " + maxExtraReflections);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens must be at least 1, got " + maxTokens);
        }
        if (!(loserTemperature > 0 && loserTemperature <= 5)) {
            throw new IllegalArgumentException("the loser's temperature must be in (0, 5], got " + loserTemperature);
        }
        if (!(loserTopP > 0 && loserTopP <= 1)) {
            throw new IllegalArgumentException("the loser's top-p must be in (0, 1], got " + loserTopP);
        }
    }

    /** The defaults of DESIGN.md §5: K = 8, 2 loser frames, R = 1, keep-all (bound 2), 512 tokens, loser at T = 1, seed 0. */
    public static PairConfig defaults() {
        return new PairConfig(8, 2, 1, KeepPolicy.KEEP_ALL, 2, 512, 1.0, 1.0, 0);
    }

    public PairConfig withFrames(int k, int loser) {
        return new PairConfig(k, loser, reflections, keep, maxExtraReflections, maxTokens, loserTemperature, loserTopP, runSeed);
    }

    public PairConfig withReflections(int r) {
        return new PairConfig(frames, loserFrames, r, keep, maxExtraReflections, maxTokens, loserTemperature, loserTopP, runSeed);
    }

    public PairConfig withKeep(KeepPolicy policy, int maxExtra) {
        return new PairConfig(frames, loserFrames, reflections, policy, maxExtra, maxTokens, loserTemperature, loserTopP, runSeed);
    }

    public PairConfig withMaxTokens(int n) {
        return new PairConfig(frames, loserFrames, reflections, keep, maxExtraReflections, n, loserTemperature, loserTopP, runSeed);
    }

    public PairConfig withLoserSampling(double temperature, double topP) {
        return new PairConfig(frames, loserFrames, reflections, keep, maxExtraReflections, maxTokens, temperature, topP, runSeed);
    }

    public PairConfig withSeed(long seed) {
        return new PairConfig(frames, loserFrames, reflections, keep, maxExtraReflections, maxTokens, loserTemperature, loserTopP, seed);
    }
}
