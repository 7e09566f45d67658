package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The loser's degradation: seeded, the same for every frame, and each operation doing what it says. */
class DegraderTest {
    static BufferedImage noise(int w, int h, long seed) {
        Random r = new Random(seed);
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                im.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return im;
    }

    static int[] pixels(BufferedImage im) {
        return im.getRGB(0, 0, im.getWidth(), im.getHeight(), null, 0, im.getWidth());
    }

    static DegradeParams identity() {
        return new DegradeParams(0, 0, 1, 1, 1, 1, 1, 0, false, 0, false);
    }

    @Test
    void sameSeedSameParametersAndPixels() {
        Degrader d = new Degrader(DegradeConfig.defaults());
        assertEquals(d.draw(42), d.draw(42));
        assertNotEquals(d.draw(42), d.draw(43));
        BufferedImage im = noise(40, 30, 1);
        assertArrayEquals(pixels(Degrader.apply(im, d.draw(42))), pixels(Degrader.apply(im, d.draw(42))));
    }

    @Test
    void drawsStayWithinTheConfiguredRanges() {
        DegradeConfig c = DegradeConfig.defaults();
        Degrader d = new Degrader(c);
        int gray = 0;
        int flips = 0;
        for (long seed = 0; seed < 2000; seed++) {
            DegradeParams p = d.draw(seed);
            double area = p.cropW() * p.cropH();
            assertTrue(area >= c.cropScaleMin() - 1e-9 && area <= c.cropScaleMax() + 1e-9, "crop area " + area);
            assertTrue(p.cropX() >= 0 && p.cropX() + p.cropW() <= 1 + 1e-9 && p.cropY() >= 0 && p.cropY() + p.cropH() <= 1 + 1e-9);
            assertTrue(Math.abs(p.brightness() - 1) <= c.jitter() && Math.abs(p.contrast() - 1) <= c.jitter()
                    && Math.abs(p.saturation() - 1) <= c.jitter() && Math.abs(p.hue()) <= c.hueJitter());
            assertTrue(p.blurSigma() >= c.blurSigmaMin() && p.blurSigma() <= c.blurSigmaMax());
            gray += p.grayscale() ? 1 : 0;
            flips += p.flip() ? 1 : 0;
        }
        assertTrue(gray > 300 && gray < 500, "grayscale about 20% of the time: " + gray);
        assertTrue(flips > 900 && flips < 1100, "flip about 50% of the time: " + flips);
    }

    @Test
    void theSameParametersForEveryFrame() {
        Degrader d = new Degrader(DegradeConfig.defaults());
        BufferedImage a = noise(32, 24, 1);
        BufferedImage b = noise(32, 24, 2);
        Frames f = new Frames(List.of(a, b, a), new int[] {3, 9, 15});
        Frames out = d.apply(f, d.draw(7));
        assertArrayEquals(new int[] {3, 9, 15}, out.indices());
        assertEquals(32, out.width());
        assertEquals(24, out.height());
        // Identical inputs give identical outputs: nothing is drawn per frame.
        assertArrayEquals(pixels(out.get(0)), pixels(out.get(2)));
        assertFalse(java.util.Arrays.equals(pixels(out.get(0)), pixels(out.get(1))));
        assertFalse(java.util.Arrays.equals(pixels(a), pixels(out.get(0))), "the view is degraded");
    }

    @Test
    void identityParametersKeepThePixels() {
        BufferedImage im = noise(17, 11, 3);
        assertArrayEquals(pixels(im), pixels(Degrader.apply(im, identity())));
        Degrader none = new Degrader(DegradeConfig.none());
        assertArrayEquals(pixels(im), pixels(Degrader.apply(im, none.draw(5))));
    }

