package io.github.leanpo.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The policy behind an OpenAI-compatible server, as vLLM serves it ({@code vllm serve MODEL}).
 *
 * <p><b>Generate</b>: {@code POST /v1/chat/completions} with the frames as base64 JPEG {@code image_url} parts of
 * the first user message (the server must accept that many images per prompt, e.g. vLLM's
 * {@code --limit-mm-per-prompt '{"image": 8}'}).
 *
 * <p><b>Score</b>, through vLLM's {@code prompt_logprobs} extension: the conversation is sent with the response as a
 * final assistant message that is continued, not generated ({@code add_generation_prompt=false},
 * {@code continue_final_message=true}, {@code max_tokens=1}, {@code prompt_logprobs=1}), so the server returns the
 * log-prob of every prompt token. The response's tokens are the last ones of that prompt; how many, and which ids,
 * comes from the server's {@code POST /tokenize}: the text conversation is tokenized with the response (continued)
 * and with only the generation prompt, and the response is what follows their common prefix. Each of those ids
 * must be found at its place at the end of {@code prompt_logprobs}, otherwise the score is refused (a chat template
 * that rewrites the response, say, would misalign them). The images only add tokens before the response, which is
 * why the tokenize requests carry text alone.
 *
 * <p>Every request has a timeout; 5xx, 408, 429 and connection errors are retried with exponential backoff and
 * jitter (honouring {@code Retry-After}); other 4xx and malformed JSON are not. At most {@code concurrency}
 * requests are in flight at once, whatever the number of calling threads. Thread-safe.
 */
