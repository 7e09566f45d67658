package io.github.leanpo.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.imageio.ImageIO;

/**
 * A local server on 127.0.0.1 speaking the part of vLLM's OpenAI-compatible protocol leanpo uses:
 * {@code GET /v1/models}, {@code POST /v1/chat/completions} (generation, and scoring through
 * {@code prompt_logprobs} with {@code continue_final_message}) and {@code POST /tokenize} (chat form), with vLLM's
 * error shape. Replies are deterministic functions of the request. Faults can be queued per path: an HTTP status,
 * a delay (to trip the client's timeout), malformed JSON, or a dropped connection.
 */
final class FakeVllmServer implements AutoCloseable {
    static final String CHAT = "/v1/chat/completions";
    static final String TOKENIZE = "/tokenize";
    static final String MODELS = "/v1/models";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One queued fault; consumed by the next request to its path. */
    record Fault(int status, long delayMs, boolean malformed, boolean drop) {
        static Fault httpStatus(int code) {
            return new Fault(code, 0, false, false);
        }

        static Fault delayFor(long ms) {
            return new Fault(0, ms, false, false);
        }

        static Fault malformedJson() {
            return new Fault(0, 0, true, false);
        }

        static Fault dropConnection() {
            return new Fault(0, 0, false, true);
        }
    }

    /** What a chat request looked like, for assertions. */
    record ChatRequest(JsonNode body, int images, List<int[]> imageSizes, boolean scoring) {}

    private final HttpServer server;
    private final ExecutorService pool;
    private final String model;
    private final Map<String, ConcurrentLinkedDeque<Fault>> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<ChatRequest> chats = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile long latencyMs;
    private volatile String lastAuthorization;
    private volatile boolean rewriteFinalMessage;
    private volatile Function<ChatRequest, String> replies = FakeVllmServer::defaultReply;

    FakeVllmServer(String model) throws IOException {
        this.model = model;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-vllm");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void fail(String path, Fault... fs) {
        faults.computeIfAbsent(path, k -> new ConcurrentLinkedDeque<>()).addAll(List.of(fs));
    }

    int count(String path) {
        AtomicInteger c = counts.get(path);
        return c == null ? 0 : c.get();
    }

    List<ChatRequest> chats() {
        synchronized (chats) {
            return List.copyOf(chats);
        }
    }

    /** The Authorization header of the latest request, or null. */
    String lastAuthorization() {
        return lastAuthorization;
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    /** Added to every chat request, to make runs slow enough to kill or to overlap. */
    void latency(long ms) {
        latencyMs = ms;
    }

    /** Makes the engine see a different final message than /tokenize (a template that rewrites it). */
    void rewriteFinalMessage(boolean on) {
        rewriteFinalMessage = on;
    }

    void replies(Function<ChatRequest, String> f) {
        replies = f;
    }

    /** The default generation: a deterministic function of the prompt, the number of images and the sampling. */
    static String defaultReply(ChatRequest r) {
        JsonNode body = r.body();
        JsonNode msgs = body.get("messages");
        String lastText = textOf(msgs.get(msgs.size() - 1));
        String hash = Integer.toHexString(lastText.hashCode());
        if (body.path("temperature").asDouble() == 0) {
            return "A careful answer about " + r.images() + " frames, " + hash + ".";
        }
        return "A quick guess (seed " + body.path("seed").asLong(-1) + ") about " + r.images() + " frames, " + hash + ".";
    }

    static String textOf(JsonNode message) {
        JsonNode c = message.get("content");
        if (c.isTextual()) {
            return c.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode p : c) {
            if (p.path("type").asText().equals("text")) {
                sb.append(p.path("text").asText());
            }
        }
        return sb.toString();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        counts.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
        lastAuthorization = ex.getRequestHeaders().getFirst("Authorization");
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            byte[] req = ex.getRequestBody().readAllBytes();
            ConcurrentLinkedDeque<Fault> q = faults.get(path);
            Fault f = q == null ? null : q.poll();
            if (f != null) {
                if (f.drop()) {
                    ex.close(); // no status line: the client sees the connection closed
                    return;
                }
                if (f.delayMs() > 0) {
                    sleep(f.delayMs());
                } else if (f.malformed()) {
                    send(ex, 200, "{\"id\": \"chatcmpl-1\", \"choices\": [ {\"index\": 0, \"mess");
                    return;
                } else {
                    send(ex, f.status(), error(f.status(), f.status() >= 500 ? "Internal Server Error" : "injected client error"));
                    return;
                }
            }
            switch (path) {
                case MODELS -> send(ex, 200, "{\"object\": \"list\", \"data\": [{\"id\": \"" + model + "\", \"object\": \"model\"}]}");
                case CHAT -> chat(ex, req);
                case TOKENIZE -> tokenize(ex, req);
                default -> send(ex, 404, error(404, "Not Found"));
            }
        } catch (IOException e) {
            // the client went away (timeout or a killed process): nothing to answer
        } finally {
            inFlight.decrementAndGet();
            ex.close();
        }
    }

