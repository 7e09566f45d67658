package io.github.leanpo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.TinyVideoLM;
import io.github.leanpo.model.TorchRuntime;
import io.github.leanpo.model.WordTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save, load, and go on training: the restored model and optimizer continue exactly where the original does. */
class CheckpointTest {
    @BeforeAll
    static void init() {
        TorchRuntime.init(1);
    }

    @Test
    void roundTripRestoresWeightsTokenizerAndOptimizer(@TempDir Path dir) throws Exception {
        WordTokenizer tok = WordTokenizer.fromTexts(List.of("the colour is red", "what colour? blue green"));
        ModelConfig mc = new ModelConfig(tok.size(), 32, 1, 2, 2, 16, 32);
        TrainConfig tc = new TrainConfig(LossConfig.leanpo(), 3e-3, 0.01, 2, 1.0, 0, 0);
        List<TrainPair> batch = pairs(new Random(3), tok.size());
        try (TinyVideoLM model = new TinyVideoLM(mc, 11); Trainer trainer = new Trainer(model, tc)) {
            trainer.step(batch);
            trainer.step(batch);
            Checkpoint.save(dir, model, tok, trainer);
            assertTrue(Files.size(dir.resolve(Checkpoint.MODEL_FILE)) > 4L * 1000);
            assertTrue(Files.exists(dir.resolve(Checkpoint.OPTIMIZER_FILE)));

            Checkpoint.Loaded loaded = Checkpoint.load(dir);
            try (TinyVideoLM copy = loaded.model(); Trainer resumed = new Trainer(copy, tc)) {
                assertEquals(mc, copy.config());
                assertEquals(tok.vocabulary(), loaded.tokenizer().vocabulary());
                assertEquals(2, loaded.steps());
                assertEquals(values(model), values(copy), "weights after load");
                resumed.loadOptimizer(dir.resolve(Checkpoint.OPTIMIZER_FILE), loaded.steps());

                // one more step on each: identical only if the AdamW moments and step counts came back too
                trainer.step(batch);
                resumed.step(batch);
                Map<String, float[]> a = values(model);
                Map<String, float[]> b = values(copy);
                for (String k : a.keySet()) {
                    assertArrayEquals(a.get(k), b.get(k), 1e-6f, "parameter " + k + " after a resumed step");
                }
                try (TinyVideoLM fresh = new TinyVideoLM(mc, 11); Trainer noState = new Trainer(fresh, tc)) {
                    // control: without the optimizer state the same step lands elsewhere
                    Checkpoint.Loaded again = Checkpoint.load(dir);
                    try (TinyVideoLM m2 = again.model(); Trainer t2 = new Trainer(m2, tc)) {
                        t2.step(batch);
                        assertFalse(Arrays.equals(values(m2).get("lm_head_weight"), a.get("lm_head_weight")));
                    }
                }
            }
        }
    }

    @Test
    void loadRejectsAFileThatIsNotACheckpoint(@TempDir Path dir) throws Exception {
        new io.github.leanpo.safetensors.SafetensorsWriter().addF32("x", new long[] {1}, new float[] {1}).write(dir.resolve(Checkpoint.MODEL_FILE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("not a leanpo model checkpoint"), e.getMessage());
    }

    static List<TrainPair> pairs(Random rnd, int vocab) {
        List<TrainPair> out = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            float[] frames = new float[2 * 3 * 16 * 16];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = rnd.nextFloat() * 2 - 1;
            }
            out.add(TrainPair.preference("p" + p, frames, 2, ids(rnd, 4, vocab), ids(rnd, 3, vocab), ids(rnd, 2 + p % 3, vocab)));
        }
        return out;
    }

    private static int[] ids(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 6 + rnd.nextInt(vocab - 6);
        }
        return t;
    }

    private static Map<String, float[]> values(TinyVideoLM model) {
        Map<String, float[]> m = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope()) {
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                float[] a = new float[(int) e.getValue().numel()];
                e.getValue().contiguous().data_ptr_float().get(a);
                m.put(e.getKey(), a);
            }
        }
        return new MapWithArrayEquals(m);
    }

    /** A map whose equals compares the arrays' contents, for a readable assertEquals. */
    private static final class MapWithArrayEquals extends LinkedHashMap<String, float[]> {
        MapWithArrayEquals(Map<String, float[]> m) {
            super(m);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Map<?, ?> other) || !other.keySet().equals(keySet())) {
                return false;
            }
            for (Map.Entry<String, float[]> e : entrySet()) {
                if (!(other.get(e.getKey()) instanceof float[] f) || !Arrays.equals(f, e.getValue())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return keySet().hashCode();
        }
    }
}
