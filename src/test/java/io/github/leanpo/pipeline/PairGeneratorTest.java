package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The method, step by step, with a deterministic in-process policy and a real video. */
class PairGeneratorTest {
    @TempDir
    static Path dir;
    static Path video;
    static PromptTemplates templates;

    static final String QUESTION = "Which way does the square move?";
    static final String ANSWER = "To the right.";

    @BeforeAll
    static void setUp() throws Exception {
        video = TestVideos.write(dir, "clip", TestVideos.Container.MP4, 20);
        templates = FakePolicyModel.templates(java.nio.file.Files.createDirectory(dir.resolve("templates")));
    }

    static Sample sample(String id) {
        return new Sample(id, video, QUESTION, ANSWER, "test:1");
    }

    static PairGenerator generator(PolicyModel model, PairConfig cfg) {
        return new PairGenerator(model, new Degrader(DegradeConfig.defaults()), templates, cfg, 448);
    }

    static PairConfig config() {
        return PairConfig.defaults().withFrames(4, 2).withReflections(2).withSeed(11);
    }

    @Test
    void winnerReflectionLoserAndScoringFollowTheMethod() {
        FakePolicyModel m = new FakePolicyModel();
        Outcome o = generator(m, config()).generate(sample("s1"));
        PairRecord p = assertInstanceOf(Outcome.Kept.class, o).pair();

        long sampleSeed = Seeds.sample(11, "s1");
        long loserSeed = Seeds.toServerSeed(Seeds.derive(sampleSeed, "loser"));
        assertEquals("[w2] " + ANSWER, p.chosen(), "the winner after two reflection rounds, whitespace stripped");
        assertEquals("[l] guess " + loserSeed, p.rejected());
        assertEquals("PROMPT " + QUESTION, p.prompt());

        // Winner: the hint, greedy, on the K original frames.
        List<FakePolicyModel.Call> winner = m.calls("WINNER");
        assertEquals(1, winner.size());
        Frames original = winner.get(0).frames();
        assertArrayEquals(new int[] {2, 7, 12, 17}, original.indices());
        for (int i = 0; i < 4; i++) {
            assertEquals(original.indices()[i], TestVideos.decodeIndex(original.get(i)));
        }
        assertTrue(winner.get(0).messages().get(0).text().contains("HINT " + ANSWER));
        assertTrue(winner.get(0).params().isGreedy());

        // Reflection: R rounds, each shown the previous reply and the hint, greedy, same frames.
        List<FakePolicyModel.Call> reflect = m.calls("REFLECT");
        assertEquals(2, reflect.size());
        for (int r = 0; r < 2; r++) {
            String text = reflect.get(r).messages().get(0).text();
            assertTrue(text.contains("HINT " + ANSWER) && text.contains("PREVIOUS [w" + r + "] " + ANSWER), text);
            assertTrue(reflect.get(r).params().isGreedy());
            assertSame(original, reflect.get(r).frames());
        }

        // Loser: no hint, fewer degraded frames, sampled at T = 1 with the sample's loser seed.
        List<FakePolicyModel.Call> loser = m.calls("LOSER");
        assertEquals(1, loser.size());
        Frames view = loser.get(0).frames();
        assertEquals(2, view.size());
        assertArrayEquals(new int[] {7, 17}, view.indices(), "positions 1 and 3 of the four frames");
        assertEquals(original.width(), view.width());
        assertFalse(java.util.Arrays.equals(DegraderTest.pixels(original.get(1)), DegraderTest.pixels(view.get(0))), "degraded");
        assertEquals("LOSER " + QUESTION, loser.get(0).messages().get(0).text());
        assertFalse(loser.get(0).messages().get(0).text().contains(ANSWER));
        assertEquals(1.0, loser.get(0).params().temperature());
        assertEquals(loserSeed, loser.get(0).params().seed());

        // Scoring: both answers, original frames, plain prompt.
        List<FakePolicyModel.Call> score = m.calls("SCORE");
        assertEquals(2, score.size());
        assertEquals(List.of(p.chosen(), p.rejected()), List.of(score.get(0).response(), score.get(1).response()));
        for (FakePolicyModel.Call c : score) {
            assertSame(original, c.frames());
            assertEquals(List.of(ChatMessage.user("PROMPT " + QUESTION)), c.messages());
        }

        assertArrayEquals(original.indices(), p.frameIndices());
        assertArrayEquals(new int[] {7, 17}, p.loserFrameIndices());
        assertEquals(-0.5, p.chosenMeanLogp(), 1e-12);
        assertEquals(-1.5, p.rejectedMeanLogp(), 1e-12);
        assertEquals(4, p.chosenTokens()); // "[w2] To the right."
        assertEquals(3, p.rejectedTokens());
        assertTrue(p.ordered());
        assertEquals(2, p.reflections());
        assertEquals(11, p.runSeed());
        assertEquals(sampleSeed, p.sampleSeed());
        assertEquals(Seeds.derive(sampleSeed, "degrade"), p.degradeSeed());
        assertEquals(new Degrader(DegradeConfig.defaults()).draw(p.degradeSeed()), p.degrade());
        assertEquals(templates.ids(), p.templates());
        assertEquals("fake-policy", p.model());
        assertEquals(video.toString(), p.video());
    }

