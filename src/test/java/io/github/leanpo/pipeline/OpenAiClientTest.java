package io.github.leanpo.pipeline;

import static io.github.leanpo.pipeline.FakeVllmServer.CHAT;
import static io.github.leanpo.pipeline.FakeVllmServer.TOKENIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.leanpo.pipeline.FakeVllmServer.Fault;
import java.awt.image.BufferedImage;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The vLLM client against a local server speaking the protocol: requests, scoring, retries, timeouts, bad replies. */
class OpenAiClientTest {
    static final String MODEL = "fake/video-llm";
    FakeVllmServer server;

    @BeforeEach
    void start() throws Exception {
        server = new FakeVllmServer(MODEL);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    OpenAiClient client() {
        return client(OpenAiClient.Config.of(server.url(), MODEL));
    }

    /** Fast retries for tests: 3 retries from 10 ms. */
    OpenAiClient client(OpenAiClient.Config c) {
        return new OpenAiClient(c.withRetries(3, Duration.ofMillis(10), Duration.ofMillis(50)));
    }

    static Frames frames(int k, int w, int h) {
        List<BufferedImage> im = new ArrayList<>();
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            im.add(DegraderTest.noise(w, h, i));
            idx[i] = 3 * i;
        }
        return new Frames(im, idx);
    }

    static List<ChatMessage> question(String q) {
        return List.of(ChatMessage.user(q));
    }

    @Test
    void generateSendsFramesAsJpegPartsAndTheSamplingParameters() throws Exception {
        try (OpenAiClient c = client()) {
            String reply = c.generate(frames(3, 40, 30), question("What moves?"), SamplingParams.sampled(1.0, 0.9, 77, 1234));
            FakeVllmServer.ChatRequest r = server.chats().get(0);
            assertEquals(FakeVllmServer.defaultReply(r), reply);
            assertEquals(3, r.images());
            for (int[] size : r.imageSizes()) {
                assertArrayEquals(new int[] {40, 30}, size);
            }
            JsonNode b = r.body();
            assertEquals(MODEL, b.get("model").asText());
            assertEquals(1.0, b.get("temperature").asDouble());
            assertEquals(0.9, b.get("top_p").asDouble());
            assertEquals(77, b.get("max_tokens").asInt());
            assertEquals(1234, b.get("seed").asLong());
            JsonNode content = b.get("messages").get(0).get("content");
            assertEquals("image_url", content.get(0).get("type").asText(), "frames come before the text");
            assertEquals("text", content.get(3).get("type").asText());
            assertEquals("What moves?", content.get(3).get("text").asText());

            c.generate(frames(1, 8, 8), question("Q"), SamplingParams.greedy(5));
            JsonNode g = server.chats().get(1).body();
            assertEquals(0.0, g.get("temperature").asDouble());
            assertFalse(g.has("seed"), "greedy requests carry no seed");
        }
    }

    @Test
    void framesAreOnlyAttachedToTheFirstUserMessage() throws Exception {
        try (OpenAiClient c = client()) {
            c.generate(frames(2, 8, 8), List.of(ChatMessage.system("Be brief."), ChatMessage.user("Q1"), ChatMessage.assistant("A1"),
                    ChatMessage.user("Q2")), SamplingParams.greedy(5));
            JsonNode m = server.chats().get(0).body().get("messages");
            assertTrue(m.get(0).get("content").isTextual());
            assertEquals(3, m.get(1).get("content").size());
            assertTrue(m.get(2).get("content").isTextual());
            assertTrue(m.get(3).get("content").isTextual());
            assertEquals(2, server.chats().get(0).images());
        }
    }

