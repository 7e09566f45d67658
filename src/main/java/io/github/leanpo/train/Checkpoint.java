package io.github.leanpo.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.model.ModelConfig;
import io.github.leanpo.model.TinyVideoLM;
import io.github.leanpo.model.WordTokenizer;
import io.github.leanpo.safetensors.SafetensorsFile;
import io.github.leanpo.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * A model checkpoint: a directory holding {@code model.safetensors} (every parameter, f32, under its module name, so
 * it reads in Python too; the model shape, the tokenizer's vocabulary and the step count in the metadata) and, when
 * saved from a trainer, {@code optimizer.pt} (libtorch's archive of the AdamW state). Files are written atomically.
 */
public final class Checkpoint {
    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.pt";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What {@link #load} returns. The caller owns the model (close it).
     *
     * @param model     the model with the saved weights
     * @param tokenizer its vocabulary
     * @param steps     optimizer steps taken when it was saved
     */
    public record Loaded(TinyVideoLM model, WordTokenizer tokenizer, int steps) {}

    private Checkpoint() {}

    /** Saves the model and tokenizer (and the trainer's optimizer state when {@code trainer} is not null) into {@code dir}. */
    public static void save(Path dir, TinyVideoLM model, WordTokenizer tokenizer, Trainer trainer) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            Tensor t = e.getValue();
            float[] data = new float[(int) t.numel()];
            try (PointerScope scope = new PointerScope()) {
                t.contiguous().data_ptr_float().get(data);
            }
            w.addF32(e.getKey(), t.shape(), data);
        }
        w.metadata("leanpo.model_config", JSON.writeValueAsString(model.config().toMap()));
        w.metadata("leanpo.vocabulary", JSON.writeValueAsString(tokenizer.vocabulary()));
        w.metadata("leanpo.steps", Integer.toString(trainer != null ? trainer.steps() : 0));
        w.write(dir.resolve(MODEL_FILE));
        if (trainer != null) {
            trainer.saveOptimizer(dir.resolve(OPTIMIZER_FILE));
        }
    }

    /**
     * Loads a checkpoint's model and tokenizer (the optimizer state goes to a trainer through
     * {@link Trainer#loadOptimizer}).
     *
     * @throws IllegalArgumentException when the file lacks a parameter of the model, has one it does not know, or a
     *                                  shape differs
     */
    public static Loaded load(Path dir) throws IOException {
        Path file = dir.resolve(MODEL_FILE);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            String cfg = meta.get("leanpo.model_config");
            String vocab = meta.get("leanpo.vocabulary");
            if (cfg == null || vocab == null) {
                throw new IllegalArgumentException(file + " is not a leanpo model checkpoint (no model config or vocabulary in its metadata)");
            }
            ModelConfig mc = ModelConfig.fromMap(JSON.readValue(cfg, new TypeReference<Map<String, Object>>() {}));
            WordTokenizer tok = WordTokenizer.fromVocabulary(JSON.readValue(vocab, new TypeReference<List<String>>() {}));
            int steps = Integer.parseInt(meta.getOrDefault("leanpo.steps", "0"));
            TinyVideoLM model = new TinyVideoLM(mc, 0);
            try {
                Map<String, Tensor> params = model.namedParameters();
                if (!f.tensors().keySet().equals(new java.util.HashSet<>(params.keySet()))) {
                    throw new IllegalArgumentException(file + " holds parameters " + new java.util.TreeSet<>(f.tensors().keySet())
                            + " but the model has " + new java.util.TreeSet<>(params.keySet()));
                }
                for (Map.Entry<String, Tensor> e : params.entrySet()) {
                    long[] want = e.getValue().shape();
                    long[] got = f.info(e.getKey()).shape();
                    if (!Arrays.equals(want, got)) {
                        throw new IllegalArgumentException(file + ": parameter " + e.getKey() + " has shape " + Arrays.toString(got)
                                + ", the model needs " + Arrays.toString(want));
                    }
                    float[] data = f.readF32(e.getKey());
                    try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                        e.getValue().copy_(Tensor.create(data, want));
                    }
                }
            } catch (RuntimeException | IOException ex) {
                model.close();
                throw ex;
            }
            return new Loaded(model, tok, steps);
        }
    }

    /** Metadata for reports: the parameter count of a model. */
    public static Map<String, Object> describe(TinyVideoLM model) {
        long n = 0;
        for (Tensor t : model.namedParameters().values()) {
            n += t.numel();
        }
        Map<String, Object> m = new LinkedHashMap<>(model.config().toMap());
        m.put("parameters", n);
        return m;
    }
}
