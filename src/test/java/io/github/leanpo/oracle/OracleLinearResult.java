package io.github.leanpo.oracle;

/**
 * Output of {@link Oracle#computeLinear}.
 *
 * @param logitsResult result of {@link Oracle#compute} on the materialised logits {@code h W^T + b}
 * @param gradHidden   dLoss/dh, T*d, row-major
 * @param gradWeight   dLoss/dW, V*d, row-major
 * @param gradBias     dLoss/db, V; {@code null} when no bias was given
 */
public record OracleLinearResult(OracleResult logitsResult, double[] gradHidden, double[] gradWeight,
                                 double[] gradBias) {
}
