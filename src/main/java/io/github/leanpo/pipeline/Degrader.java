package io.github.leanpo.pipeline;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The loser's degraded view of a video (DESIGN.md §5, step 3): a random-resized crop at small scale (resized back
 * to the frame size), a horizontal flip, colour jitter (brightness, contrast, saturation, hue), occasional grayscale
 * and a Gaussian blur. Parameters are drawn once per sample from a seed ({@link #draw}) and the same parameters are
 * applied to every frame ({@link #apply}), so the degraded clip stays temporally consistent.
 *
 * <p>Pure Java arithmetic on float channels, so the output depends only on the input pixels and the seed, on any
 * machine. Thread-safe.
 */
public final class Degrader {
    private final DegradeConfig config;

    public Degrader(DegradeConfig config) {
        this.config = config;
    }

    public DegradeConfig config() {
        return config;
    }

    /** Draws the parameters for one sample; the same seed always gives the same parameters. */
    public DegradeParams draw(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DegradeConfig c = config;
        double scale = uniform(r, c.cropScaleMin(), c.cropScaleMax());
        double ratio = Math.exp(uniform(r, Math.log(c.cropRatioMin()), Math.log(c.cropRatioMax())));
        double cw = Math.min(1, Math.sqrt(scale * ratio));
        double ch = Math.min(1, Math.sqrt(scale / ratio));
        double cx = uniform(r, 0, 1 - cw);
        double cy = uniform(r, 0, 1 - ch);
        double brightness = uniform(r, 1 - c.jitter(), 1 + c.jitter());
        double contrast = uniform(r, 1 - c.jitter(), 1 + c.jitter());
        double saturation = uniform(r, 1 - c.jitter(), 1 + c.jitter());
        double hue = uniform(r, -c.hueJitter(), c.hueJitter());
        boolean gray = r.nextDouble() < c.grayscaleP();
        double sigma = uniform(r, c.blurSigmaMin(), c.blurSigmaMax());
        boolean flip = r.nextDouble() < c.flipP();
        return new DegradeParams(cx, cy, cw, ch, brightness, contrast, saturation, hue, gray, sigma, flip);
    }

    /** Applies {@code p} to every frame; the result has the same size and frame indices as {@code frames}. */
    public Frames apply(Frames frames, DegradeParams p) {
        List<BufferedImage> out = new ArrayList<>(frames.size());
        for (BufferedImage im : frames.images()) {
            out.add(apply(im, p));
        }
        return new Frames(out, frames.indices());
    }

    /** Applies {@code p} to one TYPE_INT_RGB image, returning a new image of the same size. */
    public static BufferedImage apply(BufferedImage src, DegradeParams p) {
        int w = src.getWidth();
        int h = src.getHeight();
        int n = w * h;
        float[] r = new float[n];
        float[] g = new float[n];
        float[] b = new float[n];
        cropResize(src, p, r, g, b);
        if (p.flip()) {
            flip(r, w, h);
            flip(g, w, h);
            flip(b, w, h);
        }
        if (p.brightness() != 1) {
            for (int i = 0; i < n; i++) {
                r[i] = clamp(r[i] * (float) p.brightness());
                g[i] = clamp(g[i] * (float) p.brightness());
                b[i] = clamp(b[i] * (float) p.brightness());
            }
        }
        if (p.contrast() != 1) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += gray(r[i], g[i], b[i]);
            }
            float mean = (float) (sum / n);
            float c = (float) p.contrast();
            for (int i = 0; i < n; i++) {
                r[i] = clamp((r[i] - mean) * c + mean);
                g[i] = clamp((g[i] - mean) * c + mean);
                b[i] = clamp((b[i] - mean) * c + mean);
            }
        }
        if (p.saturation() != 1) {
            float s = (float) p.saturation();
            for (int i = 0; i < n; i++) {
                float y = gray(r[i], g[i], b[i]);
                r[i] = clamp(y + (r[i] - y) * s);
                g[i] = clamp(y + (g[i] - y) * s);
                b[i] = clamp(y + (b[i] - y) * s);
            }
        }
        if (p.hue() != 0) {
            shiftHue(r, g, b, (float) p.hue());
        }
        if (p.grayscale()) {
            for (int i = 0; i < n; i++) {
                float y = gray(r[i], g[i], b[i]);
                r[i] = y;
                g[i] = y;
                b[i] = y;
            }
        }
        if (p.blurSigma() > 0) {
            float[] k = gaussian(p.blurSigma());
            blur(r, w, h, k);
            blur(g, w, h, k);
            blur(b, w, h, k);
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < n; i++) {
            px[i] = Math.round(clamp(r[i])) << 16 | Math.round(clamp(g[i])) << 8 | Math.round(clamp(b[i]));
        }
        return out;
    }

    /** Bilinear resampling of the crop rectangle onto the full w×h grid (pixel centres aligned). */
    private static void cropResize(BufferedImage src, DegradeParams p, float[] r, float[] g, float[] b) {
        int w = src.getWidth();
        int h = src.getHeight();
        int[] px = src.getRGB(0, 0, w, h, null, 0, w);
        double x0 = p.cropX() * w;
        double y0 = p.cropY() * h;
        double sx = Math.max(1.0 / w, p.cropW()); // at least one source pixel wide
        double sy = Math.max(1.0 / h, p.cropH());
        for (int oy = 0; oy < h; oy++) {
            double fy = y0 + (oy + 0.5) * sy - 0.5;
            int ya = (int) Math.floor(fy);
            double ty = fy - ya;
            int y1 = clampIndex(ya, h);
            int y2 = clampIndex(ya + 1, h);
            for (int ox = 0; ox < w; ox++) {
                double fx = x0 + (ox + 0.5) * sx - 0.5;
                int xa = (int) Math.floor(fx);
                double tx = fx - xa;
                int x1 = clampIndex(xa, w);
                int x2 = clampIndex(xa + 1, w);
                int a = px[y1 * w + x1];
                int bb = px[y1 * w + x2];
                int c = px[y2 * w + x1];
                int d = px[y2 * w + x2];
                int o = oy * w + ox;
                r[o] = lerp2(a >> 16 & 0xFF, bb >> 16 & 0xFF, c >> 16 & 0xFF, d >> 16 & 0xFF, tx, ty);
                g[o] = lerp2(a >> 8 & 0xFF, bb >> 8 & 0xFF, c >> 8 & 0xFF, d >> 8 & 0xFF, tx, ty);
                b[o] = lerp2(a & 0xFF, bb & 0xFF, c & 0xFF, d & 0xFF, tx, ty);
            }
        }
    }

    private static float lerp2(int a, int b, int c, int d, double tx, double ty) {
        double top = a + (b - a) * tx;
        double bottom = c + (d - c) * tx;
        return (float) (top + (bottom - top) * ty);
    }

    private static void flip(float[] ch, int w, int h) {
        for (int y = 0; y < h; y++) {
            int o = y * w;
            for (int x = 0; x < w / 2; x++) {
                float t = ch[o + x];
                ch[o + x] = ch[o + w - 1 - x];
                ch[o + w - 1 - x] = t;
            }
        }
    }

    /** Rotates the hue of every pixel by {@code turns} of the colour wheel (through HSV). */
    private static void shiftHue(float[] r, float[] g, float[] b, float turns) {
        for (int i = 0; i < r.length; i++) {
            float rr = r[i] / 255f;
            float gg = g[i] / 255f;
            float bl = b[i] / 255f;
            float max = Math.max(rr, Math.max(gg, bl));
            float min = Math.min(rr, Math.min(gg, bl));
            float delta = max - min;
            if (delta <= 0) {
                continue; // gray: no hue to shift
            }
            float hue;
            if (max == rr) {
                hue = ((gg - bl) / delta) / 6f;
            } else if (max == gg) {
                hue = ((bl - rr) / delta + 2) / 6f;
            } else {
                hue = ((rr - gg) / delta + 4) / 6f;
            }
            hue += turns;
            hue -= (float) Math.floor(hue);
            float s = delta / max;
            float v = max;
            float h6 = hue * 6f;
            int sector = Math.min(5, (int) h6);
            float f = h6 - sector;
            float pp = v * (1 - s);
            float q = v * (1 - s * f);
            float t = v * (1 - s * (1 - f));
            float nr;
            float ng;
            float nb;
            switch (sector) {
                case 0 -> { nr = v; ng = t; nb = pp; }
                case 1 -> { nr = q; ng = v; nb = pp; }
                case 2 -> { nr = pp; ng = v; nb = t; }
                case 3 -> { nr = pp; ng = q; nb = v; }
                case 4 -> { nr = t; ng = pp; nb = v; }
                default -> { nr = v; ng = pp; nb = q; }
            }
            r[i] = clamp(nr * 255f);
            g[i] = clamp(ng * 255f);
            b[i] = clamp(nb * 255f);
        }
    }

    private static float[] gaussian(double sigma) {
        int radius = Math.max(1, (int) Math.ceil(3 * sigma));
        float[] k = new float[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            double v = Math.exp(-(i * i) / (2 * sigma * sigma));
            k[i + radius] = (float) v;
            sum += v;
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= (float) sum;
        }
        return k;
    }

    /** Separable blur with edge clamping. */
    private static void blur(float[] ch, int w, int h, float[] k) {
        int radius = k.length / 2;
        float[] tmp = new float[ch.length];
        for (int y = 0; y < h; y++) {
            int o = y * w;
            for (int x = 0; x < w; x++) {
                float acc = 0;
                for (int j = -radius; j <= radius; j++) {
                    acc += k[j + radius] * ch[o + clampIndex(x + j, w)];
                }
                tmp[o + x] = acc;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float acc = 0;
                for (int j = -radius; j <= radius; j++) {
                    acc += k[j + radius] * tmp[clampIndex(y + j, h) * w + x];
                }
                ch[y * w + x] = acc;
            }
        }
    }

    private static float gray(float r, float g, float b) {
        return 0.299f * r + 0.587f * g + 0.114f * b;
    }

    private static float clamp(float v) {
        return v < 0 ? 0 : Math.min(v, 255f);
    }

    private static int clampIndex(int i, int n) {
        return i < 0 ? 0 : Math.min(i, n - 1);
    }

    private static double uniform(SplittableRandom r, double lo, double hi) {
        double u = r.nextDouble(); // always drawn, so every parameter keeps its place in the stream whatever the config
        return lo + (hi - lo) * u;
    }
}
