package io.github.leanpo.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/** What became of one sample: a kept pair, a pair the keep policy filtered out, or a failure with its reason. */
public sealed interface Outcome {
    String id();

    /** A pair that goes to the output. */
    record Kept(PairRecord pair) implements Outcome {
        @Override
        public String id() {
            return pair.id();
        }
    }

    /** A pair the keep policy (or a degenerate result) left out; written to the filtered file with the reason. */
    record Filtered(PairRecord pair, String reason) implements Outcome {
        @Override
        public String id() {
            return pair.id();
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = pair.toJson();
            m.put("reason", reason);
            return m;
        }
    }

    /**
     * A sample that could not be made into a pair.
     *
     * @param id      the sample id
     * @param video   the video path as resolved
     * @param stage   where it failed: frames, winner, reflection N, loser, score chosen, score rejected
     * @param reason  a one-line message
     * @param runSeed the run seed (checked on resume like a pair's)
     * @param model   the policy's name
     */
    record Failed(String id, String video, String stage, String reason, long runSeed, String model) implements Outcome {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("video", video);
            m.put("stage", stage);
            m.put("reason", reason);
            m.put("seeds", Map.of("run", runSeed));
            m.put("model", model);
            return m;
        }
    }
}
