package io.github.leanpo.pipeline;

import java.util.List;
import java.util.Locale;

/**
 * Makes one preference pair from one sample (DESIGN.md §5, steps 1-4):
 *
 * <ol>
 *   <li>K frames, uniformly, from the video;</li>
 *   <li>the <b>winner</b>: the policy answers greedily with the ground-truth answer as a hint ({@code winner}
 *       template), then R rounds of self-reflection, each showing it its previous reply and the hint
 *       ({@code reflect} template), greedy too;</li>
 *   <li>the <b>loser</b>: the policy answers with no hint ({@code loser} template) from a degraded view — the
 *       sample's degradation applied to fewer frames spread over the K — sampled at temperature ~1 with the
 *       sample's loser seed;</li>
 *   <li><b>scoring</b>: the mean token log-prob of each answer under the policy, given the original K frames and the
 *       plain prompt ({@code prompt} template); then the keep policy. Under {@code reflect-until-ordered} a
 *       misordered winner gets more reflection rounds (and is re-scored after each) up to the bound.</li>
 * </ol>
 *
 * Answers are stripped of surrounding whitespace; an empty answer is a failure, and a winner identical to the
 * loser is filtered whatever the policy (the pair carries no preference). {@link #generate} never throws for a
 * bad sample: a missing or corrupt video, a model error after retries or an unexpected exception becomes a
 * {@link Outcome.Failed} naming the stage. Thread-safe if the model is.
 */
public final class PairGenerator {
    private final PolicyModel model;
    private final FrameSampler sampler;
    private final Degrader degrader;
    private final PromptTemplates templates;
    private final PairConfig config;

    /**
     * @param model     the policy (borrowed; not closed here)
     * @param degrader  the loser's degradation
     * @param templates the prompts
     * @param config    frames K and loser frames, reflection rounds, keep policy, sampling and the run seed
     * @param frameSize the longer side of the frames given to the model, in pixels (smaller videos are not enlarged)
     */
    public PairGenerator(PolicyModel model, Degrader degrader, PromptTemplates templates, PairConfig config, int frameSize) {
        this.model = model;
        this.sampler = new FrameSampler(config.frames(), frameSize);
        this.degrader = degrader;
        this.templates = templates;
        this.config = config;
    }

    public PairConfig config() {
        return config;
    }

    /** Generates, scores and judges the pair of {@code s}. Never throws for a bad sample (see the class comment). */
    public Outcome generate(Sample s) {
        String stage = "frames";
        try {
            Frames frames = sampler.sample(s.video());

            long sampleSeed = Seeds.sample(config.runSeed(), s.id());
            long degradeSeed = Seeds.derive(sampleSeed, "degrade");
            long loserSeed = Seeds.toServerSeed(Seeds.derive(sampleSeed, "loser"));
            SamplingParams greedy = SamplingParams.greedy(config.maxTokens());

            stage = "winner";
            String winner = answer(model.generate(frames, List.of(ChatMessage.user(templates.winner(s.question(), s.answer()))), greedy));
            int rounds = 0;
            for (int r = 1; r <= config.reflections(); r++) {
                stage = "reflection " + r;
                winner = reflect(frames, s, winner, greedy);
                rounds++;
            }

            stage = "loser";
            DegradeParams dp = degrader.draw(degradeSeed);
            Frames loserView = degrader.apply(frames.select(Frames.uniformPositions(frames.size(), config.loserFrames())), dp);
            SamplingParams sampled = SamplingParams.sampled(config.loserTemperature(), config.loserTopP(), config.maxTokens(), loserSeed);
            String loser = answer(model.generate(loserView, List.of(ChatMessage.user(templates.loser(s.question()))), sampled));

            List<ChatMessage> plain = List.of(ChatMessage.user(templates.prompt(s.question())));
            stage = "score chosen";
            TokenLogprobs sw = model.score(frames, plain, winner);
            stage = "score rejected";
            TokenLogprobs sl = model.score(frames, plain, loser);

            if (config.keep() == KeepPolicy.REFLECT_UNTIL_ORDERED) {
                for (int extra = 1; extra <= config.maxExtraReflections() && !(sw.mean() > sl.mean()); extra++) {
                    stage = "reflection " + (rounds + 1);
                    winner = reflect(frames, s, winner, greedy);
                    rounds++;
                    stage = "score chosen";
                    sw = model.score(frames, plain, winner);
                }
            }

            PairRecord pair = new PairRecord(s.id(), plain.get(0).text(), winner, loser, s.video().toString(), frames.indices(),
                    loserView.indices(), sw.mean(), sl.mean(), sw.tokens(), sl.tokens(), rounds, config.runSeed(), sampleSeed,
                    degradeSeed, loserSeed, templates.ids(), model.name(), dp);
            if (winner.equals(loser)) {
                return new Outcome.Filtered(pair, "the winner and the loser are the same text");
            }
            if (config.keep() == KeepPolicy.KEEP_ALL || pair.ordered()) {
                return new Outcome.Kept(pair);
            }
            String ranks = String.format(Locale.ROOT, "the policy ranks the loser above the winner (mean log-prob %.4f vs %.4f)",
                    pair.rejectedMeanLogp(), pair.chosenMeanLogp());
            return new Outcome.Filtered(pair, config.keep() == KeepPolicy.REFLECT_UNTIL_ORDERED
                    ? ranks + " after " + config.maxExtraReflections() + " extra reflection rounds" : ranks);
        } catch (VideoException | ModelException e) {
            return failed(s, stage, e.getMessage());
        } catch (RuntimeException e) {
            return failed(s, stage, "internal error: " + e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
        }
    }

    private String reflect(Frames frames, Sample s, String previous, SamplingParams greedy) throws ModelException {
        return answer(model.generate(frames, List.of(ChatMessage.user(templates.reflect(s.question(), s.answer(), previous))), greedy));
    }

    private Outcome.Failed failed(Sample s, String stage, String reason) {
        String one = reason == null ? "unknown error" : reason.replaceAll("\\s*\\R\\s*", " ").strip();
        return new Outcome.Failed(s.id(), s.video().toString(), stage, one, config.runSeed(), model.name());
    }

    private static String answer(String reply) throws ModelException {
        String a = reply == null ? "" : reply.strip();
        if (a.isEmpty()) {
            throw new ModelException("the model returned an empty answer");
        }
        return a;
    }
}
