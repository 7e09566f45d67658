package io.github.leanpo.testing;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import java.util.Random;

/**
 * A reproducible random logits-in batch for tests: logits as the engine sees them (f32, bf16 or f16
 * bit patterns) and the exact fp64 values of those same numbers for the oracle, targets with masked
 * rows inside sequences, and the pair layout.
 */
public final class RandomBatch {
    public final int vocab;
    public final int rows;
    public final DType dtype;
    public final long[] offsets;
    public final long[] targets;
    public final double[] logitsF64;
    public final float[] logitsF32; // when dtype == F32
    public final short[] logits16; // when dtype is BF16 or F16
    public final float[] refSum;

    /**
     * @param chosenLens   rows of each pair's chosen sequence
     * @param rejectedLens rows of each pair's rejected sequence (0 allowed: SFT)
     * @param maskFrac     chance that a row is masked (a sequence with rows keeps at least one unmasked)
     * @param scale        standard deviation of the logits
     */
    public RandomBatch(long seed, int vocab, int[] chosenLens, int[] rejectedLens, DType dtype, double maskFrac, double scale,
                       long ignoreIndex) {
        Random rnd = new Random(seed);
        this.vocab = vocab;
        this.dtype = dtype;
        int pairs = chosenLens.length;
        BatchLayout.Builder b = BatchLayout.builder();
        for (int p = 0; p < pairs; p++) {
            b.addPair(chosenLens[p], rejectedLens[p]);
        }
        this.offsets = b.build().offsets();
        this.rows = (int) offsets[offsets.length - 1];
        this.targets = new long[rows];
        for (int s = 0; s + 1 < offsets.length; s++) {
            int begin = (int) offsets[s];
            int end = (int) offsets[s + 1];
            int keep = end > begin ? begin + rnd.nextInt(end - begin) : -1;
            for (int t = begin; t < end; t++) {
                targets[t] = (t != keep && rnd.nextDouble() < maskFrac) ? ignoreIndex : rnd.nextInt(vocab);
            }
        }
        long n = (long) rows * vocab;
        this.logitsF64 = new double[(int) n];
        if (dtype == DType.F32) {
            logitsF32 = new float[(int) n];
            logits16 = null;
            for (int i = 0; i < n; i++) {
                logitsF32[i] = (float) (rnd.nextGaussian() * scale);
                logitsF64[i] = logitsF32[i];
            }
        } else {
            logitsF32 = null;
            logits16 = new short[(int) n];
            for (int i = 0; i < n; i++) {
                float v = (float) (rnd.nextGaussian() * scale);
                logits16[i] = dtype == DType.BF16 ? Half.toBf16(v) : Half.toF16(v);
                logitsF64[i] = dtype == DType.BF16 ? Half.bf16ToFloat(logits16[i]) : Half.f16ToFloat(logits16[i]);
            }
        }
        this.refSum = new float[offsets.length - 1];
        for (int s = 0; s < refSum.length; s++) {
            refSum[s] = (float) (-(offsets[s + 1] - offsets[s]) * (2 + rnd.nextDouble()));
        }
    }

    public HostTensor logitsTensor() {
        return dtype == DType.F32 ? HostTensor.of(logitsF32) : HostTensor.of(logits16, dtype);
    }

    /** A fresh output array of the logits' kind, filled with garbage so unwritten elements show. */
    public Object newGradArray() {
        if (dtype == DType.F32) {
            float[] g = new float[logitsF32.length];
            java.util.Arrays.fill(g, Float.NaN);
            return g;
        }
        short[] g = new short[logits16.length];
        java.util.Arrays.fill(g, (short) 0x7E00);
        return g;
    }

    public static HostTensor view(Object array, DType dtype) {
        return array instanceof float[] f ? HostTensor.of(f) : HostTensor.of((short[]) array, dtype);
    }

    /** Element i of a gradient array of this batch's dtype, widened to double. */
    public double gradAt(Object grad, int i) {
        if (grad instanceof float[] f) {
            return f[i];
        }
        short s = ((short[]) grad)[i];
        return dtype == DType.BF16 ? Half.bf16ToFloat(s) : Half.f16ToFloat(s);
    }
}
