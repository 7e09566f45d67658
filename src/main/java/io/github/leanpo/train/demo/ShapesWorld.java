package io.github.leanpo.train.demo;

import io.github.leanpo.files.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * The demo's synthetic video world: 1-3 shapes of one kind and one colour on a dark background, all moving the same
 * way, rendered to a real video file (MPEG-4 in MP4, 64×64, 16 frames at 8 fps). Four questions per video, each with
 * one fixed answer wording, so answers can be checked by exact match:
 *
 * <ul>
 *   <li>colour — "what colour are the shapes?" → "the colour is red"</li>
 *   <li>shape — "what kind of shape is shown?" → "the shape is a circle"</li>
 *   <li>direction — "which way do the shapes move?" → "they move to the left" / "they move up"</li>
 *   <li>count — "how many shapes are there?" → "the count is two"</li>
 * </ul>
 *
 * Scenes are drawn uniformly from the attribute grid with a seeded generator; nothing about the questions or the
 * answers depends on how any model behaves.
 */
public final class ShapesWorld {
    public static final int SIZE = 64;
    public static final int FRAMES = 16;
    static final String[] COLOURS = {"red", "green", "blue", "yellow"};
    static final Color[] RGB = {new Color(220, 40, 40), new Color(40, 190, 60), new Color(60, 100, 235), new Color(230, 210, 40)};
    static final String[] SHAPES = {"circle", "square", "triangle"};
    static final String[] DIRECTIONS = {"left", "right", "up", "down"};
    static final String[] COUNTS = {"one", "two", "three"};
    private static final int SHAPE_PX = 17;
    private static final int SPEED = 2;

    /** The four kinds of question. */
    public enum Question {
        COLOUR("what colour are the shapes?"),
        SHAPE("what kind of shape is shown?"),
        DIRECTION("which way do the shapes move?"),
        COUNT("how many shapes are there?");

        public final String text;

        Question(String text) {
            this.text = text;
        }

        /** The answer wording for attribute value {@code v}. */
        public String answer(int v) {
            return switch (this) {
                case COLOUR -> "the colour is " + COLOURS[v];
                case SHAPE -> "the shape is a " + SHAPES[v];
                case DIRECTION -> v < 2 ? "they move to the " + DIRECTIONS[v] : "they move " + DIRECTIONS[v];
                case COUNT -> "the count is " + COUNTS[v];
            };
        }

        /** How many values the attribute takes. */
        public int choices() {
            return switch (this) {
                case COLOUR -> COLOURS.length;
                case SHAPE -> SHAPES.length;
                case DIRECTION -> DIRECTIONS.length;
                case COUNT -> COUNTS.length;
            };
        }

        /** Every possible answer, by attribute value. */
        public List<String> answers() {
            List<String> out = new ArrayList<>();
            for (int v = 0; v < choices(); v++) {
                out.add(answer(v));
            }
            return out;
        }
    }

    /**
     * One video's content.
     *
     * @param count     shapes - 1 (0..2)
     * @param colour    index into the colours
     * @param shape     index into the shapes
     * @param direction 0 left, 1 right, 2 up, 3 down
     * @param seed      placement and background
     */
    public record Scene(int count, int colour, int shape, int direction, long seed) {
        public static Scene random(Random rnd) {
            return new Scene(rnd.nextInt(COUNTS.length), rnd.nextInt(COLOURS.length), rnd.nextInt(SHAPES.length),
                    rnd.nextInt(DIRECTIONS.length), rnd.nextLong());
        }

        public int value(Question q) {
            return switch (q) {
                case COLOUR -> colour;
                case SHAPE -> shape;
                case DIRECTION -> direction;
                case COUNT -> count;
            };
        }

        public String answer(Question q) {
            return q.answer(value(q));
        }
    }

    static {
        if (!Boolean.getBoolean("leanpo.ffmpeg.log")) {
            avutil.av_log_set_level(avutil.AV_LOG_QUIET); // the recorder's chatter would bury the demo's output
        }
    }

    private ShapesWorld() {}

