package io.github.leanpo.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One generated preference pair and how it was made. Written as one JSON line whose {@code prompt}, {@code chosen}
 * and {@code rejected} are TRL's preference fields (standard, not conversational, format); the rest records where
 * it came from.
 *
 * @param id                 the sample id
 * @param prompt             the plain prompt (the {@code prompt} template applied to the question)
 * @param chosen             the winner: written with the answer as a hint, then refined by reflection
 * @param rejected           the loser: written from the degraded view, sampled
 * @param video              the video path as resolved
 * @param frameIndices       video frames of the original view (winner and scoring)
 * @param loserFrameIndices  video frames of the loser's view
 * @param chosenMeanLogp     the policy's mean token log-prob of {@code chosen} (original video, plain prompt)
 * @param rejectedMeanLogp   the same for {@code rejected}
 * @param chosenTokens       response tokens of {@code chosen}
 * @param rejectedTokens     response tokens of {@code rejected}
 * @param reflections        reflection rounds the winner went through (R plus any extra rounds)
 * @param runSeed            the run seed
 * @param sampleSeed         this sample's seed (from the run seed and the id)
 * @param degradeSeed        the seed of the degradation parameters
 * @param loserSeed          the loser's sampling seed as sent to the model
 * @param templates          template ids (prompt, winner, reflect, loser)
 * @param model              the policy's name
 * @param degrade            the degradation parameters applied to the loser's frames
 */
public record PairRecord(String id, String prompt, String chosen, String rejected, String video, int[] frameIndices,
                         int[] loserFrameIndices, double chosenMeanLogp, double rejectedMeanLogp, int chosenTokens, int rejectedTokens,
                         int reflections, long runSeed, long sampleSeed, long degradeSeed, long loserSeed,
                         Map<String, String> templates, String model, DegradeParams degrade) {

    /** Whether the policy already ranks the pair right (winner's mean log-prob above the loser's). */
    public boolean ordered() {
        return chosenMeanLogp > rejectedMeanLogp;
    }

    /** The JSON object written to the output (field order fixed). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("prompt", prompt);
        m.put("chosen", chosen);
        m.put("rejected", rejected);
        m.put("video", video);
        m.put("frame_indices", frameIndices);
        m.put("loser_frame_indices", loserFrameIndices);
        m.put("chosen_mean_logp", chosenMeanLogp);
        m.put("rejected_mean_logp", rejectedMeanLogp);
        m.put("chosen_tokens", chosenTokens);
        m.put("rejected_tokens", rejectedTokens);
        m.put("ordered", ordered());
        m.put("reflections", reflections);
        Map<String, Object> seeds = new LinkedHashMap<>();
        seeds.put("run", runSeed);
        seeds.put("sample", sampleSeed);
        seeds.put("degrade", degradeSeed);
        seeds.put("loser", loserSeed);
        m.put("seeds", seeds);
        m.put("templates", templates);
        m.put("model", model);
        m.put("degrade", degrade.toMap());
        return m;
    }
}
