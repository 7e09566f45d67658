package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Frame sampling on real files in four containers: the right frames, their pixels, sizes, and bad files. */
class FrameSamplerTest {
    @TempDir
    static Path dir;

    static final int N = 20;

    @BeforeAll
    static void writeVideos() throws Exception {
        for (TestVideos.Container c : TestVideos.Container.values()) {
            TestVideos.write(dir, "clip", c, N);
        }
    }

    static Path video(TestVideos.Container c) {
        return dir.resolve("clip." + c.extension);
    }

    @ParameterizedTest
    @EnumSource(TestVideos.Container.class)
    void samplesTheUniformFramesByExactSeek(TestVideos.Container c) throws Exception {
        Frames f = new FrameSampler(4, 448).sample(video(c));
        int[] expected = {2, 7, 12, 17}; // floor((i + 0.5) · 20 / 4)
        assertArrayEquals(expected, f.indices(), c + ": recorded indices");
        for (int i = 0; i < 4; i++) {
            BufferedImage im = f.get(i);
            assertEquals(TestVideos.W, im.getWidth());
            assertEquals(TestVideos.H, im.getHeight());
            assertEquals(BufferedImage.TYPE_INT_RGB, im.getType());
            assertEquals(expected[i], TestVideos.decodeIndex(im), c + ": pixels of sampled frame " + i);
            assertEquals(expected[i] % 4, TestVideos.decodeColour(im), c + ": colour of sampled frame " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(TestVideos.Container.class)
    void everyFrameWhenKEqualsN(TestVideos.Container c) throws Exception {
        Frames f = new FrameSampler(N, 448).sample(video(c));
        int[] all = new int[N];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, f.indices());
        for (int i = 0; i < N; i++) {
            assertEquals(i, TestVideos.decodeIndex(f.get(i)), c + ": frame " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(TestVideos.Container.class)
    void decodingInOrderFindsTheSameFrames(TestVideos.Container c) throws Exception {
        // The fallback for streams without a frame rate must agree with the seeking path, pixel for pixel.
        FrameSampler s = new FrameSampler(6, 448);
        Frames seek = s.sample(video(c));
        Frames order = s.sampleInDecodingOrder(video(c));
        assertArrayEquals(seek.indices(), order.indices());
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(DegraderTest.pixels(seek.get(i)), DegraderTest.pixels(order.get(i)), c + ": frame " + i);
        }
        Frames repeated = new FrameSampler(3, 448).sampleInDecodingOrder(TestVideos.write(dir, "three" + c, c, 2));
        assertArrayEquals(new int[] {0, 1, 1}, repeated.indices());
    }

    @Test
    void framesAreCopiesNotViewsOfTheDecoderBuffer() throws Exception {
        Frames f = new FrameSampler(8, 448).sample(video(TestVideos.Container.MP4));
        for (int i = 1; i < f.size(); i++) {
            assertNotSame(f.get(i - 1), f.get(i));
            // Had the images shared the grabber's reused buffer, they would all show the last frame.
            assertTrue(TestVideos.decodeIndex(f.get(i)) > TestVideos.decodeIndex(f.get(i - 1)), "frame " + i + " after frame " + (i - 1));
        }
    }

    @Test
    void shrinksToTheFrameSizeKeepingTheAspectRatio() throws Exception {
        Frames f = new FrameSampler(3, 32).sample(video(TestVideos.Container.MKV));
        assertEquals(32, f.width());
        assertEquals(24, f.height());
        int[] expected = {3, 10, 16}; // floor((i + 0.5) · 20 / 3)
        assertArrayEquals(expected, f.indices());
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], TestVideos.decodeIndex(f.get(i)), "resized frame " + i);
        }
        // Never enlarged.
        Frames big = new FrameSampler(1, 1000).sample(video(TestVideos.Container.MKV));
        assertEquals(64, big.width());
    }

    @Test
    void moreFramesThanTheVideoHasRepeatsFrames() throws Exception {
        Path shortClip = TestVideos.write(dir, "short", TestVideos.Container.AVI, 3);
        Frames f = new FrameSampler(6, 448).sample(shortClip);
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, f.indices());
        for (int i = 0; i < 6; i++) {
            assertEquals(i / 2, TestVideos.decodeIndex(f.get(i)));
        }
    }

    @Test
    void missingFileIsAClearVideoError() {
        VideoException e = assertThrows(VideoException.class, () -> new FrameSampler(4, 448).sample(dir.resolve("nope.mp4")));
        assertTrue(e.getMessage().startsWith("no such video file: ") && e.getMessage().contains("nope.mp4"), e.getMessage());
    }

    @Test
    void corruptFileIsAClearVideoError() throws Exception {
        Path bad = dir.resolve("corrupt.mp4");
        byte[] junk = new byte[4096];
        new java.util.Random(1).nextBytes(junk);
        Files.write(bad, junk);
        VideoException e = assertThrows(VideoException.class, () -> new FrameSampler(4, 448).sample(bad));
        assertTrue(e.getMessage().startsWith("cannot open video ") && e.getMessage().contains("corrupt.mp4"), e.getMessage());

        Path empty = Files.createFile(dir.resolve("empty.webm"));
        VideoException e2 = assertThrows(VideoException.class, () -> new FrameSampler(4, 448).sample(empty));
        assertTrue(e2.getMessage().contains("empty.webm"), e2.getMessage());

        VideoException e3 = assertThrows(VideoException.class, () -> new FrameSampler(4, 448).sample(dir));
        assertTrue(e3.getMessage().contains("directory"), e3.getMessage());
    }

    @Test
    void aContainerThatClaimsMoreFramesThanItHasIsRecounted() throws Exception {
        // A Matroska file cut in half still says 2 s (20 frames) in its header; seeks past the cut find nothing,
        // so the sampler counts the frames that decode and samples among those.
        byte[] whole = Files.readAllBytes(video(TestVideos.Container.MKV));
        Path cut = dir.resolve("cut.mkv");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
        Frames f = new FrameSampler(4, 448).sample(cut);
        int[] idx = f.indices();
        assertTrue(idx[3] < 15, "samples only among the frames that exist: " + Arrays.toString(idx));
        for (int i = 0; i < 4; i++) {
            assertTrue(i == 0 || idx[i] > idx[i - 1], Arrays.toString(idx));
            assertEquals(idx[i], TestVideos.decodeIndex(f.get(i)), "frame " + i + " of the truncated file");
        }
    }

    @Test
    void anMp4WithoutItsIndexCannotBeOpened() throws Exception {
        // FFmpeg's mp4 muxer writes the index (moov) at the end: half a file has none.
        byte[] whole = Files.readAllBytes(video(TestVideos.Container.MP4));
        Path cut = dir.resolve("cut.mp4");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
        VideoException e = assertThrows(VideoException.class, () -> new FrameSampler(4, 448).sample(cut));
        assertTrue(e.getMessage().startsWith("cannot open video ") && e.getMessage().contains("cut.mp4"), e.getMessage());
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new FrameSampler(0, 448));
        assertThrows(IllegalArgumentException.class, () -> new FrameSampler(4, 4));
    }

    @Test
    void uniformPositions() {
        assertArrayEquals(new int[] {2, 7, 12, 17}, Frames.uniformPositions(20, 4));
        assertArrayEquals(new int[] {2, 6}, Frames.uniformPositions(8, 2));
        assertArrayEquals(new int[] {0}, Frames.uniformPositions(1, 1));
        assertArrayEquals(new int[] {50}, Frames.uniformPositions(100, 1));
        assertThrows(IllegalArgumentException.class, () -> Frames.uniformPositions(0, 1));
    }
}
