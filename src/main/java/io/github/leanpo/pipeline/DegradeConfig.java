package io.github.leanpo.pipeline;

/**
 * How the loser's view of the video is degraded (DESIGN.md §5): one random-resized crop at small scale, colour
 * jitter, occasional grayscale, blur and a horizontal flip, drawn once per sample and applied to every frame.
 *
 * @param cropScaleMin  smallest area of the crop as a fraction of the frame (drawn uniformly in [min, max])
 * @param cropScaleMax  largest area of the crop
 * @param cropRatioMin  smallest aspect ratio (w/h) of the crop relative to the frame's (drawn log-uniformly)
 * @param cropRatioMax  largest aspect ratio
 * @param jitter        brightness, contrast and saturation factors drawn in [1 - jitter, 1 + jitter]
 * @param hueJitter     hue shift drawn in [-hueJitter, hueJitter] turns of the colour wheel (at most 0.5)
 * @param grayscaleP    probability of turning the frames gray
 * @param blurSigmaMin  smallest Gaussian blur sigma, in output pixels (drawn uniformly; 0 and 0: no blur)
 * @param blurSigmaMax  largest blur sigma
 * @param flipP         probability of a horizontal flip
 */
public record DegradeConfig(double cropScaleMin, double cropScaleMax, double cropRatioMin, double cropRatioMax,
                            double jitter, double hueJitter, double grayscaleP, double blurSigmaMin, double blurSigmaMax,
                            double flipP) {
    public DegradeConfig {
        check(cropScaleMin > 0 && cropScaleMin <= cropScaleMax && cropScaleMax <= 1,
                "crop scale must satisfy 0 < min <= max <= 1, got " + cropScaleMin + ":" + cropScaleMax);
        check(cropRatioMin > 0 && cropRatioMin <= cropRatioMax, "crop aspect ratio must satisfy 0 < min <= max, got " + cropRatioMin + ":" + cropRatioMax);
        check(jitter >= 0 && jitter < 1, "colour jitter must be in [0, 1), got " + jitter);
        check(hueJitter >= 0 && hueJitter <= 0.5, "hue jitter must be in [0, 0.5], got " + hueJitter);
        check(grayscaleP >= 0 && grayscaleP <= 1, "grayscale probability must be in [0, 1], got " + grayscaleP);
        check(blurSigmaMin >= 0 && blurSigmaMin <= blurSigmaMax && blurSigmaMax <= 50,
                "blur sigma must satisfy 0 <= min <= max <= 50, got " + blurSigmaMin + ":" + blurSigmaMax);
        check(flipP >= 0 && flipP <= 1, "flip probability must be in [0, 1], got " + flipP);
    }

    /** The defaults: crops of 8-25 % of the area, jitter 0.4, hue 0.1, grayscale 20 %, blur sigma 0.5-2, flip 50 %. */
    public static DegradeConfig defaults() {
        return new DegradeConfig(0.08, 0.25, 3.0 / 4, 4.0 / 3, 0.4, 0.1, 0.2, 0.5, 2.0, 0.5);
    }

    /** No degradation at all (the identity view), for tests and ablations. */
    public static DegradeConfig none() {
        return new DegradeConfig(1, 1, 1, 1, 0, 0, 0, 0, 0, 0);
    }

    public DegradeConfig withCropScale(double min, double max) {
        return new DegradeConfig(min, max, cropRatioMin, cropRatioMax, jitter, hueJitter, grayscaleP, blurSigmaMin, blurSigmaMax, flipP);
    }

    public DegradeConfig withJitter(double brightnessContrastSaturation, double hue) {
        return new DegradeConfig(cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, brightnessContrastSaturation, hue, grayscaleP,
                blurSigmaMin, blurSigmaMax, flipP);
    }

    public DegradeConfig withGrayscaleP(double p) {
        return new DegradeConfig(cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, jitter, hueJitter, p, blurSigmaMin, blurSigmaMax, flipP);
    }

    public DegradeConfig withBlurSigma(double min, double max) {
        return new DegradeConfig(cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, jitter, hueJitter, grayscaleP, min, max, flipP);
    }

    public DegradeConfig withFlipP(double p) {
        return new DegradeConfig(cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, jitter, hueJitter, grayscaleP, blurSigmaMin, blurSigmaMax, p);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
