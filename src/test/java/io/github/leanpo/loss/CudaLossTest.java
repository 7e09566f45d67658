package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.engine.LinearOptions;
import io.github.leanpo.loss.LeanPoLossOracleTest.Placement;
import io.github.leanpo.oracle.OracleConfig;
import io.github.leanpo.oracle.OracleLinearResult;
import io.github.leanpo.testing.Gpu;
import io.github.leanpo.testing.RandomBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA backend against the fp64 oracle and the CPU engine, with the same shapes, dtypes, masks,
 * objectives and tolerances as the CPU tests; host tensors (copied in and out) and device tensors (in
 * place too); the fused-linear head with cuBLAS; and the errors found on the device. Skips itself where
 * no GPU, no CUDA part or no cuBLAS is present (it says which).
 */
@Tag("gpu")
class CudaLossTest {

    /** Per test, so every GPU test shows as skipped (with the reason) where it cannot run. */
    @BeforeEach
    void needsGpu() {
        String why = Gpu.unavailable();
        assumeTrue(why == null, () -> "no CUDA backend here: " + why);
    }

    static Stream<Arguments> shapesEverywhere() {
        List<Arguments> out = new ArrayList<>();
        LeanPoLossOracleTest.shapes().forEach(a -> {
            for (Placement p : new Placement[] {Placement.GPU_HOST_TENSORS, Placement.GPU_DEVICE_TENSORS, Placement.GPU_DEVICE_IN_PLACE}) {
                Object[] x = a.get();
                out.add(Arguments.of(x[0], x[1], x[2], x[3], x[4], p));
            }
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {5}")
    @MethodSource("shapesEverywhere")
    void logitsAgainstOracle(String name, DType dtype, int vocab, int[] chosen, int[] rejected, Placement where) {
        RandomBatch b = new RandomBatch(name.hashCode() * 31L + dtype.ordinal(), vocab, chosen, rejected, dtype, 0.2, 2.0, -100);
        LeanPoLossOracleTest.compare(b, LossConfig.leanpo(), OracleConfig.leanpo(), "gpu " + dtype.name().toLowerCase(), where);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.leanpo.loss.LeanPoLossOracleTest#objectives")
    void everyObjectiveWithDeviceTensors(String name, LossConfig cfg, OracleConfig ocfg) {
        for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            RandomBatch b = new RandomBatch(name.hashCode(), 517, LeanPoLossOracleTest.lens(12, 1, 20, 11),
                    LeanPoLossOracleTest.lens(12, 1, 20, 12), d, 0.25, 2.0, cfg.ignoreIndex());
            LeanPoLossOracleTest.compare(b, cfg, ocfg, "gpu " + d.name().toLowerCase(), Placement.GPU_DEVICE_TENSORS);
        }
    }

    @Test
    void gpuAgreesWithTheCpuEngine() {
        RandomBatch b = new RandomBatch(99, 32768, new int[] {40, 7, 90}, new int[] {33, 61, 5}, DType.BF16, 0.1, 3.0, -100);
        LossResult cpu = LeanPoLossOracleTest.compare(b, LossConfig.leanpo().withNllWeight(0.5), OracleConfig.leanpo().withNllWeight(0.5),
                "bf16", Placement.CPU);
        LossResult gpu = LeanPoLossOracleTest.compare(b, LossConfig.leanpo().withNllWeight(0.5), OracleConfig.leanpo().withNllWeight(0.5),
                "gpu bf16", Placement.GPU_DEVICE_TENSORS);
        assertEquals(cpu.loss(), gpu.loss(), 1e-5 * Math.max(1, Math.abs(cpu.loss())));
        assertArrayEquals(cpu.seqTokens(), gpu.seqTokens());
        assertArrayEquals(cpu.pairEpsilon(), gpu.pairEpsilon());
        assertEquals("cuda", backendOf(BackendChoice.AUTO), "AUTO picks the GPU when one is usable");
    }

    private static String backendOf(BackendChoice c) {
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), c, 0)) {
            return loss.backendName();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.leanpo.loss.LinearOracleTest#layouts")
    void fusedLinearF32(String name, int d, int vocab, int[] chosen, int[] rejected, LinearOptions opts, boolean bias) {
        LinearOracleTest.Problem pb = new LinearOracleTest.Problem(name.hashCode(), d, vocab, chosen, rejected, DType.F32, bias, 0.2);
        LinearOracleTest.check(pb, LossConfig.leanpo(), OracleConfig.leanpo(), opts, BackendChoice.CUDA);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.leanpo.loss.LinearOracleTest#layouts")
    void fusedLinearBf16OnTheTensorCores(String name, int d, int vocab, int[] chosen, int[] rejected, LinearOptions opts, boolean bias) {
        LinearOracleTest.Problem pb = new LinearOracleTest.Problem(name.hashCode() + 1, d, vocab, chosen, rejected, DType.BF16, bias, 0.2);
        LinearOracleTest.check(pb, LossConfig.leanpo(), OracleConfig.leanpo(), opts, BackendChoice.CUDA);
    }

    @Test
    void fusedLinearF16EveryObjective() {
        LinearOracleTest.f16EveryObjective(BackendChoice.CUDA);
    }

    @Test
    void fusedLinearDeviceTensorsAccumulateInPlace() {
        LinearOracleTest.Problem pb = new LinearOracleTest.Problem(6, 8, 77, new int[] {4, 6}, new int[] {5, 3}, DType.F32, true, 0.1);
        OracleLinearResult ref = pb.oracle(OracleConfig.leanpo());
        float[][] before = LinearOracleTest.earlierGradients(pb);
        float[] gW = new float[before[0].length];
        float[] gB = new float[before[1].length];
        float[] gH = new float[pb.rows * pb.d];
        try (Gpu gpu = new Gpu(); LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CUDA, 0, new LinearOptions(4, 20, 0))) {
            DeviceTensor dW = gpu.upload(before[0]);
            DeviceTensor dB = gpu.upload(before[1]);
            DeviceTensor dH = gpu.poisoned(DType.F32, gH.length);
            LinearBatch batch = LinearBatch.of(gpu.upload(pb.h32), gpu.upload(pb.w32), gpu.upload(pb.b32), pb.d, pb.vocab,
                    gpu.upload(pb.targets), BatchLayout.fromOffsets(pb.offsets));
            loss.forwardBackward(batch, new LinearGrads(dH, dW, dB, true));
            gpu.download(dW, gW);
            gpu.download(dB, gB);
            gpu.download(dH, gH);
        }
        LinearOracleTest.assertAccumulated(ref, before, gW, gB);
        LinearOracleTest.assertGrad("grad_hidden", ref.gradHidden(), gH, 2e-5, 1e-4);
    }

    @Test
    void hfAdapterCompactsAndScattersOnTheGpu() {
        HfBatchTest.hiddenRoundTrip(true);
    }

    @Test
    void nonFiniteRowIsNamedAndInPlaceLogitsStayIntact() {
        RandomBatch b = new RandomBatch(3, 1031, new int[] {4, 6}, new int[] {5, 2}, DType.BF16, 0.0, 2.0, -100);
        short[] x = b.logits16.clone();
        x[11 * 1031 + 500] = (short) 0x7FC0;  // NaN in row 11 (pair 1, chosen)
        short[] after = new short[x.length];
        try (Gpu gpu = new Gpu(); LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CUDA, 0)) {
            DeviceTensor d = gpu.upload(x, DType.BF16);
            LogitsBatch batch = LogitsBatch.of(d, 1031, gpu.upload(b.targets), BatchLayout.fromOffsets(b.offsets));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.forwardBackward(batch, d));
            assertTrue(e.getMessage().contains("logits row 11 (pair 1, chosen response)"), e.getMessage());
            gpu.download(d, after);
        }
        assertArrayEquals(x, after, "a failed in-place call must leave the logits as they were");
    }