    @Test
    void scoreReturnsExactlyTheResponseTokensLogprobs() throws Exception {
        String response = "A red square moves left, then stops.";
        try (OpenAiClient c = client()) {
            TokenLogprobs t = c.score(frames(4, 16, 12), question("What does the square do?"), response);
            List<Integer> ids = FakeTokenizer.encode(response);
            assertEquals(ids.size(), t.tokens());
            int[] got = t.tokenIds();
            double[] lp = t.logprobs();
            for (int i = 0; i < ids.size(); i++) {
                assertEquals(ids.get(i), got[i], "token " + i);
                assertEquals(FakeTokenizer.logprob(ids.get(i)), lp[i], 0.0, "log-prob of token " + i);
            }
            FakeVllmServer.ChatRequest r = server.chats().get(0);
            assertTrue(r.scoring());
            assertEquals(4, r.images(), "scoring sees the video");
            JsonNode b = r.body();
            assertFalse(b.get("add_generation_prompt").asBoolean());
            assertTrue(b.get("continue_final_message").asBoolean());
            assertEquals(1, b.get("max_tokens").asInt());
            assertEquals(OpenAiClient.PROMPT_LOGPROBS, b.get("prompt_logprobs").asInt());
            JsonNode last = b.get("messages").get(1);
            assertEquals("assistant", last.get("role").asText());
            assertEquals(response, last.get("content").asText());
            assertEquals(2, server.count(TOKENIZE), "with and without the response");
        }
    }

    @Test
    void aServerThatChangesTheResponseIsCaught() throws Exception {
        server.rewriteFinalMessage(true);
        try (OpenAiClient c = client()) {
            ModelException e = assertThrows(ModelException.class, () -> c.score(frames(1, 8, 8), question("Q"), "lower case words"));
            assertTrue(e.getMessage().contains("prompt_logprobs do not end with the response's tokens"), e.getMessage());
        }
    }

    @Test
    void retriesServerErrorsThenSucceeds() throws Exception {
        server.fail(CHAT, Fault.httpStatus(500), Fault.httpStatus(503), Fault.dropConnection());
        try (OpenAiClient c = client()) {
            String reply = c.generate(frames(1, 8, 8), question("Q"), SamplingParams.greedy(5));
            assertTrue(reply.startsWith("A careful answer"), reply);
            assertEquals(4, server.count(CHAT), "three failures, then the answer");
        }
    }

    @Test
    void givesUpAfterTheRetriesWithTheServersMessage() throws Exception {
        server.fail(CHAT, Fault.httpStatus(500), Fault.httpStatus(500), Fault.httpStatus(500), Fault.httpStatus(500), Fault.httpStatus(500));
        try (OpenAiClient c = client()) {
            ModelException e = assertThrows(ModelException.class, () -> c.generate(frames(1, 8, 8), question("Q"), SamplingParams.greedy(5)));
            assertTrue(e.getMessage().contains("failed after 4 attempts") && e.getMessage().contains("HTTP 500: Internal Server Error")
                    && e.getMessage().contains("/v1/chat/completions"), e.getMessage());
            assertEquals(4, server.count(CHAT));
        }
    }

