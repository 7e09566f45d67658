package io.github.leanpo.pipeline;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The frames of one video that a model sees, in time order: RGB images ({@link BufferedImage#TYPE_INT_RGB}),
 * all the same size, each owned by this object (never a view of a decoder's buffer), and the index of the video
 * frame each was taken from.
 *
 * <p>Treat the images as read-only: a frame set is shared by every request of a sample. Model backends may
 * cache a derived form (e.g. the encoded images of an HTTP request) through {@link #memo}, so that a sample's
 * several requests encode the frames once.
 */
public final class Frames {
    private final List<BufferedImage> images;
    private final int[] indices;
    private final Map<String, Object> memo = new ConcurrentHashMap<>();

    /**
     * @param images  the frames (at least one, all the same size, TYPE_INT_RGB)
     * @param indices the video frame index of each image
     */
    public Frames(List<BufferedImage> images, int[] indices) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("a frame set needs at least one frame");
        }
        if (images.size() != indices.length) {
            throw new IllegalArgumentException(images.size() + " images but " + indices.length + " frame indices");
        }
        int w = images.get(0).getWidth();
        int h = images.get(0).getHeight();
        for (int i = 0; i < images.size(); i++) {
            BufferedImage im = images.get(i);
            if (im.getType() != BufferedImage.TYPE_INT_RGB) {
                throw new IllegalArgumentException("frame " + i + " must be TYPE_INT_RGB, got type " + im.getType());
            }
            if (im.getWidth() != w || im.getHeight() != h) {
                throw new IllegalArgumentException("frame " + i + " is " + im.getWidth() + "x" + im.getHeight() + ", frame 0 is " + w + "x" + h);
            }
        }
        this.images = List.copyOf(images);
        this.indices = indices.clone();
    }

    public List<BufferedImage> images() {
        return images;
    }

    public int size() {
        return images.size();
    }

    public BufferedImage get(int i) {
        return images.get(i);
    }

    /** The video frame index of each image (a copy). */
    public int[] indices() {
        return indices.clone();
    }

    public int width() {
        return images.get(0).getWidth();
    }

    public int height() {
        return images.get(0).getHeight();
    }

    /** The frames at the given positions of this set (not video frame indices), e.g. the loser's fewer frames. */
    public Frames select(int[] positions) {
        BufferedImage[] im = new BufferedImage[positions.length];
        int[] idx = new int[positions.length];
        for (int i = 0; i < positions.length; i++) {
            im[i] = images.get(positions[i]);
            idx[i] = indices[positions[i]];
        }
        return new Frames(Arrays.asList(im), idx);
    }

    /** A value derived from these frames, computed once per key (thread-safe). */
    @SuppressWarnings("unchecked")
    public <T> T memo(String key, Supplier<T> compute) {
        return (T) memo.computeIfAbsent(key, k -> compute.get());
    }

    /**
     * {@code count} positions spread uniformly over {@code n} items: the centre of each of {@code count} equal
     * segments, {@code floor((i + 0.5) · n / count)}. With {@code count > n} some positions repeat.
     */
    public static int[] uniformPositions(long n, int count) {
        if (n < 1 || count < 1) {
            throw new IllegalArgumentException("need n >= 1 and count >= 1, got n=" + n + ", count=" + count);
        }
        int[] p = new int[count];
        for (int i = 0; i < count; i++) {
            p[i] = (int) Math.min(n - 1, (long) Math.floor((i + 0.5) * n / count));
        }
        return p;
    }
}