    private void chat(HttpExchange ex, byte[] req) throws IOException {
        JsonNode body;
        try {
            body = MAPPER.readTree(req);
        } catch (IOException e) {
            send(ex, 400, error(400, "invalid JSON body"));
            return;
        }
        if (!model.equals(body.path("model").asText())) {
            send(ex, 404, error(404, "The model `" + body.path("model").asText() + "` does not exist."));
            return;
        }
        JsonNode msgs = body.get("messages");
        int images = 0;
        List<int[]> sizes = new ArrayList<>();
        for (JsonNode m : msgs) {
            if (m.get("content").isArray()) {
                for (JsonNode p : m.get("content")) {
                    if (!p.path("type").asText().equals("image_url")) {
                        continue;
                    }
                    String url = p.path("image_url").path("url").asText();
                    String prefix = "data:image/jpeg;base64,";
                    BufferedImage im = null;
                    if (url.startsWith(prefix)) {
                        im = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(url.substring(prefix.length()))));
                    }
                    if (im == null) {
                        send(ex, 400, error(400, "image " + images + " is not a base64 JPEG data URI"));
                        return;
                    }
                    sizes.add(new int[] {im.getWidth(), im.getHeight()});
                    images++;
                }
            }
        }
        boolean scoring = body.has("prompt_logprobs");
        ChatRequest cr = new ChatRequest(body, images, sizes, scoring);
        chats.add(cr);
        if (latencyMs > 0) {
            sleep(latencyMs);
        }
        ObjectNode out = MAPPER.createObjectNode();
        out.put("id", "chatcmpl-" + Integer.toHexString(body.hashCode()));
        out.put("object", "chat.completion");
        out.put("model", model);
        ArrayNode choices = out.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        if (scoring) {
            String prompt;
            try {
                JsonNode m = msgs;
                if (rewriteFinalMessage) {
                    m = msgs.deepCopy();
                    ObjectNode last = (ObjectNode) m.get(m.size() - 1);
                    last.put("content", last.get("content").asText().toUpperCase());
                }
                prompt = FakeTokenizer.render(m, body.path("add_generation_prompt").asBoolean(true),
                        body.path("continue_final_message").asBoolean(false), true);
            } catch (IllegalArgumentException e) {
                send(ex, 400, error(400, e.getMessage()));
                return;
            }
            List<Integer> ids = FakeTokenizer.encode(prompt);
            List<String> pieces = FakeTokenizer.pieces(prompt);
            ArrayNode pl = out.putArray("prompt_logprobs");
            pl.addNull();
            for (int i = 1; i < ids.size(); i++) {
                ObjectNode e = pl.addObject();
                int id = ids.get(i);
                ObjectNode lp = e.putObject(Integer.toString(id));
                lp.put("logprob", FakeTokenizer.logprob(id));
                lp.put("rank", 1);
                lp.put("decoded_token", pieces.get(i));
                if (id % 2 == 0) { // a second, higher-ranked alternative, as prompt_logprobs=1 gives when the token is not the top one
                    ObjectNode alt = e.putObject(Integer.toString(7));
                    alt.put("logprob", -0.01);
                    alt.put("rank", 1);
                    lp.put("rank", 2);
                }
            }
            choice.putObject("message").put("role", "assistant").put("content", ".");
            choice.put("finish_reason", "length");
        } else {
            choice.putObject("message").put("role", "assistant").put("content", replies.apply(cr));
            choice.put("finish_reason", "stop");
        }
        send(ex, 200, MAPPER.writeValueAsString(out));
    }

    private void tokenize(HttpExchange ex, byte[] req) throws IOException {
        JsonNode body;
        try {
            body = MAPPER.readTree(req);
        } catch (IOException e) {
            send(ex, 400, error(400, "invalid JSON body"));
            return;
        }
        String text;
        if (body.has("messages")) {
            try {
                text = FakeTokenizer.render(body.get("messages"), body.path("add_generation_prompt").asBoolean(true),
                        body.path("continue_final_message").asBoolean(false), false);
            } catch (IllegalArgumentException e) {
                send(ex, 400, error(400, e.getMessage()));
                return;
            }
        } else {
            text = body.path("prompt").asText();
        }
        List<Integer> ids = FakeTokenizer.encode(text);
        ObjectNode out = MAPPER.createObjectNode();
        out.put("count", ids.size());
        out.put("max_model_len", 32768);
        ArrayNode t = out.putArray("tokens");
        ids.forEach(t::add);
        send(ex, 200, MAPPER.writeValueAsString(out));
    }

    private static String error(int code, String message) {
        ObjectNode e = MAPPER.createObjectNode();
        e.put("object", "error");
        e.put("message", message);
        e.put("type", code >= 500 ? "InternalServerError" : "BadRequestError");
        e.put("code", code);
        return e.toString();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
