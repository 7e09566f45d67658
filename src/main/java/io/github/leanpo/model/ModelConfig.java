package io.github.leanpo.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a {@link TinyVideoLM}.
 *
 * @param vocab     V, the tokenizer's vocabulary size
 * @param hidden    d, the width of the transformer and of the LM head's rows
 * @param layers    transformer blocks
 * @param heads     attention heads (d must be a multiple)
 * @param maxFrames the most frames one sequence may carry (each gives {@code grid²} visual tokens)
 * @param imageSize S: frames are S×S RGB (a multiple of 8; the encoder halves it three times)
 * @param maxText   the most text tokens of one sequence (prompt and response together)
 */
public record ModelConfig(int vocab, int hidden, int layers, int heads, int maxFrames, int imageSize, int maxText) {
    public ModelConfig {
        if (vocab < 7 || hidden < 8 || layers < 1 || heads < 1 || maxFrames < 1 || maxText < 2) {
            throw new IllegalArgumentException("invalid model shape " + this);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of the " + heads + " heads");
        }
        if (imageSize < 8 || imageSize % 8 != 0) {
            throw new IllegalArgumentException("the image size must be a positive multiple of 8, got " + imageSize);
        }
    }

    /** The demo's default: d = 64, 2 blocks of 4 heads, up to 4 frames of 32×32, 256 text tokens. */
    public static ModelConfig tiny(int vocab) {
        return new ModelConfig(vocab, 64, 2, 4, 4, 32, 256);
    }

    /** Visual tokens per frame: the encoder's output grid, (S/8)². */
    public int tokensPerFrame() {
        int g = imageSize / 8;
        return g * g;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab", vocab);
        m.put("hidden", hidden);
        m.put("layers", layers);
        m.put("heads", heads);
        m.put("max_frames", maxFrames);
        m.put("image_size", imageSize);
        m.put("max_text", maxText);
        return m;
    }

    public static ModelConfig fromMap(Map<String, ?> m) {
        return new ModelConfig(num(m, "vocab"), num(m, "hidden"), num(m, "layers"), num(m, "heads"), num(m, "max_frames"),
                num(m, "image_size"), num(m, "max_text"));
    }

    private static int num(Map<String, ?> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("model config field \"" + k + "\" is missing or not a number");
        }
        return n.intValue();
    }
}
