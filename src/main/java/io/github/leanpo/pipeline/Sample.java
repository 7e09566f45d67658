package io.github.leanpo.pipeline;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One video question-answering triplet, the unit of work of the pipeline.
 *
 * @param id       unique within the input; the key of resumption and of the per-sample seed
 * @param video    the video file, already resolved against the video root
 * @param question the plain question (no {@code <video>} placeholder)
 * @param answer   the ground-truth answer, used only as the winner's hint
 * @param source   where the record came from ({@code file:line}), for error messages
 */
public record Sample(String id, Path video, String question, String answer, String source) {
    public Sample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(video, "video");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(source, "source");
    }
}
