package io.github.leanpo.train;

import io.github.leanpo.loss.LossConfig;

/**
 * How the {@link Trainer} steps.
 *
 * @param loss        the objective (SFT, DPO, LeanPO, SimPO) and its parameters; its normalizer is set by the trainer
 * @param lr          AdamW learning rate (peak)
 * @param weightDecay AdamW decoupled weight decay
 * @param microPairs  pairs per forward/backward micro-batch; a step's pairs are split into micro-batches whose gradients
 *                    add up, each normalised by the step's global pair count (DESIGN.md §1)
 * @param clipNorm    global gradient-norm clip, 0 for none
 * @param warmupSteps linear warm-up steps
 * @param totalSteps  steps of the run: after warm-up the rate decays linearly to 10% at this step; 0 keeps it constant
 */
public record TrainConfig(LossConfig loss, double lr, double weightDecay, int microPairs, double clipNorm, int warmupSteps, int totalSteps) {
    public TrainConfig {
        if (loss == null) {
            throw new IllegalArgumentException("a loss config is required");
        }
        if (!(lr > 0) || !(weightDecay >= 0) || microPairs < 1 || !(clipNorm >= 0) || warmupSteps < 0 || totalSteps < 0) {
            throw new IllegalArgumentException("invalid training config " + this);
        }
    }

    public TrainConfig withLoss(LossConfig l) {
        return new TrainConfig(l, lr, weightDecay, microPairs, clipNorm, warmupSteps, totalSteps);
    }

    public TrainConfig withSchedule(int warmup, int total) {
        return new TrainConfig(loss, lr, weightDecay, microPairs, clipNorm, warmup, total);
    }

    /** The learning rate at (0-based) step {@code step}. */
    public double lrAt(int step) {
        if (warmupSteps > 0 && step < warmupSteps) {
            return lr * (step + 1) / warmupSteps;
        }
        if (totalSteps <= warmupSteps) {
            return lr;
        }
        double t = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
        return lr * (1.0 - 0.9 * t);
    }
}
