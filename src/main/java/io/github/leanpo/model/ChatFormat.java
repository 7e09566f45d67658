package io.github.leanpo.model;

import io.github.leanpo.pipeline.ChatMessage;
import java.util.Arrays;
import java.util.List;

/**
 * How a conversation becomes the model's text tokens: each message is its role token ({@code <system>},
 * {@code <user>}, {@code <assistant>}) followed by its words, an assistant message ends with {@code <eos>}, and a
 * prompt ends with the {@code <assistant>} token that opens the reply. The video's visual tokens come before all
 * of it (the frames go with the first user message, which in practice opens the conversation).
 */
public final class ChatFormat {
    private ChatFormat() {}

    /** The prompt tokens of {@code messages}, ending with {@code <assistant>}. */
    public static int[] prompt(WordTokenizer tok, List<ChatMessage> messages) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a prompt needs at least one message");
        }
        int[] out = new int[0];
        for (ChatMessage m : messages) {
            int role = switch (m.role()) {
                case SYSTEM -> WordTokenizer.SYSTEM;
                case USER -> WordTokenizer.USER;
                case ASSISTANT -> WordTokenizer.ASSISTANT;
            };
            int[] words = tok.encode(m.text());
            boolean eos = m.role() == ChatMessage.Role.ASSISTANT;
            int[] next = Arrays.copyOf(out, out.length + 1 + words.length + (eos ? 1 : 0));
            next[out.length] = role;
            System.arraycopy(words, 0, next, out.length + 1, words.length);
            if (eos) {
                next[next.length - 1] = WordTokenizer.EOS;
            }
            out = next;
        }
        int[] withReply = Arrays.copyOf(out, out.length + 1);
        withReply[out.length] = WordTokenizer.ASSISTANT;
        return withReply;
    }

    /** The prompt of a single user turn. */
    public static int[] prompt(WordTokenizer tok, String userText) {
        return prompt(tok, List.of(ChatMessage.user(userText)));
    }

    /** The reply tokens of {@code text}, with {@code <eos>} appended when {@code eos} (training targets). */
    public static int[] response(WordTokenizer tok, String text, boolean eos) {
        int[] w = tok.encode(text);
        if (!eos) {
            return w;
        }
        int[] out = Arrays.copyOf(w, w.length + 1);
        out[w.length] = WordTokenizer.EOS;
        return out;
    }
}
