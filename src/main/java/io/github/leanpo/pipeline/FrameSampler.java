package io.github.leanpo.pipeline;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Samples K frames uniformly from a video file through JavaCV's FFmpeg grabber (any container and codec FFmpeg
 * reads: mp4, webm, mkv, avi, mov, ...).
 *
 * <p>Frame {@code i} of K is video frame {@code floor((i + 0.5) · N / K)} of the N frames, reached by an exact
 * seek (FFmpeg seeks to the key frame before it and decodes forward to the frame itself), so a long video costs
 * K short decodes, not one long one. Each frame is copied out of the grabber's reused buffer into a new
 * {@code TYPE_INT_RGB} image and shrunk so its longer side is at most {@code maxSide} (never enlarged).
 * When the container's frame count is missing or wrong (a seek lands past the end), the frames are counted by
 * decoding and the positions recomputed. The recorded indices are the frames actually returned.
 *
 * <p>Thread-safe: each call opens its own grabber. FFmpeg's own log is silenced (errors come back as
 * {@link VideoException} messages); set the system property {@code leanpo.ffmpeg.log=true} to see it.
 */
public final class FrameSampler {
    static {
        if (!Boolean.getBoolean("leanpo.ffmpeg.log")) {
            avutil.av_log_set_level(avutil.AV_LOG_QUIET);
        }
    }

    private final int frames;
    private final int maxSide;

    /**
     * @param frames  K, the number of frames to sample (at least 1)
     * @param maxSide the longest side of a returned frame in pixels (at least 8); larger frames are shrunk
     */
    public FrameSampler(int frames, int maxSide) {
        if (frames < 1) {
            throw new IllegalArgumentException("the number of frames must be at least 1, got " + frames);
        }
        if (maxSide < 8) {
            throw new IllegalArgumentException("the frame size must be at least 8 pixels, got " + maxSide);
        }
        this.frames = frames;
        this.maxSide = maxSide;
    }

    public int frames() {
        return frames;
    }

    public int maxSide() {
        return maxSide;
    }

    /**
     * Samples this sampler's K frames from {@code video}.
     *
     * @throws VideoException when the file is missing, not a video FFmpeg can read, has no video stream or no frame
     */
    public Frames sample(Path video) throws VideoException {
        // Without a frame rate, frame numbers cannot be turned into seek times: decode in order instead.
        return withGrabber(video, g -> g.getFrameRate() > 0 ? bySeeking(g, video) : sequential(g, video));
    }

    /** The same frames as {@link #sample}, found by decoding the whole video in order (the fallback path, for tests). */
    Frames sampleInDecodingOrder(Path video) throws VideoException {
        return withGrabber(video, g -> sequential(g, video));
    }

    private interface GrabberTask {
        Frames run(FFmpegFrameGrabber g) throws VideoException;
    }

