package io.github.leanpo.train.demo;

import java.nio.file.Path;

/**
 * The demo's sizes. {@link #defaults} is the README's run (a few minutes on two cores); {@link #quick} is the
 * same pipeline at toy scale, for tests.
 *
 * @param out           where data, checkpoints, metrics, the report and the plot go
 * @param trainVideos   training videos (four questions each)
 * @param heldoutVideos held-out videos, never trained on
 * @param pairSamples   training questions turned into preference pairs by the pipeline
 * @param sftSteps      SFT optimizer steps
 * @param sftBatch      SFT examples per step
 * @param sftLr         SFT peak learning rate
 * @param prefEpochs    passes over the pairs for each preference variant
 * @param prefBatch     pairs per preference step
 * @param microPairs    pairs per micro-batch of a preference step (gradient accumulation when below prefBatch)
 * @param prefLr        preference learning rate (the same for every variant)
 * @param seed          everything derives from it
 */
public record DemoConfig(Path out, int trainVideos, int heldoutVideos, int pairSamples, int sftSteps, int sftBatch, double sftLr,
                         int prefEpochs, int prefBatch, int microPairs, double prefLr, long seed) {
    public DemoConfig {
        if (trainVideos < 1 || heldoutVideos < 1 || pairSamples < 2 || sftSteps < 1 || sftBatch < 1 || prefEpochs < 1 || prefBatch < 1
                || microPairs < 1 || !(sftLr > 0) || !(prefLr > 0)) {
            throw new IllegalArgumentException("invalid demo configuration " + this);
        }
        if (pairSamples > 4 * trainVideos) {
            throw new IllegalArgumentException("pair samples (" + pairSamples + ") cannot exceed the " + 4 * trainVideos + " training questions");
        }
    }

    public static DemoConfig defaults(Path out) {
        return new DemoConfig(out, 320, 60, 256, 600, 32, 2e-3, 3, 16, 8, 2e-4, 7);
    }

    public static DemoConfig quick(Path out) {
        return new DemoConfig(out, 24, 8, 12, 30, 16, 2e-3, 1, 6, 3, 2e-4, 7);
    }

    public DemoConfig withPrefLr(double lr) {
        return new DemoConfig(out, trainVideos, heldoutVideos, pairSamples, sftSteps, sftBatch, sftLr, prefEpochs, prefBatch, microPairs,
                lr, seed);
    }

    public DemoConfig withSeed(long s) {
        return new DemoConfig(out, trainVideos, heldoutVideos, pairSamples, sftSteps, sftBatch, sftLr, prefEpochs, prefBatch, microPairs,
                prefLr, s);
    }
}
