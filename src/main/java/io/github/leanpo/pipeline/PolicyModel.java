package io.github.leanpo.pipeline;

import java.util.List;

/**
 * The policy as the pipeline needs it: generate a response, and score a given response token by token. Two kinds
 * plug in: {@link OpenAiClient} for an OpenAI-compatible server (vLLM), and any in-process model (the demo's
 * libtorch model) implementing this interface directly.
 *
 * <p>Frames go with the first user message of {@code messages} (before its text). Implementations are called
 * from several pipeline workers at once when the run's concurrency is above 1; one that cannot run requests in
 * parallel serialises them itself (e.g. {@code synchronized} methods).
 */
public interface PolicyModel extends AutoCloseable {

    /**
     * Generates the assistant's reply to {@code messages} with the video {@code frames}.
     *
     * @param frames   the video frames (borrowed; not modified)
     * @param messages the conversation so far, ending with a user message
     * @param params   temperature, top-p, token limit and seed
     * @return the reply text
     * @throws ModelException when the model cannot answer
     */
    String generate(Frames frames, List<ChatMessage> messages, SamplingParams params) throws ModelException;

    /**
     * The log-probability of each token of {@code response} as the assistant's reply to {@code prompt} with the video
     * {@code frames} (teacher forcing: the response is given, not generated).
     *
     * @param frames   the video frames (borrowed; not modified)
     * @param prompt   the conversation before the reply, ending with a user message
     * @param response the reply to score (non-empty)
     * @throws ModelException when the model cannot score it
     */
    TokenLogprobs score(Frames frames, List<ChatMessage> prompt, String response) throws ModelException;

    /** A short description for logs and outputs (e.g. the served model name). */
    String name();

    /** Releases what the model holds; idempotent. The default holds nothing. */
    @Override
    default void close() {}
}
