package io.github.leanpo.engine;

/**
 * A borrowed, flat view of memory with an element type: host memory ({@link HostTensor}: Java arrays,
 * direct buffers, JavaCPP pointers) or a GPU's ({@link DeviceTensor}: a raw device address from any
 * framework). leanpo never frees the memory behind a view; shapes are given by the call that uses it.
 */
public sealed interface Tensor permits HostTensor, DeviceTensor {

    DType dtype();

    long numel();

    /** True when both views start at the same memory (an in-place update). */
    boolean sameStorage(Tensor other);
}
