package io.github.leanpo.pipeline;

import java.util.Objects;

/**
 * One turn of a conversation with the policy. The frames of a request are not part of a message: a backend
 * attaches them to the first user message (before its text), the way video chat models are prompted.
 *
 * @param role who speaks
 * @param text what is said
 */
public record ChatMessage(Role role, String text) {
    public enum Role {
        SYSTEM, USER, ASSISTANT;

        /** The OpenAI wire name: system, user, assistant. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
    }

    public static ChatMessage user(String text) {
        return new ChatMessage(Role.USER, text);
    }

    public static ChatMessage assistant(String text) {
        return new ChatMessage(Role.ASSISTANT, text);
    }

    public static ChatMessage system(String text) {
        return new ChatMessage(Role.SYSTEM, text);
    }
}
