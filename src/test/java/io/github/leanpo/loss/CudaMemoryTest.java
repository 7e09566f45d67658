package io.github.leanpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.nativelib.CudaCalls;
import io.github.leanpo.nativelib.NativeCalls;
import io.github.leanpo.testing.Gpu;
import io.github.leanpo.testing.RandomBatch;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * No device or native memory growth across loss calls on the CUDA backend: every call's device memory
 * is stream-ordered and freed when the call ends, and its host staging in the call's scope. 10,000 calls
 * on a GPU (300 under the CPU emulation, where each launch runs as fibers; its allocations are counted exactly); the device's free memory
 * and JavaCPP's host total must come back to where they were after the warm-up. Prints the numbers.
 */
@Tag("gpu")
class CudaMemoryTest {

    /** JavaCPP's native host bytes once pointers the collector found unreachable are freed. */
    private static long hostBytes() {
        System.gc();
        Pointer.deallocateReferences();
        return Pointer.totalBytes();
    }

    @Test
    void deviceAndHostMemoryStayFlatAcrossCalls() {
        assumeTrue(Gpu.unavailable() == null, () -> "no CUDA backend here: " + Gpu.unavailable());
        int calls = NativeCalls.cudaEmulated() ? 300 : 10_000;
        RandomBatch b = new RandomBatch(21, 257, new int[] {5, 3}, new int[] {4, 6}, DType.BF16, 0.2, 2.0, -100);
        int d = 16;
        float[] h = new float[b.rows * d];
        float[] w = new float[b.vocab * d];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) Math.sin(i);
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.cos(i) * 0.1f;
        }
        try (Gpu gpu = new Gpu(); LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo().withNllWeight(0.5), BackendChoice.CUDA, 0)) {
            DeviceTensor x = gpu.upload(b.logits16, DType.BF16);
            DeviceTensor g = gpu.poisoned(DType.BF16, x.numel());
            DeviceTensor y = gpu.upload(b.targets);
            LogitsBatch logits = LogitsBatch.of(x, b.vocab, y, BatchLayout.fromOffsets(b.offsets));
            LinearBatch linear = LinearBatch.of(gpu.upload(h), gpu.upload(w), null, d, b.vocab, y, BatchLayout.fromOffsets(b.offsets));
            LinearGrads grads = new LinearGrads(gpu.poisoned(DType.F32, h.length), gpu.poisoned(DType.F32, w.length), null, false);
            // a host-tensor call too: its inputs are copied in and the gradient out every time
            LogitsBatch host = LogitsBatch.of(b.logitsTensor(), b.vocab, HostTensor.of(b.targets), BatchLayout.fromOffsets(b.offsets));
            short[] hostGrad = new short[b.logits16.length];
            Runnable one = () -> {
                loss.forwardBackward(logits, g);
                loss.forwardBackward(linear, grads);
                loss.forwardBackward(host, HostTensor.bf16(hostGrad));
            };
            for (int i = 0; i < 50; i++) {
                one.run();  // warm-up: cuBLAS workspace, the allocator's pools, JIT
            }
            CudaCalls.synchronize(null);
            long free0 = CudaCalls.memInfo()[0];
            long host0 = hostBytes();
            double first = loss.forwardBackward(logits, g).loss();
            for (int i = 0; i < calls; i++) {
                one.run();
            }
            CudaCalls.synchronize(null);
            long free1 = CudaCalls.memInfo()[0];
            long host1 = hostBytes();
            System.out.printf("CUDA backend, %d × 3 calls (%s): device free %d -> %d bytes, JavaCPP host total %d -> %d bytes%n", calls,
                    NativeCalls.cudaEmulated() ? "CPU emulation" : NativeCalls.cudaStatus(), free0, free1, host0, host1);
            // a leak of even 100 bytes a call would pass the 64 KiB allowed for pointers still waiting for the collector
            assertTrue(host1 <= host0 + (64L << 10), "JavaCPP host memory grew from " + host0 + " to " + host1 + " bytes");
            // a GPU's free memory moves by the allocator's granularity; a leak of even 1 KiB a call would pass 10 MiB
            assertTrue(Math.abs(free0 - free1) <= (NativeCalls.cudaEmulated() ? 0 : 8L << 20),
                    "device free memory moved from " + free0 + " to " + free1 + " bytes");
            assertEquals(first, loss.forwardBackward(logits, g).loss(), 0.0, "the same call gives the same loss after many calls");
        }
    }
}
