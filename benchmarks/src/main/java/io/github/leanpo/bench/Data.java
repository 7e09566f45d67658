package io.github.leanpo.bench;

import io.github.leanpo.cli.BenchInputs;
import io.github.leanpo.engine.BatchLayout;

/** The shape strings the benchmarks take as parameters, and pair layouts; the inputs themselves come from {@link BenchInputs}. */
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

    public static BatchLayout layout(long rows, int pairs) {
        return BatchLayout.fromOffsets(BenchInputs.pairOffsets(rows, pairs));
    }
}
