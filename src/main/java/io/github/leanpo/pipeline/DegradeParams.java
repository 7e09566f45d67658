package io.github.leanpo.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One draw of the degradation, applied identically to every frame of a sample. The crop is in fractions of the
 * frame so the same parameters fit any frame size.
 *
 * @param cropX      left edge of the crop, as a fraction of the width
 * @param cropY      top edge of the crop, as a fraction of the height
 * @param cropW      crop width, as a fraction of the width
 * @param cropH      crop height, as a fraction of the height
 * @param brightness multiplicative factor (1 = unchanged)
 * @param contrast   factor around the mean gray level (1 = unchanged)
 * @param saturation factor away from gray (1 = unchanged)
 * @param hue       hue shift in turns of the colour wheel
 * @param grayscale whether the frames are turned gray (after the colour jitter)
 * @param blurSigma Gaussian blur sigma in output pixels (0 = none)
 * @param flip      whether the frames are mirrored left-right
 */
public record DegradeParams(double cropX, double cropY, double cropW, double cropH, double brightness, double contrast,
                            double saturation, double hue, boolean grayscale, double blurSigma, boolean flip) {

    /** The parameters as a JSON-ready map (recorded with each pair). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("crop", new double[] {round(cropX), round(cropY), round(cropW), round(cropH)});
        m.put("brightness", round(brightness));
        m.put("contrast", round(contrast));
        m.put("saturation", round(saturation));
        m.put("hue", round(hue));
        m.put("grayscale", grayscale);
        m.put("blur_sigma", round(blurSigma));
        m.put("flip", flip);
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}
