package io.github.leanpo.loss;

/**
 * Label smoothing of the pair loss L = −(1−ε)·logσ(z) − ε·logσ(−z).
 *
 * @param mode    none, fixed ε (cDPO/SimPO style) or dynamic (ε = ε0 only for pairs whose chosen mean
 *                log-prob is below the rejected one, LeanPO's rule)
 * @param epsilon ε or ε0, in [0, 1)
 */
public record Smoothing(Mode mode, double epsilon) {
    public enum Mode { NONE, FIXED, DYNAMIC }

    public Smoothing {
        if (mode == null) {
            throw new IllegalArgumentException("smoothing mode must be given");
        }
        if (!(epsilon >= 0 && epsilon < 1)) {
            throw new IllegalArgumentException("label smoothing epsilon must be in [0, 1), got " + epsilon);
        }
        if (mode == Mode.NONE && epsilon != 0) {
            throw new IllegalArgumentException("smoothing 'none' takes no epsilon, got " + epsilon);
        }
    }

    public static Smoothing none() {
        return new Smoothing(Mode.NONE, 0);
    }

    public static Smoothing fixed(double epsilon) {
        return new Smoothing(Mode.FIXED, epsilon);
    }

    public static Smoothing dynamic(double epsilon0) {
        return new Smoothing(Mode.DYNAMIC, epsilon0);
    }

    @Override
    public String toString() {
        return mode == Mode.NONE ? "none" : mode.name().toLowerCase(java.util.Locale.ROOT) + "(" + epsilon + ")";
    }
}
