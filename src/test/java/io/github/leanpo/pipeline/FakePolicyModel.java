package io.github.leanpo.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small deterministic in-process policy for the generator tests, the way the demo's model plugs in. It works
 * with {@link #templates}: the winner turn answers "[w0] HINT", each reflection round "[wN+1] HINT", the loser
 * "[l] guess SEED". Scores: every token of a response gets {@code scoreOf(response)}. Every call is recorded.
 */
final class FakePolicyModel implements PolicyModel {
    record Call(String kind, Frames frames, List<ChatMessage> messages, SamplingParams params, String response) {}

    private static final Pattern ROUND = Pattern.compile("PREVIOUS \\[w(\\d+)\\] ");
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private volatile ToDoubleFunction<String> scoreOf = r -> r.startsWith("[w") ? -0.5 : -1.5;
    private volatile String failOn;
    private volatile boolean closed;

    /** Templates whose wording the fake recognises. */
    static PromptTemplates templates(Path dir) throws Exception {
        Files.writeString(dir.resolve("prompt.txt"), "PROMPT {question}");
        Files.writeString(dir.resolve("winner.txt"), "WINNER {question} HINT {answer}");
        Files.writeString(dir.resolve("reflect.txt"), "REFLECT {question} HINT {answer} PREVIOUS {previous}");
        Files.writeString(dir.resolve("loser.txt"), "LOSER {question}");
        return PromptTemplates.load(dir);
    }

    void scoreOf(ToDoubleFunction<String> f) {
        scoreOf = f;
    }

    /** Makes every generate call whose prompt starts with {@code kind} (WINNER, REFLECT, LOSER) throw. */
    void failOn(String kind) {
        failOn = kind;
    }

    List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    List<Call> calls(String kind) {
        return calls().stream().filter(c -> c.kind().equals(kind)).toList();
    }

    boolean closed() {
        return closed;
    }

    @Override
    public String generate(Frames frames, List<ChatMessage> messages, SamplingParams params) throws ModelException {
        String text = messages.get(messages.size() - 1).text();
        String kind = text.substring(0, text.indexOf(' '));
        if (kind.equals(failOn)) {
            throw new ModelException("fake failure at " + kind);
        }
        String hint = text.contains(" HINT ") ? after(text, " HINT ") : "";
        String reply = switch (kind) {
            case "WINNER" -> "[w0] " + hint;
            case "REFLECT" -> {
                Matcher m = ROUND.matcher(text);
                int round = m.find() ? Integer.parseInt(m.group(1)) : -100;
                yield "[w" + (round + 1) + "] " + hint;
            }
            case "LOSER" -> "[l] guess " + params.seed();
            default -> throw new ModelException("unknown prompt: " + text);
        };
        calls.add(new Call(kind, frames, List.copyOf(messages), params, reply));
        return "  " + reply + "\n"; // surrounding whitespace, which the generator strips
    }

    @Override
    public TokenLogprobs score(Frames frames, List<ChatMessage> prompt, String response) {
        calls.add(new Call("SCORE", frames, List.copyOf(prompt), null, response));
        int n = response.split("\\s+").length;
        double[] lp = new double[n];
        java.util.Arrays.fill(lp, scoreOf.applyAsDouble(response));
        return new TokenLogprobs(new int[0], lp);
    }

    @Override
    public String name() {
        return "fake-policy";
    }

    @Override
    public void close() {
        closed = true;
    }

    private static String after(String text, String marker) {
        String rest = text.substring(text.indexOf(marker) + marker.length());
        int cut = rest.indexOf(" PREVIOUS ");
        return cut >= 0 ? rest.substring(0, cut) : rest;
    }
}