    @Test
    void deviceTargetsAreCheckedOnTheDevice() {
        RandomBatch b = new RandomBatch(4, 300, new int[] {3, 4}, new int[] {2, 5}, DType.F32, 0.0, 1.0, -100);
        long[] bad = b.targets.clone();
        bad[6] = 300;
        long[] empty = b.targets.clone();
        for (long t = b.offsets[3]; t < b.offsets[4]; t++) {
            empty[(int) t] = -100;  // pair 1's rejected response has no token left
        }
        try (Gpu gpu = new Gpu(); LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CUDA, 0)) {
            DeviceTensor x = gpu.upload(b.logitsF32);
            IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                    () -> loss.forward(LogitsBatch.of(x, 300, gpu.upload(bad), BatchLayout.fromOffsets(b.offsets))));
            assertTrue(e1.getMessage().contains("target at row 6 is 300, outside [0, V=300)"), e1.getMessage());
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> loss.forward(LogitsBatch.of(x, 300, gpu.upload(empty), BatchLayout.fromOffsets(b.offsets))));
            assertTrue(e2.getMessage().contains("pair 1: the rejected response (sequence 3"), e2.getMessage());
            // host and device inputs mixed: host targets, device logits
            LossResult r = loss.forward(LogitsBatch.of(x, 300, HostTensor.of(b.targets), BatchLayout.fromOffsets(b.offsets)));
            assertTrue(Double.isFinite(r.loss()));
        }
    }
}
