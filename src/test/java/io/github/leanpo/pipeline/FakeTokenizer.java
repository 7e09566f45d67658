package io.github.leanpo.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tokenizer and chat template of the fake vLLM server: ChatML-like turns, word/space/punctuation tokens with
 * stable ids, and {@value #IMAGE_TOKENS} placeholder tokens per image, which only the engine sees (as vLLM expands
 * images after tokenization), so prompt log-probs are longer than /tokenize's output, as on a real server.
 */
final class FakeTokenizer {
    static final int IM_START = 1;
    static final int IM_END = 2;
    static final int IMAGE = 3;
    static final int IMAGE_TOKENS = 3;
    private static final Pattern TOKEN = Pattern.compile("<\\|im_start\\|>|<\\|im_end\\|>|<image>|[A-Za-z0-9]+|\\s+|[^A-Za-z0-9\\s]");

    private FakeTokenizer() {}

    static List<Integer> encode(String text) {
        List<Integer> ids = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            ids.add(id(m.group()));
        }
        return ids;
    }

    static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    static int id(String piece) {
        return switch (piece) {
            case "<|im_start|>" -> IM_START;
            case "<|im_end|>" -> IM_END;
            case "<image>" -> IMAGE;
            default -> 100 + Math.floorMod(piece.hashCode(), 50_000);
        };
    }

    /** The fake model's log-prob of a token: a fixed function of its id, in [-3.7, -0.1]. */
    static double logprob(int id) {
        return -((id % 37) + 1) / 10.0;
    }

    /**
     * Renders an OpenAI messages array. Image parts become {@code <image>} tokens only when {@code withImages}.
     *
     * @throws IllegalArgumentException as vLLM answers 400: continue_final_message with a generation prompt, or without a final assistant message
     */
    static String render(JsonNode messages, boolean addGenerationPrompt, boolean continueFinal, boolean withImages) {
        if (addGenerationPrompt && continueFinal) {
            throw new IllegalArgumentException("Cannot set both `continue_final_message` and `add_generation_prompt` to True.");
        }
        StringBuilder sb = new StringBuilder();
        int n = messages.size();
        if (continueFinal && (n == 0 || !messages.get(n - 1).path("role").asText().equals("assistant"))) {
            throw new IllegalArgumentException("continue_final_message needs a final assistant message");
        }
        for (int i = 0; i < n; i++) {
            JsonNode m = messages.get(i);
            sb.append("<|im_start|>").append(m.path("role").asText()).append('\n');
            JsonNode content = m.get("content");
            if (content.isTextual()) {
                sb.append(content.asText());
            } else {
                for (JsonNode part : content) {
                    if (part.path("type").asText().equals("image_url")) {
                        if (withImages) {
                            sb.append("<image>".repeat(IMAGE_TOKENS));
                        }
                    } else {
                        sb.append(part.path("text").asText());
                    }
                }
            }
            if (!(continueFinal && i == n - 1)) {
                sb.append("<|im_end|>\n");
            }
        }
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n");
        }
        return sb.toString();
    }
}
