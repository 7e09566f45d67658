package io.github.leanpo.engine;

/**
 * Raw outputs of one engine call. Per sequence (2P, ordered chosen_0, rejected_0, ...): mean and sum
 * token log-prob and response token count. Per pair (P): unnormalised pair loss L, rewards, ε used.
 * {@code loss} = Σ L / N in fp64.
 */
public record EngineResult(double loss, double normalizer, float[] seqMean, float[] seqSum, long[] seqTokens,
                           float[] pairLoss, float[] rewardChosen, float[] rewardRejected, float[] pairEpsilon) {}
