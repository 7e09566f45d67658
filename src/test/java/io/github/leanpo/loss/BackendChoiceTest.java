package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.CudaBackend;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import org.junit.jupiter.api.Test;

/**
 * Choosing a backend, and device tensors where they cannot go. Runs everywhere: on a machine without a
 * usable GPU the CUDA choice must fail with the reason and AUTO must fall back to the CPU; device
 * addresses given to the CPU are refused before anything reads them.
 */
class BackendChoiceTest {

    @Test
    void withoutAGpuCudaSaysWhyAndAutoUsesTheCpu() {
        String why = CudaBackend.unavailableReason();
        assumeTrue(why != null, "this machine has a usable GPU; CudaLossTest covers it");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CUDA, 0).close());
        assertTrue(e.getMessage().startsWith("the CUDA backend is not available: ") && e.getMessage().contains(why), e.getMessage());
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo())) {
            assertEquals("cpu", loss.backendName());
        }
    }

    @Test
    void deviceMemoryIsRefusedByTheCpuBeforeAnyRead() {
        // An address that is not readable host memory: touching it would crash the JVM.
        DeviceTensor x = DeviceTensor.of(0x7f00_0000_1000L, DType.BF16, 3 * 10);
        try (LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CPU, 0)) {
            LogitsBatch batch = LogitsBatch.of(x, 10, HostTensor.of(new long[] {1, 2, 3}), BatchLayout.fromOffsets(new long[] {0, 2, 3}));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.forward(batch));
            assertTrue(e.getMessage().contains("logits is GPU memory") && e.getMessage().contains("BackendChoice.CUDA"), e.getMessage());
            LinearBatch lb = LinearBatch.of(HostTensor.of(new float[6]), HostTensor.of(new float[20]), null, 2, 10,
                    HostTensor.of(new long[] {1, 2, 3}), BatchLayout.fromOffsets(new long[] {0, 2, 3}));
            IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                    () -> loss.forwardBackward(lb, new LinearGrads(x, null, null, false)));
            assertTrue(g.getMessage().contains("a gradient output is GPU memory"), g.getMessage());
        }
    }

    @Test
    void deviceTensorsRejectBadAddressesAndSlices() {
        assertThrows(IllegalArgumentException.class, () -> DeviceTensor.of(0, DType.F32, 4));
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> DeviceTensor.of(0x1002, DType.F32, 4));
        assertTrue(a.getMessage().contains("not aligned to its 4-byte F32 elements"), a.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceTensor.of(0x1000, DType.F32, -1));
        DeviceTensor d = DeviceTensor.of(0x1000, DType.BF16, 100, 1);
        DeviceTensor s = d.slice(10, 20);
        assertEquals(0x1000 + 20, s.address());
        assertEquals(20, s.numel());
        assertEquals(1, s.device());
        assertThrows(IllegalArgumentException.class, () -> d.slice(90, 11));
        assertTrue(d.sameStorage(DeviceTensor.of(0x1000, DType.BF16, 5)));
    }

    @Test
    void parsesChoices() {
        assertEquals(BackendChoice.CUDA, BackendChoice.parse(" Cuda "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackendChoice.parse("tpu"));
        assertTrue(e.getMessage().contains("auto, cpu or cuda"), e.getMessage());
    }
}