    @Test
    void aTimeoutIsRetried() throws Exception {
        server.fail(CHAT, Fault.delayFor(1500));
        OpenAiClient.Config cfg = OpenAiClient.Config.of(server.url(), MODEL).withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300));
        try (OpenAiClient c = client(cfg)) {
            long t0 = System.nanoTime();
            String reply = c.generate(frames(1, 8, 8), question("Q"), SamplingParams.greedy(5));
            assertTrue(reply.startsWith("A careful answer"));
            assertTrue((System.nanoTime() - t0) / 1e6 < 1400, "the client did not wait for the slow reply");
            assertEquals(2, server.count(CHAT));
        }
        server.fail(TOKENIZE, Fault.delayFor(1000), Fault.delayFor(1000), Fault.delayFor(1000), Fault.delayFor(1000));
        try (OpenAiClient c = client(cfg)) {
            ModelException e = assertThrows(ModelException.class, () -> c.score(frames(1, 8, 8), question("Q"), "An answer."));
            assertTrue(e.getMessage().contains("/tokenize failed after 4 attempts: no reply within"), e.getMessage());
        }
    }

    @Test
    void malformedJsonIsNotRetried() throws Exception {
        server.fail(CHAT, Fault.malformedJson());
        try (OpenAiClient c = client()) {
            ModelException e = assertThrows(ModelException.class, () -> c.generate(frames(1, 8, 8), question("Q"), SamplingParams.greedy(5)));
            assertTrue(e.getMessage().startsWith("malformed JSON in the reply to POST ") && e.getMessage().contains("the reply starts: {\"id\""),
                    e.getMessage());
            assertEquals(1, server.count(CHAT));
        }
    }

    @Test
    void clientErrorsAreNotRetriedAndCarryTheServersMessage() throws Exception {
        try (OpenAiClient c = new OpenAiClient(OpenAiClient.Config.of(server.url(), "other-model"))) {
            ModelException e = assertThrows(ModelException.class, () -> c.generate(frames(1, 8, 8), question("Q"), SamplingParams.greedy(5)));
            assertTrue(e.getMessage().contains("was refused: HTTP 404: The model `other-model` does not exist."), e.getMessage());
            assertEquals(1, server.count(CHAT));
            ModelException m = assertThrows(ModelException.class, c::checkModel);
            assertTrue(m.getMessage().contains("serves [" + MODEL + "], not 'other-model'"), m.getMessage());
        }
        server.fail(CHAT, Fault.httpStatus(429), Fault.httpStatus(400));
        try (OpenAiClient c = client()) {
            ModelException e = assertThrows(ModelException.class, () -> c.generate(frames(1, 8, 8), question("Q"), SamplingParams.greedy(5)));
            assertTrue(e.getMessage().contains("HTTP 400: injected client error"), "429 retried, 400 not: " + e.getMessage());
            assertEquals(3, server.count(CHAT));
        }
    }

    @Test
    void anUnreachableServerIsAClearError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (OpenAiClient c = client(OpenAiClient.Config.of("http://127.0.0.1:" + port + "/v1/", MODEL))) {
            ModelException e = assertThrows(ModelException.class, c::checkModel);
            assertTrue(e.getMessage().contains("failed after 4 attempts: cannot connect to http://127.0.0.1:" + port + " (is the server running?)"),
                    e.getMessage());
        }
    }

    @Test
    void boundsTheRequestsInFlight() throws Exception {
        server.latency(150);
        try (OpenAiClient c = client(OpenAiClient.Config.of(server.url(), MODEL).withConcurrency(2))) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<String>> fs = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    int n = i;
                    fs.add(pool.submit(() -> c.generate(frames(1, 8, 8), question("Q" + n), SamplingParams.greedy(5))));
                }
                for (Future<String> f : fs) {
                    assertTrue(f.get().startsWith("A careful answer"));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(2, server.maxInFlight(), "two at a time, and they did overlap");
        }
    }

    @Test
    void checksTheServedModelAndNormalisesTheUrl() throws Exception {
        try (OpenAiClient c = client(OpenAiClient.Config.of(server.url() + "/v1/", MODEL))) {
            c.checkModel();
            assertEquals(1, server.count(FakeVllmServer.MODELS));
        }
        assertEquals("http://h:8000", OpenAiClient.rootOf("http://h:8000/v1"));
        assertEquals("https://h/prefix", OpenAiClient.rootOf("https://h/prefix/"));
        for (String bad : new String[] {"", "localhost:8000", "ftp://h", "http://h:8000/v1?x=1", "http//h"}) {
            assertThrows(IllegalArgumentException.class, () -> OpenAiClient.Config.of(bad, MODEL), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> OpenAiClient.Config.of(server.url(), " "));
    }

    @Test
    void sendsTheApiKeyAsABearerToken() throws Exception {
        try (OpenAiClient c = client(OpenAiClient.Config.of(server.url(), MODEL).withApiKey("secret"))) {
            c.checkModel();
        }
        assertEquals("Bearer secret", server.lastAuthorization());
        try (OpenAiClient c = client()) {
            c.checkModel();
        }
        assertEquals(null, server.lastAuthorization(), "no key, no header");
    }

    @Test
    void encodesEachFrameSetOnce() throws Exception {
        Frames f = frames(2, 8, 8);
        try (OpenAiClient c = client()) {
            c.generate(f, question("Q1"), SamplingParams.greedy(5));
            c.generate(f, question("Q2"), SamplingParams.greedy(5));
        }
        JsonNode a = server.chats().get(0).body().get("messages").get(0).get("content").get(0);
        JsonNode b = server.chats().get(1).body().get("messages").get(0).get("content").get(0);
        assertEquals(a, b);
        List<String> uris = f.memo("openai.jpeg." + 0.9f, () -> List.of("recomputed"));
        assertEquals(2, uris.size(), "cached on the frame set");
    }
}
