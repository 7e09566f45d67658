package io.github.leanpo.bench;

import io.github.leanpo.cli.BenchInputs;
import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import org.bytedeco.javacpp.Pointer;

/** Benchmark inputs (the same generator as {@code leanpo bench}) and the shape strings the benchmarks take as parameters. */
public final class Data {
    private Data() {}

    /** "4096x32768" → {4096, 32768}. */
    public static long[] shape(String s) {
        String[] p = s.split("x");
        long[] out = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Long.parseLong(p[i]);
        }
        return out;
    }

    public static Pointer alloc(DType dt, long n) {
        return BenchInputs.alloc(dt, n);
    }

    public static Pointer random(DType dt, long n, float scale, long seed) {
        return BenchInputs.random(dt, n, scale, seed);
    }

    public static float[] randomArray(int n, float scale, long seed) {
        return BenchInputs.randomArray(n, scale, seed);
    }

    public static long[] targets(long rows, long vocab, long seed) {
        return BenchInputs.targets(rows, vocab, seed);
    }

    public static BatchLayout layout(long rows, int pairs) {
        return BatchLayout.fromOffsets(BenchInputs.pairOffsets(rows, pairs));
    }
}
