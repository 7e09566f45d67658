package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** One test per validation rule: each bad input is an IllegalArgumentException naming the index, never a crash. */
class ValidationTest {
    static final int V = 5;
    // two pairs: rows [0,2) chosen0, [2,4) rejected0, [4,5) chosen1, [5,7) rejected1
    static final long[] OFFSETS = {0, 2, 4, 5, 7};

    static float[] logits(int rows) {
        float[] x = new float[rows * V];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        return x;
    }

    static int[] targets() {
        return new int[] {1, 2, 3, 4, 0, 1, 2};
    }

    static String fails(Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        return ex.getMessage();
    }

    static LossResult run(LossConfig cfg, LogitsBatch batch, HostTensor grad) {
        try (LeanPoLoss loss = LeanPoLoss.create(cfg, BackendChoice.CPU, 0)) {
            return grad == null ? loss.forward(batch) : loss.forwardBackward(batch, grad);
        }
    }

    @Test
    void validInputRuns() {
        LossResult r = run(LossConfig.leanpo(), LogitsBatch.of(logits(7), V, targets(), OFFSETS), HostTensor.of(new float[7 * V]));
        assertTrue(Double.isFinite(r.loss()));
        assertEquals(2, r.pairs());
    }

    @Test
    void targetOutOfRangeNamesRow() {
        int[] t = targets();
        t[5] = V;
        String m = fails(() -> run(LossConfig.leanpo(), LogitsBatch.of(logits(7), V, t, OFFSETS), null));
        assertTrue(m.contains("row 5") && m.contains("outside [0, V=5)"), m);
        t[5] = -3;
        m = fails(() -> run(LossConfig.leanpo(), LogitsBatch.of(logits(7), V, t, OFFSETS), null));
        assertTrue(m.contains("row 5") && m.contains("-3"), m);
    }

    @Test
    void nonMonotoneOffsetsNameIndex() {
        String m = fails(() -> BatchLayout.fromOffsets(new long[] {0, 3, 2, 5, 7}));
        assertTrue(m.contains("seq_offsets[2]"), m);
        m = fails(() -> BatchLayout.fromOffsets(new long[] {1, 3, 4}));
        assertTrue(m.contains("seq_offsets[0]"), m);
    }

    @Test
    void oddNumberOfSequences() {
        String m = fails(() -> BatchLayout.fromOffsets(new long[] {0, 2, 4, 6}));
        assertTrue(m.contains("odd number"), m);
        m = fails(() -> BatchLayout.fromOffsets(new long[] {0, 2}));
        assertTrue(m.contains("at least one"), m);
    }

    @Test
    void offsetsBeyondRowsOfLogits() {
        // layout claims 9 rows, logits hold 7
        String m = fails(() -> run(LossConfig.leanpo(),
                LogitsBatch.of(HostTensor.of(logits(7)), V, HostTensor.of(new int[9]), BatchLayout.fromOffsets(new long[] {0, 2, 4, 5, 9})),
                null));
        assertTrue(m.contains("logits hold 35 elements") && m.contains("45"), m);
    }

    @Test
    void emptyResponseNamesPairAndSide() {
        String m = fails(() -> run(LossConfig.leanpo(), LogitsBatch.of(logits(7), V, targets(), new long[] {0, 2, 4, 4, 7}), null));
        assertTrue(m.contains("pair 1") && m.contains("chosen") && m.contains("no response tokens"), m);
    }

    @Test
    void fullyMaskedResponseNamesPairAndSide() {
        int[] t = targets();
        t[2] = -100;
        t[3] = -100;
        String m = fails(() -> run(LossConfig.leanpo(), LogitsBatch.of(logits(7), V, t, OFFSETS), null));
        assertTrue(m.contains("pair 0") && m.contains("rejected") && m.contains("ignore index -100"), m);
        // SFT reads only the chosen response: the same batch is fine
        LossResult r = run(LossConfig.sft(), LogitsBatch.of(logits(7), V, t, OFFSETS), null);
        assertEquals(0, r.seqTokens()[1]);
    }

    @Test
    void shortLogitsBuffer() {
        String m = fails(() -> run(LossConfig.leanpo(), LogitsBatch.of(Arrays.copyOf(logits(7), 34), V, targets(), OFFSETS), null));
        assertTrue(m.contains("logits hold 34 elements"), m);
    }

    @Test
    void shortGradBufferAndWrongDtype() {
        LogitsBatch b = LogitsBatch.of(logits(7), V, targets(), OFFSETS);
        String m = fails(() -> run(LossConfig.leanpo(), b, HostTensor.of(new float[34])));
        assertTrue(m.contains("grad_logits buffer holds 34"), m);
        m = fails(() -> run(LossConfig.leanpo(), b, HostTensor.bf16(new short[35])));
        assertTrue(m.contains("dtype F32"), m);
    }

    @Test
    void shortTargets() {
        String m = fails(() -> run(LossConfig.leanpo(),
                LogitsBatch.of(HostTensor.of(logits(7)), V, HostTensor.of(new int[6]), BatchLayout.fromOffsets(OFFSETS)), null));
        assertTrue(m.contains("targets hold 6 elements"), m);
    }

