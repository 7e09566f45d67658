package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.leanpo.testing.Fuzzing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frame sampler (JavaCV/FFmpeg) on corrupt and mutated video files. Seeds: six-frame 64×48 videos in each
 * container the tests can write (MP4/MPEG-4, WebM/VP8, Matroska/VP9, AVI/MJPEG), made by {@link TestVideos}; the
 * fuzzer flips, cuts and splices their bytes. Every file ends in K frames no larger than asked, or a
 * {@link VideoException} with a message — never another exception, a JVM crash in the native decoder, or a hang
 * (each input has {@link Fuzzing#TIMEOUT_S} seconds, in the seed run and while fuzzing). Both paths are exercised:
 * exact seeks and decoding in order.
 */
@Timeout(Fuzzing.TIMEOUT_S)
class FrameSamplerFuzzTest {
    private static final FrameSampler SAMPLER = new FrameSampler(3, 32);

    @TempDir
    static Path dir;

    @FuzzTest(maxDuration = Fuzzing.MAX_DURATION)
    void sampleAnyVideo(byte[] content) throws IOException {
        // No extension: FFmpeg must recognise the container from the bytes, as it does for mislabelled user files.
        Path video = dir.resolve("video");
        Files.write(video, content);
        check(() -> SAMPLER.sample(video));
        check(() -> SAMPLER.sampleInDecodingOrder(video));
    }

    private interface Sampling {
        Frames run() throws VideoException;
    }

    private static void check(Sampling s) {
        Frames f;
        try {
            f = s.run();
        } catch (VideoException e) {
            Fuzzing.assertClear(e);
            return;
        }
        assertEquals(SAMPLER.frames(), f.size());
        assertTrue(f.width() <= SAMPLER.maxSide() && f.height() <= SAMPLER.maxSide(), () -> f.width() + "x" + f.height());
        for (int i : f.indices()) {
            assertTrue(i >= 0, "frame indices are never negative");
        }
    }
}
