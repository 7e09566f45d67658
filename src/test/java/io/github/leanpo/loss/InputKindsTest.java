package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.nativelib.NativeCalls;
import io.github.leanpo.testing.RandomBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;

/**
 * Java arrays, direct NIO buffers (with a non-zero position), JavaCPP pointers and in-place updates
 * all give bit-identical results; so do different thread counts and chunk sizes.
 */
class InputKindsTest {
    final RandomBatch f32 = new RandomBatch(3, 301, new int[] {5, 9, 2}, new int[] {7, 3, 6}, DType.F32, 0.2, 2.0, -100);
    final RandomBatch bf16 = new RandomBatch(4, 301, new int[] {5, 9, 2}, new int[] {7, 3, 6}, DType.BF16, 0.2, 2.0, -100);

    static float[] runArrays(RandomBatch b, Object grad) {
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            LossResult r = loss.forwardBackward(LogitsBatch.of(b.logitsTensor(), b.vocab, HostTensor.of(b.targets),
                    BatchLayout.fromOffsets(b.offsets)), RandomBatch.view(grad, b.dtype));
            return new float[] {(float) r.loss()};
        }
    }

    @Test
    void directBuffersAndPointersMatchArrays() {
        float[] gArr = new float[f32.logitsF32.length];
        float[] lossArr = runArrays(f32, gArr);

        int pad = 3; // a non-zero buffer position must be honoured
        FloatBuffer x = ByteBuffer.allocateDirect((f32.logitsF32.length + pad) * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        x.position(pad);
        x.put(f32.logitsF32).position(pad);
        FloatBuffer g = ByteBuffer.allocateDirect((gArr.length + pad) * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        g.position(pad);
        ByteBuffer t = ByteBuffer.allocateDirect(f32.targets.length * 8).order(ByteOrder.nativeOrder());
        t.asLongBuffer().put(f32.targets);
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            LossResult r = loss.forwardBackward(LogitsBatch.of(HostTensor.of(x, DType.F32), f32.vocab, HostTensor.of(t, DType.I64),
                    BatchLayout.fromOffsets(f32.offsets)), HostTensor.of(g, DType.F32));
            assertEquals(lossArr[0], (float) r.loss(), 0f);
        }
        float[] gBuf = new float[gArr.length];
        g.get(gBuf);
        assertArrayEquals(gArr, gBuf);

        try (PointerScope scope = new PointerScope()) {
            FloatPointer xp = new FloatPointer(f32.logitsF32);
            FloatPointer gp = new FloatPointer(gArr.length);
            LongPointer tp = new LongPointer(f32.targets);
            try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
                LossResult r = loss.forwardBackward(LogitsBatch.of(HostTensor.of(xp, DType.F32, f32.logitsF32.length), f32.vocab,
                        HostTensor.of(tp, DType.I64, f32.targets.length), BatchLayout.fromOffsets(f32.offsets)),
                        HostTensor.of(gp, DType.F32, gArr.length));
                assertEquals(lossArr[0], (float) r.loss(), 0f);
            }
            float[] gPtr = new float[gArr.length];
            gp.get(gPtr);
            assertArrayEquals(gArr, gPtr);
        }
    }

    @Test
    void mixedArrayAndBufferForBf16() {
        short[] gArr = new short[bf16.logits16.length];
        runArrays(bf16, gArr);
        ShortBuffer g = ByteBuffer.allocateDirect(gArr.length * 2).order(ByteOrder.nativeOrder()).asShortBuffer();
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            loss.forwardBackward(LogitsBatch.of(bf16.logitsTensor(), bf16.vocab, HostTensor.of(bf16.targets),
                    BatchLayout.fromOffsets(bf16.offsets)), HostTensor.of(g, DType.BF16));
        }
        short[] got = new short[gArr.length];
        g.get(got);
        assertArrayEquals(gArr, got);
        try (PointerScope scope = new PointerScope()) {
            ShortPointer xp = new ShortPointer(bf16.logits16);
            short[] g2 = new short[gArr.length];
            try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
                loss.forwardBackward(LogitsBatch.of(HostTensor.of(xp, DType.BF16, bf16.logits16.length), bf16.vocab,
                        HostTensor.of(bf16.targets), BatchLayout.fromOffsets(bf16.offsets)), HostTensor.bf16(g2));
            }
            assertArrayEquals(gArr, g2);
        }
    }

    @Test
    void inPlaceMatchesSeparateBuffer() {
        for (RandomBatch b : new RandomBatch[] {f32, bf16}) {
            Object sep = b.newGradArray();
            runArrays(b, sep);
            Object logits = b.dtype == DType.F32 ? (Object) b.logitsF32.clone() : b.logits16.clone();
            HostTensor x = RandomBatch.view(logits, b.dtype);
            try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
                loss.forwardBackward(LogitsBatch.of(x, b.vocab, HostTensor.of(b.targets), BatchLayout.fromOffsets(b.offsets)), x);
            }
            if (b.dtype == DType.F32) {
                assertArrayEquals((float[]) sep, (float[]) logits);
            } else {
                assertArrayEquals((short[]) sep, (short[]) logits);
            }
        }
    }

    @Test
    void threadCountsAndChunkSizesGiveIdenticalResults() {
        int before = NativeCalls.threads();
        try {
            float[] g1 = new float[f32.logitsF32.length];
            NativeCalls.setThreads(1);
            float[] l1 = runArrays(f32, g1);
            float[] g2 = new float[g1.length];
            NativeCalls.setThreads(3);
            float[] l2 = runArrays(f32, g2);
            assertEquals(3, NativeCalls.threads());
            assertEquals(l1[0], l2[0], 0f);
            assertArrayEquals(g1, g2);
        } finally {
            NativeCalls.setThreads(before);
        }
        // chunk of one row's worth of bytes: every pair is its own chunk
        io.github.leanpo.engine.LogitsEngine small = new io.github.leanpo.engine.LogitsEngine(new io.github.leanpo.engine.CpuBackend(), 1);
        io.github.leanpo.engine.LogitsEngine big = new io.github.leanpo.engine.LogitsEngine(new io.github.leanpo.engine.CpuBackend(), 1L << 30);
        float[] ga = new float[f32.logitsF32.length];
        float[] gb = new float[f32.logitsF32.length];
        io.github.leanpo.engine.LogitsInput in = new io.github.leanpo.engine.LogitsInput(f32.logitsTensor(), f32.vocab,
                HostTensor.of(f32.targets), BatchLayout.fromOffsets(f32.offsets), null, 0);
        var ra = small.run(in, LossConfig.leanpo().pairFunction(), -100, 0, HostTensor.of(ga));
        var rb = big.run(in, LossConfig.leanpo().pairFunction(), -100, 0, HostTensor.of(gb));
        assertEquals(ra.loss(), rb.loss(), 0.0);
        assertArrayEquals(ga, gb);
    }

    @Test
    void forwardOnlyMatchesForwardBackward() {
        float[] g = new float[f32.logitsF32.length];
        float[] l = runArrays(f32, g);
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            LossResult r = loss.forward(LogitsBatch.of(f32.logitsTensor(), f32.vocab, HostTensor.of(f32.targets),
                    BatchLayout.fromOffsets(f32.offsets)));
            assertEquals(l[0], (float) r.loss(), 0f);
            assertEquals(8, r.metrics().size());
            double acc = r.metrics().get("rewards/accuracies");
            double margins = r.metrics().get("rewards/margins");
            assertEquals(r.metrics().get("rewards/chosen") - r.metrics().get("rewards/rejected"), margins, 1e-9);
            int right = 0;
            for (float m : r.margin()) {
                right += m > 0 ? 1 : 0;
            }
            assertEquals(right / 3.0, acc, 1e-12);
        }
    }
}
