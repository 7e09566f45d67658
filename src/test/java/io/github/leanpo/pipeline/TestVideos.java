package io.github.leanpo.pipeline;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Real video files for the tests, written with JavaCV's recorder. Frame {@code i} is black with a 16×16 square at
 * x = 2i, y = 16 (in a 64×48 frame) whose colour is {@code PALETTE[i % 4]}, so the frame index can be read back from
 * any decoded frame, lossy codecs and resizing included.
 */
final class TestVideos {
    static final int W = 64;
    static final int H = 48;
    static final int SQUARE = 16;
    static final int[] PALETTE = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00};

    /** Containers and codecs the FFmpeg build of the JavaCPP presets can write (LGPL build: no x264). */
    enum Container {
        MP4("mp4", "mp4", avcodec.AV_CODEC_ID_MPEG4),
        WEBM("webm", "webm", avcodec.AV_CODEC_ID_VP8),
        MKV("mkv", "matroska", avcodec.AV_CODEC_ID_VP9),
        AVI("avi", "avi", avcodec.AV_CODEC_ID_MJPEG);

        final String extension;
        final String format;
        final int codec;

        Container(String extension, String format, int codec) {
            this.extension = extension;
            this.format = format;
            this.codec = codec;
        }
    }

    static {
        avutil.av_log_set_level(avutil.AV_LOG_QUIET); // the recorder's chatter would bury the test output
    }

    private TestVideos() {}

    /** Writes {@code frames} frames at 10 fps with a key frame every 5 frames, so seeks must decode forward. */
    static Path write(Path dir, String name, Container c, int frames) throws Exception {
        Path file = dir.resolve(name + "." + c.extension);
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), W, H);
        r.setFormat(c.format);
        r.setVideoCodec(c.codec);
        r.setFrameRate(10);
        r.setGopSize(5);
        if (c.codec == avcodec.AV_CODEC_ID_MJPEG) {
            r.setPixelFormat(avutil.AV_PIX_FMT_YUVJ420P);
        } else {
            r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
        }
        if (c.codec == avcodec.AV_CODEC_ID_MPEG4 || c.codec == avcodec.AV_CODEC_ID_MJPEG) {
            r.setVideoQuality(2);
        } else {
            r.setVideoBitrate(400_000);
        }
        r.start();
        try {
            for (int i = 0; i < frames; i++) {
                Frame f = new Frame(W, H, Frame.DEPTH_UBYTE, 3);
                ByteBuffer b = (ByteBuffer) f.image[0];
                int stride = f.imageStride;
                int rgb = PALETTE[i % PALETTE.length];
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        boolean in = x >= 2 * i && x < 2 * i + SQUARE && y >= 16 && y < 16 + SQUARE;
                        int o = y * stride + 3 * x;
                        b.put(o, (byte) (in ? rgb & 0xFF : 0));
                        b.put(o + 1, (byte) (in ? rgb >> 8 & 0xFF : 0));
                        b.put(o + 2, (byte) (in ? rgb >> 16 & 0xFF : 0));
                    }
                }
                r.record(f, avutil.AV_PIX_FMT_BGR24);
            }
        } finally {
            r.stop();
            r.release();
        }
        return file;
    }

    /** The frame index drawn into {@code im}: from the x centroid of the square, scaled to the image's width. */
    static int decodeIndex(BufferedImage im) {
        double scale = (double) im.getWidth() / W;
        double sx = 0;
        double n = 0;
        for (int y = 0; y < im.getHeight(); y++) {
            for (int x = 0; x < im.getWidth(); x++) {
                int p = im.getRGB(x, y);
                int max = Math.max(p >> 16 & 0xFF, Math.max(p >> 8 & 0xFF, p & 0xFF));
                if (max > 100) {
                    sx += x + 0.5;
                    n++;
                }
            }
        }
        if (n == 0) {
            return -1;
        }
        double left = sx / n / scale - SQUARE / 2.0;
        return (int) Math.round(left / 2);
    }

    /** The palette entry closest to the mean colour of the square, or -1 when there is no square. */
    static int decodeColour(BufferedImage im) {
        double r = 0;
        double g = 0;
        double b = 0;
        int n = 0;
        for (int y = 0; y < im.getHeight(); y++) {
            for (int x = 0; x < im.getWidth(); x++) {
                int p = im.getRGB(x, y);
                if (Math.max(p >> 16 & 0xFF, Math.max(p >> 8 & 0xFF, p & 0xFF)) > 100) {
                    r += p >> 16 & 0xFF;
                    g += p >> 8 & 0xFF;
                    b += p & 0xFF;
                    n++;
                }
            }
        }
        if (n == 0) {
            return -1;
        }
        int best = -1;
        double bestD = Double.MAX_VALUE;
        for (int k = 0; k < PALETTE.length; k++) {
            int c = PALETTE[k];
            double d = sq(r / n - (c >> 16 & 0xFF)) + sq(g / n - (c >> 8 & 0xFF)) + sq(b / n - (c & 0xFF));
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best;
    }

    private static double sq(double v) {
        return v * v;
    }
}
