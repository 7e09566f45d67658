package io.github.leanpo.model;

import io.github.leanpo.pipeline.Frames;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Frames as the model reads them: a flat f32 array [k, 3, S, S], channels RGB, values scaled to [-1, 1]. */
public final class FrameTensors {
    private FrameTensors() {}

    /** Every frame of {@code frames}, resized to S×S (bilinear) when it is another size. */
    public static float[] toArray(Frames frames, int size) {
        int k = frames.size();
        int plane = size * size;
        float[] out = new float[k * 3 * plane];
        int[] px = new int[plane];
        for (int f = 0; f < k; f++) {
            BufferedImage im = frames.get(f);
            if (im.getWidth() != size || im.getHeight() != size) {
                im = scale(im, size);
            }
            im.getRGB(0, 0, size, size, px, 0, size);
            int base = f * 3 * plane;
            for (int i = 0; i < plane; i++) {
                int p = px[i];
                out[base + i] = ((p >> 16 & 0xFF) / 127.5f) - 1f;
                out[base + plane + i] = ((p >> 8 & 0xFF) / 127.5f) - 1f;
                out[base + 2 * plane + i] = ((p & 0xFF) / 127.5f) - 1f;
            }
        }
        return out;
    }

    private static BufferedImage scale(BufferedImage src, int size) {
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, 0, 0, size, size, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