public final class OpenAiClient implements PolicyModel {
    /** Top log-probs per prompt token; 1 rather than 0 so servers that test the value for truth still return them. */
    static final int PROMPT_LOGPROBS = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * Client settings.
     *
     * @param server         the server's base URL ({@code http://host:8000}; a trailing {@code /v1} is accepted)
     * @param model          the served model name
     * @param connectTimeout time to establish a connection
     * @param requestTimeout time for one whole request (generation included)
     * @param maxRetries     retries after the first attempt (0 = none)
     * @param initialBackoff wait before the first retry; doubles each retry
     * @param maxBackoff     the longest wait between attempts
     * @param concurrency    the most requests in flight at once
     * @param jpegQuality    JPEG quality of the frames sent, in (0, 1]
     * @param apiKey         sent as {@code Authorization: Bearer}; null for none
     */
    public record Config(String server, String model, Duration connectTimeout, Duration requestTimeout, int maxRetries,
                         Duration initialBackoff, Duration maxBackoff, int concurrency, float jpegQuality, String apiKey) {
        public Config {
            rootOf(server);
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("the model name is empty; pass the name the server serves (GET /v1/models)");
            }
            if (connectTimeout.isNegative() || connectTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive, got connect " + connectTimeout + ", request " + requestTimeout);
            }
            if (maxRetries < 0) {
                throw new IllegalArgumentException("retries must be >= 0, got " + maxRetries);
            }
            if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("need 0 <= initial backoff <= max backoff, got " + initialBackoff + ", " + maxBackoff);
            }
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            }
            if (!(jpegQuality > 0 && jpegQuality <= 1)) {
                throw new IllegalArgumentException("JPEG quality must be in (0, 1], got " + jpegQuality);
            }
        }

        /** Defaults: connect 10 s, request 300 s, 4 retries from 0.5 s up to 16 s, 4 in flight, JPEG quality 0.9. */
        public static Config of(String server, String model) {
            return new Config(server, model, Duration.ofSeconds(10), Duration.ofSeconds(300), 4, Duration.ofMillis(500),
                    Duration.ofSeconds(16), 4, 0.9f, null);
        }

        public Config withTimeouts(Duration connect, Duration request) {
            return new Config(server, model, connect, request, maxRetries, initialBackoff, maxBackoff, concurrency, jpegQuality, apiKey);
        }

        public Config withRetries(int retries, Duration initial, Duration max) {
            return new Config(server, model, connectTimeout, requestTimeout, retries, initial, max, concurrency, jpegQuality, apiKey);
        }

        public Config withConcurrency(int n) {
            return new Config(server, model, connectTimeout, requestTimeout, maxRetries, initialBackoff, maxBackoff, n, jpegQuality, apiKey);
        }

        public Config withJpegQuality(float q) {
            return new Config(server, model, connectTimeout, requestTimeout, maxRetries, initialBackoff, maxBackoff, concurrency, q, apiKey);
        }

        public Config withApiKey(String key) {
            return new Config(server, model, connectTimeout, requestTimeout, maxRetries, initialBackoff, maxBackoff, concurrency, jpegQuality, key);
        }
    }

    private final Config config;
    private final String root;
    private final HttpClient http;
    private final Semaphore inFlight;

    public OpenAiClient(Config config) {
        this.config = config;
        this.root = rootOf(config.server());
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // vLLM (uvicorn) speaks HTTP/1.1; skip the h2c upgrade dance
                .connectTimeout(config.connectTimeout())
                .build();
        this.inFlight = new Semaphore(config.concurrency(), true);
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return config.model();
    }

    /**
     * Checks that the server answers and serves this client's model ({@code GET /v1/models}).
     *
     * @throws ModelException naming what the server serves when the model is not among it, or why it cannot be reached
     */
    public void checkModel() throws ModelException {
        JsonNode r = send(HttpRequest.newBuilder(URI.create(root + "/v1/models")).GET(), "GET " + root + "/v1/models");
        JsonNode data = r.path("data");
        if (!data.isArray()) {
            throw new ModelException("malformed reply from GET " + root + "/v1/models: no \"data\" array");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode m : data) {
            ids.add(m.path("id").asText());
        }
        if (!ids.contains(config.model())) {
            throw new ModelException("the server at " + root + " serves " + ids + ", not '" + config.model() + "'; pass one of these as the model");
        }
    }

    @Override
    public String generate(Frames frames, List<ChatMessage> messages, SamplingParams params) throws ModelException {
        checkConversation(messages);
        ObjectNode body = MAPPER.createObjectNode();
        body.put("model", config.model());
        body.set("messages", messages(frames, messages, true));
        body.put("max_tokens", params.maxTokens());
        body.put("temperature", params.temperature());
        body.put("top_p", params.topP());
        if (params.seed() != null) {
            body.put("seed", params.seed());
        }
        body.put("n", 1);
        body.put("stream", false);
        String what = "POST " + root + "/v1/chat/completions";
        JsonNode r = post("/v1/chat/completions", body, what);
        JsonNode content = r.path("choices").path(0).path("message").path("content");
        if (!content.isTextual()) {
            throw new ModelException("malformed reply from " + what + ": no choices[0].message.content string");
        }
        return content.asText();
    }

    @Override
    public TokenLogprobs score(Frames frames, List<ChatMessage> prompt, String response) throws ModelException {
        checkConversation(prompt);
        if (response.isEmpty()) {
            throw new ModelException("cannot score an empty response");
        }
        List<ChatMessage> withResponse = new ArrayList<>(prompt);
        withResponse.add(ChatMessage.assistant(response));

        int[] full = tokenize(withResponse, false);
        int[] head = tokenize(prompt, true);
        int common = 0;
        while (common < head.length && common < full.length && head[common] == full[common]) {
            common++;
        }
        int n = full.length - common;
        if (n <= 0) {
            throw new ModelException("the response adds no tokens after the prompt in /tokenize; cannot score it");
        }
        int[] ids = java.util.Arrays.copyOfRange(full, common, full.length);

        ObjectNode body = MAPPER.createObjectNode();
        body.put("model", config.model());
        body.set("messages", messages(frames, withResponse, true));
        body.put("add_generation_prompt", false);
        body.put("continue_final_message", true);
        body.put("max_tokens", 1);
        body.put("temperature", 0.0);
        body.put("prompt_logprobs", PROMPT_LOGPROBS);
        String what = "POST " + root + "/v1/chat/completions (prompt_logprobs)";
        JsonNode r = post("/v1/chat/completions", body, what);
        JsonNode pl = r.get("prompt_logprobs");
        if (pl == null || !pl.isArray()) {
            throw new ModelException("the reply to " + what + " has no prompt_logprobs array; the server must support vLLM's "
                    + "prompt_logprobs extension");
        }
        int m = pl.size();
        if (m < n) {
            throw new ModelException("the server returned " + m + " prompt log-probs but the response alone has " + n + " tokens");
        }
        double[] lp = new double[n];
        for (int t = 0; t < n; t++) {
            JsonNode entry = pl.get(m - n + t);
            JsonNode tok = entry != null && entry.isObject() ? entry.get(Integer.toString(ids[t])) : null;
            if (tok == null) {
                throw new ModelException("prompt_logprobs do not end with the response's tokens: at response token " + t
                        + " expected id " + ids[t] + ", the server has " + (entry == null || entry.isNull() ? "nothing" : fieldNames(entry))
                        + " (does the chat template change the final assistant message?)");
            }
            JsonNode v = tok.isObject() ? tok.get("logprob") : tok;
            if (v == null || !v.isNumber()) {
                throw new ModelException("malformed prompt_logprobs entry for response token " + t + ": " + tok);
            }
            lp[t] = Math.min(0.0, v.asDouble()); // rounding on the server can give +1e-7
        }
        try {
            return new TokenLogprobs(ids, lp);
        } catch (IllegalArgumentException e) {
            throw new ModelException("invalid log-probs from the server: " + e.getMessage());
        }
    }

    /** Token ids of the text conversation, as the server's chat template and tokenizer make them. */
    private int[] tokenize(List<ChatMessage> messages, boolean generationPrompt) throws ModelException {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("model", config.model());
        body.set("messages", messages(null, messages, false));
        body.put("add_generation_prompt", generationPrompt);
        body.put("continue_final_message", !generationPrompt);
        body.put("add_special_tokens", false);
        String what = "POST " + root + "/tokenize";
        JsonNode r = post("/tokenize", body, what);
        JsonNode tokens = r.get("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw new ModelException("malformed reply from " + what + ": no \"tokens\" array");
        }
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = tokens.get(i);
            if (!t.canConvertToInt()) {
                throw new ModelException("malformed reply from " + what + ": token " + i + " is " + t);
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private ArrayNode messages(Frames frames, List<ChatMessage> messages, boolean withImages) {
        ArrayNode arr = MAPPER.createArrayNode();
        boolean imagesPlaced = false;
        for (ChatMessage m : messages) {
            ObjectNode o = arr.addObject();
            o.put("role", m.role().wireName());
            if (withImages && frames != null && !imagesPlaced && m.role() == ChatMessage.Role.USER) {
                ArrayNode content = o.putArray("content");
                for (String uri : dataUris(frames)) {
                    ObjectNode part = content.addObject();
                    part.put("type", "image_url");
                    part.putObject("image_url").put("url", uri);
                }
                content.addObject().put("type", "text").put("text", m.text());
                imagesPlaced = true;
            } else {
                o.put("content", m.text());
            }
        }
        return arr;
    }

    private List<String> dataUris(Frames frames) {
        float q = config.jpegQuality();
        return frames.memo("openai.jpeg." + q, () -> {
            List<String> uris = new ArrayList<>(frames.size());
            for (BufferedImage im : frames.images()) {
                uris.add("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg(im, q)));
            }
            return List.copyOf(uris);
        });
    }

    static byte[] jpeg(BufferedImage im, float quality) {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
             MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            w.setOutput(out);
            w.write(null, new IIOImage(im, null, null), p);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a frame as JPEG", e);
        } finally {
            w.dispose();
        }
    }

    private JsonNode post(String path, ObjectNode body, String what) throws ModelException {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a request body: " + e.getMessage(), e);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        return send(b, what);
    }

    /** Sends with timeout, retries and the in-flight bound; returns the parsed JSON of a 2xx reply. */
    private JsonNode send(HttpRequest.Builder builder, String what) throws ModelException {
        builder.timeout(config.requestTimeout()).header("Accept", "application/json");
        if (config.apiKey() != null && !config.apiKey().isEmpty()) {
            builder.header("Authorization", "Bearer " + config.apiKey());
        }
        HttpRequest req = builder.build();
        int attempts = config.maxRetries() + 1;
        for (int attempt = 1; ; attempt++) {
            HttpResponse<String> resp;
            try {
                inFlight.acquire();
                try {
                    resp = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                } finally {
                    inFlight.release();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelException(what + " was interrupted");
            } catch (HttpTimeoutException e) {
                String error = e instanceof java.net.http.HttpConnectTimeoutException
                        ? "no connection within " + seconds(config.connectTimeout())
                        : "no reply within " + seconds(config.requestTimeout());
                backoffOrThrow(attempt, attempts, what, error, -1);
                continue;
            } catch (IOException e) {
                String error = e instanceof ConnectException ? "cannot connect to " + root + " (is the server running?)"
                        : "connection error (" + describe(e) + ")";
                backoffOrThrow(attempt, attempts, what, error, -1);
                continue;
            }
            int sc = resp.statusCode();
            if (sc / 100 == 2) {
                try {
                    return MAPPER.readTree(resp.body());
                } catch (JsonProcessingException e) {
                    throw new ModelException("malformed JSON in the reply to " + what + " (" + e.getOriginalMessage() + "); the reply starts: "
                            + snippet(resp.body()));
                }
            }
            String error = "HTTP " + sc + errorDetail(resp.body());
            if (sc < 500 && sc != 408 && sc != 429) {
                throw new ModelException(what + " was refused: " + error);
            }
            long retryAfterMs = resp.headers().firstValue("Retry-After").map(OpenAiClient::retryAfterMillis).orElse(-1L);
            backoffOrThrow(attempt, attempts, what, error, retryAfterMs);
        }
    }

    /** Sleeps before the next attempt (exponential backoff with jitter), or throws when this was the last one. */
    private void backoffOrThrow(int attempt, int attempts, String what, String error, long retryAfterMs) throws ModelException {
        if (attempt >= attempts) {
            throw new ModelException(what + " failed after " + attempts + (attempts == 1 ? " attempt: " : " attempts: ") + error);
        }
        long base = Math.min(config.maxBackoff().toMillis(), config.initialBackoff().toMillis() << Math.min(30, attempt - 1));
        long delay = base / 2 + (base > 1 ? ThreadLocalRandom.current().nextLong(base - base / 2) : 0);
        if (retryAfterMs > delay) {
            delay = Math.min(retryAfterMs, config.maxBackoff().toMillis());
        }
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelException(what + " was interrupted while waiting to retry (" + error + ")");
        }
    }

    private static long retryAfterMillis(String v) {
        try {
            return Math.max(0, Long.parseLong(v.trim())) * 1000;
        } catch (NumberFormatException e) {
            return -1; // an HTTP date: fall back to our own backoff
        }
    }

    /** The server's error message (vLLM: {"message": ...} or {"error": {"message": ...}}), or the start of the body. */
    private static String errorDetail(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode n = MAPPER.readTree(body);
            JsonNode msg = n.path("message").isTextual() ? n.get("message") : n.path("error").path("message");
            if (msg.isTextual()) {
                return ": " + snippet(msg.asText());
            }
            if (n.path("error").isTextual()) {
                return ": " + snippet(n.get("error").asText());
            }
            if (n.path("detail").isTextual()) {
                return ": " + snippet(n.get("detail").asText());
            }
        } catch (JsonProcessingException e) {
            // not JSON: show the text
        }
        return ": " + snippet(body);
    }

    private static String snippet(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() <= 200 ? one : one.substring(0, 200) + "...";
    }

    private static String fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return "ids " + names;
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3g s", d.toMillis() / 1000.0);
    }

    private static void checkConversation(List<ChatMessage> messages) {
        if (messages.isEmpty() || messages.get(messages.size() - 1).role() != ChatMessage.Role.USER) {
            throw new IllegalArgumentException("a conversation must end with a user message");
        }
    }

    /** {@code http(s)://host[:port][/prefix]} without a trailing slash or {@code /v1}. */
    static String rootOf(String server) {
        if (server == null || server.isBlank()) {
            throw new IllegalArgumentException("the server URL is empty; pass e.g. http://localhost:8000");
        }
        URI u;
        try {
            u = new URI(server.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the server URL '" + server + "' is not a URL (" + e.getReason() + "); pass e.g. http://localhost:8000");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw new IllegalArgumentException("the server URL must be http(s)://host[:port], got '" + server + "'");
        }
        if (u.getQuery() != null || u.getFragment() != null) {
            throw new IllegalArgumentException("the server URL must not have a query or fragment, got '" + server + "'");
        }
        String s = u.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.endsWith("/v1")) {
            s = s.substring(0, s.length() - 3);
        }
        return s;
    }
}