    /** Every text the demo's tokenizer must know: the questions and all answers. */
    public static List<String> texts() {
        List<String> out = new ArrayList<>();
        for (Question q : Question.values()) {
            out.add(q.text);
            out.addAll(q.answers());
        }
        return out;
    }

    /** The frames of {@code scene}, as images. */
    public static List<BufferedImage> frames(Scene scene) {
        Random rnd = new Random(scene.seed());
        int n = scene.count() + 1;
        boolean horizontal = scene.direction() < 2;
        int sign = scene.direction() == 0 || scene.direction() == 2 ? -1 : 1;
        int travel = SPEED * (FRAMES - 1);
        int lanes = SIZE / n;
        int[] along = new int[n];
        int[] across = new int[n];
        for (int i = 0; i < n; i++) {
            // start so that the whole path stays inside the frame
            int lo = sign > 0 ? 1 : 1 + travel;
            int hi = sign > 0 ? SIZE - SHAPE_PX - travel - 1 : SIZE - SHAPE_PX - 1;
            along[i] = lo + rnd.nextInt(hi - lo + 1);
            across[i] = i * lanes + rnd.nextInt(Math.max(1, lanes - SHAPE_PX));
        }
        int bg = 10 + rnd.nextInt(40);
        List<BufferedImage> out = new ArrayList<>(FRAMES);
        for (int f = 0; f < FRAMES; f++) {
            BufferedImage im = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = im.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                g.setColor(new Color(bg, bg, bg));
                g.fillRect(0, 0, SIZE, SIZE);
                g.setColor(RGB[scene.colour()]);
                for (int i = 0; i < n; i++) {
                    int a = along[i] + sign * SPEED * f;
                    int x = horizontal ? a : across[i];
                    int y = horizontal ? across[i] : a;
                    switch (scene.shape()) {
                        case 0 -> g.fillOval(x, y, SHAPE_PX, SHAPE_PX);
                        case 1 -> g.fillRect(x + 1, y + 1, SHAPE_PX - 2, SHAPE_PX - 2);
                        default -> g.fillPolygon(new int[] {x + SHAPE_PX / 2, x, x + SHAPE_PX}, new int[] {y, y + SHAPE_PX, y + SHAPE_PX}, 3);
                    }
                }
            } finally {
                g.dispose();
            }
            out.add(im);
        }
        return out;
    }

    /** Renders {@code scene} to {@code file} (an .mp4), atomically ({@link AtomicFiles}). */
    public static void render(Scene scene, Path file) throws IOException {
        AtomicFiles.writeVia(file, tmp -> record(scene, tmp));
    }

    /** Records the scene to {@code file}; the format is set explicitly (the name need not end in .mp4). */
    private static void record(Scene scene, Path file) throws IOException {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), SIZE, SIZE);
        r.setFormat("mp4");
        r.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
        r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
        r.setFrameRate(8);
        r.setGopSize(4);
        r.setVideoBitrate(400_000);
        try {
            r.start();
            Frame frame = new Frame(SIZE, SIZE, Frame.DEPTH_UBYTE, 3);
            ByteBuffer b = (ByteBuffer) frame.image[0];
            int stride = frame.imageStride;
            int[] px = new int[SIZE * SIZE];
            for (BufferedImage im : frames(scene)) {
                im.getRGB(0, 0, SIZE, SIZE, px, 0, SIZE);
                for (int y = 0; y < SIZE; y++) {
                    for (int x = 0; x < SIZE; x++) {
                        int p = px[y * SIZE + x];
                        int o = y * stride + 3 * x;
                        b.put(o, (byte) (p & 0xFF));
                        b.put(o + 1, (byte) (p >> 8 & 0xFF));
                        b.put(o + 2, (byte) (p >> 16 & 0xFF));
                    }
                }
                r.record(frame, avutil.AV_PIX_FMT_BGR24);
            }
            r.stop();
        } catch (FFmpegFrameRecorder.Exception e) {
            throw new IOException("cannot write the demo video " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                r.release();
            } catch (FFmpegFrameRecorder.Exception e) {
                // the first error is the one reported
            }
        }
    }
}