    @Test
    void flipMirrorsLeftRight() {
        BufferedImage im = noise(9, 5, 4);
        BufferedImage out = Degrader.apply(im, new DegradeParams(0, 0, 1, 1, 1, 1, 1, 0, false, 0, true));
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 9; x++) {
                assertEquals(im.getRGB(8 - x, y), out.getRGB(x, y));
            }
        }
    }

    @Test
    void cropEnlargesTheChosenRegion() {
        // Left half black, right half white; a crop of the right quarter is all white.
        BufferedImage im = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 20; x < 40; x++) {
                im.setRGB(x, y, 0xFFFFFF);
            }
        }
        BufferedImage out = Degrader.apply(im, new DegradeParams(0.75, 0.25, 0.25, 0.5, 1, 1, 1, 0, false, 0, false));
        assertEquals(40, out.getWidth());
        for (int p : pixels(out)) {
            assertEquals(0xFFFFFF, p & 0xFFFFFF);
        }
        BufferedImage left = Degrader.apply(im, new DegradeParams(0, 0, 0.25, 0.5, 1, 1, 1, 0, false, 0, false));
        for (int p : pixels(left)) {
            assertEquals(0, p & 0xFFFFFF);
        }
    }

    @Test
    void grayscaleAndJitterAndBlur() {
        BufferedImage im = noise(24, 16, 5);
        BufferedImage g = Degrader.apply(im, new DegradeParams(0, 0, 1, 1, 1, 1, 1, 0, true, 0, false));
        for (int p : pixels(g)) {
            assertEquals(p >> 16 & 0xFF, p >> 8 & 0xFF);
            assertEquals(p >> 8 & 0xFF, p & 0xFF);
        }
        BufferedImage dark = Degrader.apply(im, new DegradeParams(0, 0, 1, 1, 0.5, 1, 1, 0, false, 0, false));
        assertTrue(mean(dark) < 0.55 * mean(im) && mean(dark) > 0.45 * mean(im), "brightness 0.5 halves the mean");
        BufferedImage blurred = Degrader.apply(im, new DegradeParams(0, 0, 1, 1, 1, 1, 1, 0, false, 2.0, false));
        assertTrue(variance(blurred) < 0.3 * variance(im), "blur removes most of the noise variance");
        assertEquals(mean(im), mean(blurred), 6.0);
        BufferedImage hue = Degrader.apply(im, new DegradeParams(0, 0, 1, 1, 1, 1, 1, 0.5, false, 0, false));
        assertFalse(java.util.Arrays.equals(pixels(im), pixels(hue)));
    }

    @Test
    void invalidConfigsAreRejectedWithTheirRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DegradeConfig.defaults().withCropScale(0.5, 0.2));
        assertTrue(e.getMessage().contains("crop scale"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DegradeConfig.defaults().withCropScale(0, 0.2));
        assertThrows(IllegalArgumentException.class, () -> DegradeConfig.defaults().withGrayscaleP(1.5));
        assertThrows(IllegalArgumentException.class, () -> DegradeConfig.defaults().withFlipP(-0.1));
        assertThrows(IllegalArgumentException.class, () -> DegradeConfig.defaults().withBlurSigma(2, 1));
        assertThrows(IllegalArgumentException.class, () -> DegradeConfig.defaults().withJitter(1.0, 0.1));
    }

    @Test
    void parametersAreRecordedAsJson() {
        var m = new Degrader(DegradeConfig.defaults()).draw(1).toMap();
        assertEquals(List.of("crop", "brightness", "contrast", "saturation", "hue", "grayscale", "blur_sigma", "flip"), new ArrayList<>(m.keySet()));
    }

    static double mean(BufferedImage im) {
        double s = 0;
        int[] p = pixels(im);
        for (int v : p) {
            s += (v >> 16 & 0xFF) + (v >> 8 & 0xFF) + (v & 0xFF);
        }
        return s / (3.0 * p.length);
    }

    static double variance(BufferedImage im) {
        double m = mean(im);
        double s = 0;
        int[] p = pixels(im);
        for (int v : p) {
            for (int c : new int[] {v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF}) {
                s += (c - m) * (c - m);
            }
        }
        return s / (3.0 * p.length);
    }
}