    @Test
    void zeroReflectionsKeepsTheFirstWinner() {
        FakePolicyModel m = new FakePolicyModel();
        PairRecord p = assertInstanceOf(Outcome.Kept.class, generator(m, config().withReflections(0)).generate(sample("s"))).pair();
        assertEquals("[w0] " + ANSWER, p.chosen());
        assertEquals(0, m.calls("REFLECT").size());
        assertEquals(0, p.reflections());
    }

    @Test
    void keepPolicies() {
        FakePolicyModel m = new FakePolicyModel();
        m.scoreOf(r -> r.startsWith("[w") ? -2.0 : -1.0); // the policy prefers the loser
        Outcome all = generator(m, config()).generate(sample("s"));
        PairRecord kept = assertInstanceOf(Outcome.Kept.class, all).pair();
        assertFalse(kept.ordered());

        Outcome req = generator(m, config().withKeep(KeepPolicy.REQUIRE_ORDER, 2)).generate(sample("s"));
        Outcome.Filtered f = assertInstanceOf(Outcome.Filtered.class, req);
        assertTrue(f.reason().contains("ranks the loser above the winner (mean log-prob -1.0000 vs -2.0000)"), f.reason());
        assertEquals("[w2] " + ANSWER, f.pair().chosen(), "no extra rounds under require-order");

        m.scoreOf(r -> r.startsWith("[w") ? -0.2 : -1.0);
        assertInstanceOf(Outcome.Kept.class, generator(m, config().withKeep(KeepPolicy.REQUIRE_ORDER, 2)).generate(sample("s")));
    }

    @Test
    void reflectUntilOrderedAddsBoundedRounds() {
        // Each reflection round raises the winner's score by 0.8; the loser sits at -1.
        java.util.function.ToDoubleFunction<String> score = r -> r.startsWith("[w")
                ? -3.0 + 0.8 * Integer.parseInt(r.substring(2, r.indexOf(']'))) : -1.0;
        PairConfig base = config().withReflections(1);

        FakePolicyModel m = new FakePolicyModel();
        m.scoreOf(score);
        PairRecord p = assertInstanceOf(Outcome.Kept.class,
                generator(m, base.withKeep(KeepPolicy.REFLECT_UNTIL_ORDERED, 3)).generate(sample("s"))).pair();
        assertEquals("[w3] " + ANSWER, p.chosen(), "w1 = -2.2 and w2 = -1.4 are below -1; w3 = -0.6 is above");
        assertEquals(3, p.reflections());
        assertTrue(p.ordered());
        assertEquals(3, m.calls("REFLECT").size());
        assertEquals(4, m.calls("SCORE").size(), "the loser once, the winner after rounds 1, 2 and 3");

        FakePolicyModel m2 = new FakePolicyModel();
        m2.scoreOf(score);
        Outcome.Filtered f = assertInstanceOf(Outcome.Filtered.class,
                generator(m2, base.withKeep(KeepPolicy.REFLECT_UNTIL_ORDERED, 1)).generate(sample("s")));
        assertTrue(f.reason().endsWith("after 1 extra reflection rounds"), f.reason());
        assertEquals(2, f.pair().reflections());
        assertEquals("[w2] " + ANSWER, f.pair().chosen());
    }

