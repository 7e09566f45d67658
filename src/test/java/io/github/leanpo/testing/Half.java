package io.github.leanpo.testing;

/** bf16 and IEEE f16 conversions for tests (Java 17 has no Float.floatToFloat16). */
public final class Half {
    private Half() {}

    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /** Round to nearest even. */
    public static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((u >>> 16) | 0x40);
        }
        return (short) ((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16);
    }

    public static float f16ToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits >>> 15) != 0 ? -1 : 1;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0) {
            return sign * mant * 0x1p-24f;
        }
        if (exp == 31) {
            return mant == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
        }
        return sign * (1 + mant / 1024f) * (float) Math.pow(2, exp - 15);
    }

    /** Round to nearest even, through fp64 arithmetic on the exact value. */
    public static short toF16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7E00;
        }
        int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x8000 : 0;
        double a = Math.abs((double) f);
        if (a >= 65520) {
            return (short) (sign | 0x7C00);
        }
        if (a < 0x1p-14) { // subnormal: multiples of 2^-24
            long m = Math.round(Math.rint(a / 0x1p-24));
            return (short) (sign | (int) m);
        }
        int e = Math.getExponent(a);
        double mant = a / Math.pow(2, e) - 1; // [0, 1)
        long m = (long) Math.rint(mant * 1024);
        if (m == 1024) {
            m = 0;
            e++;
        }
        if (e + 15 >= 31) {
            return (short) (sign | 0x7C00);
        }
        return (short) (sign | ((e + 15) << 10) | (int) m);
    }
}
