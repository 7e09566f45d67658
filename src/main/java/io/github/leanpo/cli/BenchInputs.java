package io.github.leanpo.cli;

import io.github.leanpo.engine.DType;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Random benchmark inputs in native memory, shared by {@code leanpo bench} and the JMH benchmarks so
 * both time the same data. Fast enough for billions of elements (xorshift, no Gaussian sampling).
 */
public final class BenchInputs {
    private BenchInputs() {}

    /** Uninitialised native memory for {@code n} elements of {@code dt} (f32, or 16-bit patterns). */
    public static Pointer alloc(DType dt, long n) {
        return dt == DType.F32 ? new FloatPointer(n) : new ShortPointer(n);
    }

    /** {@code n} values in (−scale, scale), triangular, as {@code dt} (bf16/f16 by truncation). */
    public static Pointer random(DType dt, long n, float scale, long seed) {
        Pointer p = alloc(dt, n);
        fill(p, dt, n, scale, seed);
        return p;
    }

    /** Refills {@code p} with the values {@link #random} would give for the same arguments. */
    public static void fill(Pointer p, DType dt, long n, float scale, long seed) {
        int block = 1 << 16;
        float[] f = new float[block];
        short[] s = new short[block];
        long state = seed | 1;
        FloatPointer f32 = dt == DType.F32 ? new FloatPointer(p) : null; // views: p's own position stays put
        ShortPointer s16 = dt == DType.F32 ? null : new ShortPointer(p);
        for (long i = 0; i < n; i += block) {
            int len = (int) Math.min(block, n - i);
            for (int j = 0; j < len; j++) {
                state = next(state);
                f[j] = value(state, scale);
            }
            if (f32 != null) {
                f32.position(i).put(f, 0, len);
            } else {
                for (int j = 0; j < len; j++) {
                    int b = Float.floatToRawIntBits(f[j]);
                    s[j] = dt == DType.BF16 ? (short) (b >>> 16) : toF16Truncated(b);
                }
                s16.position(i).put(s, 0, len);
            }
        }
    }

    /** The same values as a Java array (f32). */
    public static float[] randomArray(int n, float scale, long seed) {
        float[] a = new float[n];
        long state = seed | 1;
        for (int j = 0; j < n; j++) {
            state = next(state);
            a[j] = value(state, scale);
        }
        return a;
    }

    /** {@code rows} target ids in [0, vocab). */
    public static long[] targets(long rows, long vocab, long seed) {
        long[] t = new long[(int) rows];
        long state = seed | 1;
        for (int i = 0; i < t.length; i++) {
            state = next(state);
            t[i] = Math.floorMod(state, vocab);
        }
        return t;
    }

    /** Offsets of P pairs of (nearly) equal length over T rows. */
    public static long[] pairOffsets(long rows, int pairs) {
        long[] off = new long[2 * pairs + 1];
        for (int s = 0; s <= 2 * pairs; s++) {
            off[s] = rows * s / (2L * pairs);
        }
        return off;
    }

    /**
     * The fused-linear head's three fp32 products without its row kernels — X = H·Wᵀ, dH = G·W,
     * dW += Gᵀ·H — over {@code rows} rows of {@code h} [rows, d] in chunks of {@code chunk} rows and
     * vocabulary tiles of {@code tile} columns ({@code x} holds chunk × tile floats): 6·rows·d·V flops,
     * the ceiling the head is measured against.
     */
    public static void headProducts(FloatPointer h, FloatPointer w, FloatPointer x, FloatPointer dh, FloatPointer dw, long rows,
                                    long d, long vocab, long chunk, long tile) {
        for (long r0 = 0; r0 < rows; r0 += chunk) {
            long c = Math.min(chunk, rows - r0);
            FloatPointer hc = new FloatPointer(h).position(r0 * d);
            FloatPointer dhc = new FloatPointer(dh).position(r0 * d);
            for (long v0 = 0; v0 < vocab; v0 += tile) {
                long n = Math.min(tile, vocab - v0);
                FloatPointer wt = new FloatPointer(w).position(v0 * d);
                io.github.leanpo.nativelib.Blas.sgemm(false, true, c, n, d, 1f, hc, d, wt, d, 0f, x, tile);
                io.github.leanpo.nativelib.Blas.sgemm(false, false, c, d, n, 1f, x, tile, wt, d, v0 == 0 ? 0f : 1f, dhc, d);
                io.github.leanpo.nativelib.Blas.sgemm(true, false, n, d, c, 1f, x, tile, hc, d, 1f, new FloatPointer(dw).position(v0 * d), d);
            }
        }
    }

    private static float value(long state, float scale) {
        return scale * (((state >>> 40) * 0x1p-24f) + (((state >>> 16) & 0xFFFFFF) * 0x1p-24f) - 1f);
    }

    private static short toF16Truncated(int b) {
        int sign = (b >>> 16) & 0x8000;
        int exp = ((b >>> 23) & 0xFF) - 127 + 15;
        return exp <= 0 ? (short) sign : (short) (sign | (exp << 10) | ((b >>> 13) & 0x3FF));
    }

    private static long next(long s) {
        s ^= s << 13;
        s ^= s >>> 7;
        s ^= s << 17;
        return s;
    }
}