    @Test
    void wrongTypes() {
        String m = fails(() -> run(LossConfig.leanpo(),
                LogitsBatch.of(HostTensor.of(new int[35]), V, HostTensor.of(targets()), BatchLayout.fromOffsets(OFFSETS)), null));
        assertTrue(m.contains("logits must be f32, bf16 or f16"), m);
        m = fails(() -> run(LossConfig.leanpo(),
                LogitsBatch.of(HostTensor.of(logits(7)), V, HostTensor.of(logits(7)), BatchLayout.fromOffsets(OFFSETS)), null));
        assertTrue(m.contains("targets must be i32 or i64"), m);
    }

    @Test
    void nonFiniteLogitsNameFirstRow() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = logits(7);
            x[6 * V + 3] = bad; // row 6: pair 1, rejected
            x[5 * V + 0] = bad; // row 5 comes first
            float[] grad = new float[7 * V];
            String m = fails(() -> run(LossConfig.leanpo(), LogitsBatch.of(x, V, targets(), OFFSETS), HostTensor.of(grad)));
            assertTrue(m.contains("row 5") && m.contains("pair 1") && m.contains("rejected"), m);
        }
    }

    @Test
    void nonFiniteInPlaceLeavesLogitsUntouched() {
        float[] x = logits(7);
        x[6 * V + 1] = Float.NaN;
        float[] before = x.clone();
        fails(() -> run(LossConfig.leanpo(), LogitsBatch.of(x, V, targets(), OFFSETS), HostTensor.of(x)));
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(x[i]), "logit " + i + " was changed");
        }
    }

    @Test
    void nonFiniteInIgnoredRowIsHarmless() {
        float[] x = logits(7);
        int[] t = targets();
        t[1] = -100;
        x[V + 2] = Float.NaN; // row 1 is ignored
        float[] grad = new float[7 * V];
        LossResult r = run(LossConfig.leanpo(), LogitsBatch.of(x, V, t, OFFSETS), HostTensor.of(grad));
        assertTrue(Double.isFinite(r.loss()));
        for (int v = 0; v < V; v++) {
            assertEquals(0f, grad[V + v]);
        }
    }

    @Test
    void dpoNeedsRefSum() {
        LogitsBatch b = LogitsBatch.of(logits(7), V, targets(), OFFSETS);
        String m = fails(() -> run(LossConfig.dpo(), b, null));
        assertTrue(m.contains("ref_sum"), m);
        m = fails(() -> run(LossConfig.dpo(), b.withRefSum(HostTensor.of(new float[3])), null));
        assertTrue(m.contains("ref_sum holds 3 values"), m);
        m = fails(() -> run(LossConfig.dpo(), b.withRefSum(HostTensor.of(new float[] {0, 0, Float.NaN, 0})), null));
        assertTrue(m.contains("ref_sum[2]"), m);
    }

    @Test
    void badConfig() {
        assertTrue(fails(() -> LossConfig.leanpo().withBeta(0)).contains("beta"));
        assertTrue(fails(() -> LossConfig.leanpo().withBeta(Double.NaN)).contains("beta"));
        assertTrue(fails(() -> LossConfig.leanpo().withSmoothing(Smoothing.fixed(1.0))).contains("epsilon"));
        assertTrue(fails(() -> LossConfig.leanpo().withNllWeight(-1)).contains("NLL"));
        assertTrue(fails(() -> LossConfig.leanpo().withNormalizer(-2)).contains("normalizer"));
        assertTrue(fails(() -> LossConfig.leanpo().withGamma(Double.POSITIVE_INFINITY)).contains("gamma"));
    }

    @Test
    void badBuffers() {
        ByteBuffer heap = ByteBuffer.allocate(64);
        assertTrue(fails(() -> HostTensor.of(heap, DType.F32)).contains("direct buffer"));
        ByteBuffer big = ByteBuffer.allocateDirect(64).order(ByteOrder.BIG_ENDIAN);
        assertTrue(fails(() -> HostTensor.of(big, DType.F32)).contains("byte order"));
        ByteBuffer odd = ByteBuffer.allocateDirect(6).order(ByteOrder.nativeOrder());
        assertTrue(fails(() -> HostTensor.of(odd, DType.F32)).contains("whole number"));
        assertTrue(fails(() -> HostTensor.of(new short[4], DType.F32)).contains("bf16 or f16"));
    }

    @Test
    void logitsNearTheFloatLimitAreAnErrorNotAnInfiniteLoss() {
        // finite, but the log-sum-exp of a row holding ±3e38 overflows: the pair's loss would be infinite
        float[] x = logits(7);
        x[3 * V + 1] = 3e38f;
        x[3 * V + 2] = -3e38f;
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CPU, 0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loss.forward(LogitsBatch.of(x, V, targets(), OFFSETS)));
            assertTrue(e.getMessage().contains("non-finite loss") && e.getMessage().contains("float limit"), e.getMessage());
        }
    }

    @Test
    void closedLossRefusesWork() {
        LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo());
        loss.close();
        loss.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> loss.forward(LogitsBatch.of(logits(7), V, targets(), OFFSETS)));
    }
}
