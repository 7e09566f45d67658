package io.github.leanpo.train.demo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.model.InProcessPolicy;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.TinyVideoLM;
import io.github.leanpo.model.TorchRuntime;
import io.github.leanpo.model.WordTokenizer;
import io.github.leanpo.pipeline.PromptTemplates;
import io.github.leanpo.train.TrainConfig;
import io.github.leanpo.train.TrainPair;
import io.github.leanpo.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SFT through leanpo's loss head learns to read the videos: greedy answers to questions about held-out videos are
 * right far more often than chance. Chance, for a model that always answers in the right form but guesses the
 * value, is 1/4 (colour, direction) or 1/3 (shape, count): about 29% overall.
 */
class SftAboveChanceTest {
    @Test
    void heldOutAccuracyIsWellAboveChance(@TempDir Path dir) throws Exception {
        TorchRuntime.init(1);
        Random rnd = new Random(5);
        Path videos = dir.resolve("videos");
        Files.createDirectories(videos);
        List<ShapesWorld.Scene> train = new ArrayList<>();
        List<ShapesWorld.Scene> held = new ArrayList<>();
        for (int i = 0; i < 160; i++) {
            train.add(ShapesWorld.Scene.random(rnd));
        }
        for (int i = 0; i < 30; i++) {
            held.add(ShapesWorld.Scene.random(rnd));
        }
        List<Demo.QA> trainQa = Demo.readSplit(Demo.writeSplit(dir, videos, "train", train));
        List<Demo.QA> heldQa = Demo.readSplit(Demo.writeSplit(dir, videos, "heldout", held));
        PromptTemplates templates = Demo.templates(dir.resolve("templates"));
        WordTokenizer tok = Demo.tokenizer(templates);
        int steps = 250;
        try (TinyVideoLM model = new TinyVideoLM(ModelConfig.tiny(tok.size()), 1);
             Trainer trainer = new Trainer(model, new TrainConfig(LossConfig.sft(), 2e-3, 0.01, 32, 1.0, 20, steps))) {
            Random sft = new Random(6);
            for (int s = 0; s < steps; s++) {
                List<TrainPair> batch = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    batch.add(Demo.sftExample(trainQa.get(sft.nextInt(trainQa.size())), tok, templates, sft));
                }
                trainer.step(batch);
            }
            Demo.Eval e = Demo.evaluate(new InProcessPolicy(model, tok, "test"), trainer, heldQa, templates, new Random(7));
            assertTrue(e.accuracy() >= 0.5, "held-out accuracy " + e.accuracy() + " by question " + e.byQuestion());
            assertTrue(e.rankAccuracy() >= 0.6, "the correct answer should usually outrank a wrong one: " + e.rankAccuracy());
        }
    }
}
