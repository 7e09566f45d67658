package io.github.leanpo.oracle;

/**
 * Output of {@link Oracle#compute}. S = 2P sequences, P pairs, T rows, V vocabulary entries.
 *
 * @param loss           sum over pairs of {@code pairLoss} divided by N
 * @param gradLogits     dLoss/dlogits, T*V, row-major; rows outside R_s (ignored or outside every sequence) are 0
 * @param seqMean        mean_s per sequence [S] (0 for an empty sequence)
 * @param seqSum         sum_s per sequence [S] (0 for an empty sequence)
 * @param seqTokens      n_s per sequence [S]
 * @param pairLoss       un-normalised per-pair loss L_p [P] (loss = sum(pairLoss) / N)
 * @param rewardChosen   reward of the chosen sequence of each pair [P]
 * @param rewardRejected reward of the rejected sequence of each pair [P]
 * @param epsilon        smoothing epsilon actually applied to each pair [P]
 * @param dLogp          dLoss/dlogp_t per row [T] (0 for rows that take no part)
 */
public record OracleResult(double loss, double[] gradLogits, double[] seqMean, double[] seqSum,
                           long[] seqTokens, double[] pairLoss, double[] rewardChosen, double[] rewardRejected,
                           double[] epsilon, double[] dLogp) {
}