    @Test
    void failuresNameTheStageAndTheReason() {
        FakePolicyModel m = new FakePolicyModel();
        Outcome.Failed missing = assertInstanceOf(Outcome.Failed.class,
                generator(m, config()).generate(new Sample("gone", dir.resolve("gone.mp4"), "Q", "A", "t:1")));
        assertEquals("frames", missing.stage());
        assertTrue(missing.reason().startsWith("no such video file: ") && missing.reason().contains("gone.mp4"), missing.reason());
        assertEquals("gone", missing.id());
        assertEquals(0, m.calls().size(), "no model call for a sample without frames");

        m.failOn("LOSER");
        Outcome.Failed loser = assertInstanceOf(Outcome.Failed.class, generator(m, config()).generate(sample("s")));
        assertEquals("loser", loser.stage());
        assertEquals("fake failure at LOSER", loser.reason());

        m.failOn("REFLECT");
        assertEquals("reflection 1", assertInstanceOf(Outcome.Failed.class, generator(m, config()).generate(sample("s"))).stage());

        FakePolicyModel broken = new FakePolicyModel();
        broken.scoreOf(r -> {
            throw new IllegalStateException("boom\nsecond line");
        });
        Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, generator(broken, config()).generate(sample("s")));
        assertEquals("score chosen", f.stage());
        assertEquals("internal error: IllegalStateException: boom second line", f.reason(), "one line");
        assertEquals(11, f.runSeed());
        assertEquals("fake-policy", f.model());
    }

    @Test
    void emptyAnswersFailAndIdenticalAnswersAreFiltered() {
        PolicyModel same = new PolicyModel() {
            @Override
            public String generate(Frames frames, List<ChatMessage> messages, SamplingParams params) {
                return "Right.";
            }

            @Override
            public TokenLogprobs score(Frames frames, List<ChatMessage> prompt, String response) {
                return new TokenLogprobs(new int[] {1}, new double[] {-1});
            }

            @Override
            public String name() {
                return "same";
            }
        };
        Outcome.Filtered f = assertInstanceOf(Outcome.Filtered.class, generator(same, config()).generate(sample("s")));
        assertEquals("the winner and the loser are the same text", f.reason());

        PolicyModel empty = new PolicyModel() {
            @Override
            public String generate(Frames frames, List<ChatMessage> messages, SamplingParams params) {
                return " \n ";
            }

            @Override
            public TokenLogprobs score(Frames frames, List<ChatMessage> prompt, String response) {
                throw new AssertionError("not reached");
            }

            @Override
            public String name() {
                return "empty";
            }
        };
        Outcome.Failed e = assertInstanceOf(Outcome.Failed.class, generator(empty, config()).generate(sample("s")));
        assertEquals("winner", e.stage());
        assertEquals("the model returned an empty answer", e.reason());
    }

    @Test
    void seedsMakeItReproducible() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String a = json.writeValueAsString(assertInstanceOf(Outcome.Kept.class, generator(new FakePolicyModel(), config()).generate(sample("s1"))).pair().toJson());
        String b = json.writeValueAsString(assertInstanceOf(Outcome.Kept.class, generator(new FakePolicyModel(), config()).generate(sample("s1"))).pair().toJson());
        assertEquals(a, b);
        PairRecord other = assertInstanceOf(Outcome.Kept.class,
                generator(new FakePolicyModel(), config().withSeed(12)).generate(sample("s1"))).pair();
        PairRecord otherId = assertInstanceOf(Outcome.Kept.class, generator(new FakePolicyModel(), config()).generate(sample("s2"))).pair();
        PairRecord first = assertInstanceOf(Outcome.Kept.class, generator(new FakePolicyModel(), config()).generate(sample("s1"))).pair();
        assertNotEquals(first.loserSeed(), other.loserSeed());
        assertNotEquals(first.degradeSeed(), other.degradeSeed());
        assertNotEquals(first.sampleSeed(), otherId.sampleSeed());
        assertTrue(first.sampleSeed() >= 0 && first.sampleSeed() < (1L << 53));
        assertTrue(first.loserSeed() >= 0 && first.loserSeed() < (1L << 31));
    }

    @Test
    void configValidation() {
        for (Runnable r : List.<Runnable>of(
                () -> PairConfig.defaults().withFrames(0, 1),
                () -> PairConfig.defaults().withFrames(4, 5),
                () -> PairConfig.defaults().withReflections(-1),
                () -> PairConfig.defaults().withMaxTokens(0),
                () -> PairConfig.defaults().withLoserSampling(0, 1),
                () -> PairConfig.defaults().withLoserSampling(1, 1.5))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, r::run);
            assertTrue(e.getMessage().contains("got"), e.getMessage());
        }
        assertEquals(KeepPolicy.REFLECT_UNTIL_ORDERED, KeepPolicy.parse("Reflect_Until_Ordered"));
        assertEquals("require-order", KeepPolicy.REQUIRE_ORDER.cliName());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> KeepPolicy.parse("best"));
        assertTrue(e.getMessage().contains("keep-all, require-order or reflect-until-ordered"));
    }
}