    private static Frames withGrabber(Path video, GrabberTask task) throws VideoException {
        if (!Files.exists(video)) {
            throw new VideoException("no such video file: " + video);
        }
        if (Files.isDirectory(video)) {
            throw new VideoException("the video path is a directory: " + video);
        }
        if (!Files.isReadable(video)) {
            throw new VideoException("cannot read the video file (permission denied): " + video);
        }
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile());
        // One decoding thread: the pipeline already decodes one video per worker, and a damaged VP9 stream in
        // Matroska made FFmpeg 8.0.1's frame-threaded decoder call a null function pointer and take the JVM down
        // (found by FrameSamplerFuzzTest; the seed "vp9-frame-threads-null-call" keeps it covered).
        g.setVideoOption("threads", "1");
        try {
            try {
                g.start();
            } catch (FrameGrabber.Exception | RuntimeException e) {
                throw new VideoException("cannot open video " + video + ": not a video FFmpeg can read (" + firstSentence(e) + ")", e);
            }
            if (!g.hasVideo()) {
                throw new VideoException("video " + video + " has no video stream");
            }
            return task.run(g);
        } finally {
            try {
                g.close();
            } catch (Exception e) {
                // Releasing a grabber that failed to start can fail too; the first error is the one to report.
            }
        }
    }

    /** K exact seeks; when the container's frame count is missing or too high, the frames are counted first. */
    private Frames bySeeking(FFmpegFrameGrabber g, Path video) throws VideoException {
        long n = g.getLengthInVideoFrames();
        boolean counted = false;
        if (n <= 0) {
            n = countFrames(g, video);
            counted = true;
        }
        while (true) {
            int[] targets = Frames.uniformPositions(n, frames);
            List<BufferedImage> images = new ArrayList<>(frames);
            int[] got = new int[frames];
            boolean pastEnd = false;
            for (int i = 0; i < frames; i++) {
                Frame f;
                try {
                    g.setVideoFrameNumber(targets[i]);
                    f = g.grabImage();
                } catch (FrameGrabber.Exception | RuntimeException e) {
                    throw new VideoException("cannot decode frame " + targets[i] + " of video " + video + " (" + firstSentence(e) + ")", e);
                }
                if (f == null || f.image == null) {
                    pastEnd = true;
                    break;
                }
                images.add(resize(copyBgr(f, video), maxSide));
                got[i] = Math.max(0, g.getFrameNumber());
            }
            if (!pastEnd) {
                return frames(images, got, video);
            }
            if (counted) {
                throw new VideoException("video " + video + " ended before frame " + targets[images.size()] + " of its " + n
                        + " decodable frames (damaged file?)");
            }
            // The container claimed more frames than there are: count them by decoding, then sample again.
            n = countFrames(g, video);
            counted = true;
        }
    }

    /** Two passes in decoding order (count, then keep the targets), for streams without a usable frame rate. */
    private Frames sequential(FFmpegFrameGrabber g, Path video) throws VideoException {
        try {
            long n = 0;
            while (g.grabImage() != null) {
                n++;
            }
            if (n == 0) {
                throw new VideoException("video " + video + " has no decodable frame");
            }
            int[] targets = Frames.uniformPositions(n, frames);
            g.restart();
            List<BufferedImage> images = new ArrayList<>(frames);
            long index = 0;
            int next = 0;
            Frame f;
            while (next < frames && (f = g.grabImage()) != null) {
                BufferedImage copy = null;
                while (next < frames && targets[next] == index) { // K > N repeats a frame
                    if (copy == null) {
                        copy = resize(copyBgr(f, video), maxSide);
                    }
                    images.add(copy);
                    next++;
                }
                index++;
            }
            if (next < frames) {
                throw new VideoException("video " + video + " ended before frame " + targets[next] + " on the second pass");
            }
            return frames(images, targets, video);
        } catch (FrameGrabber.Exception | RuntimeException e) {
            throw new VideoException("cannot decode video " + video + " (" + firstSentence(e) + ")", e);
        }
    }

    private static long countFrames(FFmpegFrameGrabber g, Path video) throws VideoException {
        long n = 0;
        try {
            g.setVideoFrameNumber(0);
            while (g.grabImage() != null) {
                n++;
            }
        } catch (FrameGrabber.Exception | RuntimeException e) {
            if (n == 0) {
                throw new VideoException("cannot decode video " + video + " (" + firstSentence(e) + ")", e);
            }
            // Damaged tail: the frames before it are still usable.
        }
        if (n == 0) {
            throw new VideoException("video " + video + " has no decodable frame");
        }
        return n;
    }

    /**
     * The sampled frames, which must share one size: a stream can change resolution part-way (spliced or damaged
     * files do), and the model takes frames of one size, so that is this video's failure, not a programming error.
     */
    private static Frames frames(List<BufferedImage> images, int[] indices, Path video) throws VideoException {
        BufferedImage first = images.get(0);
        for (int i = 1; i < images.size(); i++) {
            BufferedImage im = images.get(i);
            if (im.getWidth() != first.getWidth() || im.getHeight() != first.getHeight()) {
                throw new VideoException("video " + video + " changes its frame size part-way (frame " + indices[0] + " is "
                        + first.getWidth() + "x" + first.getHeight() + " after resizing, frame " + indices[i] + " is " + im.getWidth() + "x"
                        + im.getHeight() + "); re-encode it at one size");
            }
        }
        return new Frames(images, indices);
    }

    /** Copies a BGR24 frame out of the grabber's reused buffer into a new RGB image. */
    private static BufferedImage copyBgr(Frame f, Path video) throws VideoException {
        if (f.imageChannels != 3 || f.imageDepth != Frame.DEPTH_UBYTE || !(f.image[0] instanceof ByteBuffer)) {
            throw new VideoException("unexpected frame layout from the decoder for " + video + " (channels " + f.imageChannels
                    + ", depth " + f.imageDepth + ")");
        }
        int w = f.imageWidth;
        int h = f.imageHeight;
        int stride = f.imageStride; // bytes per row, may be padded beyond 3·w
        ByteBuffer buf = (ByteBuffer) f.image[0];
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        byte[] row = new byte[3 * w];
        for (int y = 0; y < h; y++) {
            buf.get(y * stride, row, 0, row.length);
            int o = y * w;
            for (int x = 0, b = 0; x < w; x++, b += 3) {
                px[o + x] = (row[b + 2] & 0xFF) << 16 | (row[b + 1] & 0xFF) << 8 | (row[b] & 0xFF);
            }
        }
        return img;
    }

    /**
     * Shrinks {@code src} so its longer side is at most {@code maxSide}, keeping the aspect ratio; halves repeatedly
     * before the last bilinear step so large reductions do not alias. Returns {@code src} itself when it is small enough.
     */
    static BufferedImage resize(BufferedImage src, int maxSide) {
        int w = src.getWidth();
        int h = src.getHeight();
        int longer = Math.max(w, h);
        if (longer <= maxSide) {
            return src;
        }
        double s = (double) maxSide / longer;
        int tw = Math.max(1, (int) Math.round(w * s));
        int th = Math.max(1, (int) Math.round(h * s));
        BufferedImage cur = src;
        while (cur.getWidth() / 2 >= tw && cur.getHeight() / 2 >= th) {
            cur = scale(cur, cur.getWidth() / 2, cur.getHeight() / 2);
        }
        return cur.getWidth() == tw && cur.getHeight() == th ? cur : scale(cur, tw, th);
    }

    static BufferedImage scale(BufferedImage src, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(src, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static String firstSentence(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int cut = m.indexOf(". (");
        return (cut > 0 ? m.substring(0, cut + 1) : m).strip();
    }
}
