package io.github.leanpo.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.DeviceTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.loss.BackendChoice;
import io.github.leanpo.loss.LeanPoLoss;
import io.github.leanpo.loss.LinearBatch;
import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.loss.LossResult;
import io.github.leanpo.model.TorchLeanPoReference;
import io.github.leanpo.model.TorchRuntime;
import io.github.leanpo.testing.Gpu;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How a libtorch-Java trainer on a GPU hands its own CUDA tensors to leanpo, with no copy: the last
 * hidden states [T, d] and the LM head's weight [V, d] (bf16), the targets, and the gradient buffers go
 * in as raw device addresses, on libtorch's current stream; leanpo writes grad_hidden (which
 * {@code hidden.backward(gradHidden)} carries through the model) and accumulates grad_weight in fp32.
 *
 * <p>It runs where libtorch itself has CUDA: put {@code org.bytedeco:pytorch:2.10.0-1.5.13} with classifier
 * {@code linux-x86_64-gpu} on the class path instead of leanpo's CPU build. It checks the result against the
 * same loss written in libtorch ops (materialised logits, log_softmax, autograd) on the CPU.
 */
@Tag("gpu")
class LibtorchCudaExampleTest {

    /** A view of a contiguous libtorch CUDA tensor, borrowed for the call. */
    static DeviceTensor view(Tensor t, DType dtype) {
        return DeviceTensor.of(t.data_ptr().address(), dtype, t.numel());
    }

    @Test
    void libtorchCudaTensorsGoStraightToTheHead() {
        assumeTrue(Gpu.unavailable() == null, () -> "no CUDA backend here: " + Gpu.unavailable());
        TorchRuntime.init(1);
        assumeTrue(torch.cuda_is_available(), "this libtorch is the CPU build (use the linux-x86_64-gpu classifier)");
        int d = 64;
        int vocab = 1000;
        long[] offsets = {0, 5, 9, 16, 20};  // 2 pairs: chosen_0, rejected_0, chosen_1, rejected_1
        int rows = 20;
        long[] targets = new long[rows];
        for (int t = 0; t < rows; t++) {
            targets[t] = (t * 37L + 11) % vocab;
        }
        try (PointerScope scope = new PointerScope();
             LeanPoLoss loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.CUDA, 0)) {
            Device gpu = new Device(torch.DeviceType.CUDA, (byte) 0);
            // what a model would hand over: bf16 activations and head weight on the GPU
            Tensor hidden = torch.randn(new long[] {rows, d}).to(gpu, torch.ScalarType.BFloat16).contiguous();
            Tensor weight = torch.randn(new long[] {vocab, d}).mul(new org.bytedeco.pytorch.Scalar(0.2))
                    .to(gpu, torch.ScalarType.BFloat16).contiguous();
            Tensor y = Tensor.create(targets, rows).to(gpu, torch.ScalarType.Long).contiguous();
            Tensor gradHidden = torch.empty_like(hidden);
            Tensor gradWeight = torch.zeros(new long[] {vocab, d}).to(gpu, torch.ScalarType.Float).contiguous();

            long stream = torch_cuda.getCurrentCUDAStream().stream().address();
            LinearBatch batch = LinearBatch.of(view(hidden, DType.BF16), view(weight, DType.BF16), null, d, vocab,
                    view(y, DType.I64), BatchLayout.fromOffsets(offsets)).onStream(stream);
            LossResult r = loss.forwardBackward(batch,
                    new LinearGrads(view(gradHidden, DType.BF16), view(gradWeight, DType.F32), null, true));
            // in a trainer: hidden.backward(gradHidden) continues through the model, and gradWeight is the head's grad

            // the same loss in libtorch ops on the CPU, on the same (bf16-rounded) values, with autograd
            Tensor h = hidden.cpu().to(torch.ScalarType.Float).detach().set_requires_grad(true);
            Tensor w = weight.cpu().to(torch.ScalarType.Float).detach().set_requires_grad(true);
            Tensor ref = TorchLeanPoReference.loss(h, w, targets, offsets, 2.0, 0.2);
            ref.backward();
            assertEquals(ref.item_float(), r.loss(), 1e-3 * Math.max(1, Math.abs(ref.item_float())));
            float[] want = new float[rows * d];
            float[] got = new float[rows * d];
            h.grad().contiguous().data_ptr_float().get(want);
            gradHidden.cpu().to(torch.ScalarType.Float).contiguous().data_ptr_float().get(got);
            float scale = 0;
            for (float v : want) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-2 * scale + 1.6e-2 * Math.abs(want[i]), "grad_hidden " + i);
            }
        }
    }
}
