package io.github.leanpo.engine;

import io.github.leanpo.nativelib.RawPointer;

/**
 * A borrowed view of GPU memory: a raw device address with an element type and count, as another
 * framework (libtorch, DJL, a custom trainer) hands it out, e.g. {@code tensor.data_ptr().address()}.
 * leanpo reads and writes it only from kernels on the stream the batch names, never copies it to the
 * host, and never frees it; the caller keeps it alive and unchanged until the call returns.
 */
public final class DeviceTensor implements Tensor {
    /** The device current when the call runs. */
    public static final int CURRENT_DEVICE = -1;

    private final long address;
    private final DType dtype;
    private final long numel;
    private final int device;

    private DeviceTensor(long address, DType dtype, long numel, int device) {
        if (address == 0) {
            throw new IllegalArgumentException("null device address");
        }
        if (dtype == null) {
            throw new IllegalArgumentException("dtype must be given");
        }
        if (numel < 0) {
            throw new IllegalArgumentException("negative element count " + numel);
        }
        if (address % dtype.byteSize() != 0) {
            throw new IllegalArgumentException("device address 0x" + Long.toHexString(address) + " is not aligned to its "
                    + dtype.byteSize() + "-byte " + dtype + " elements");
        }
        if (device < CURRENT_DEVICE) {
            throw new IllegalArgumentException("bad device index " + device);
        }
        this.address = address;
        this.dtype = dtype;
        this.numel = numel;
        this.device = device;
    }

    /** {@code numel} elements of {@code dtype} at a device address of the current device. */
    public static DeviceTensor of(long address, DType dtype, long numel) {
        return new DeviceTensor(address, dtype, numel, CURRENT_DEVICE);
    }

    /** {@code numel} elements of {@code dtype} at a device address of GPU {@code device}. */
    public static DeviceTensor of(long address, DType dtype, long numel, int device) {
        return new DeviceTensor(address, dtype, numel, device);
    }

    /** The view of elements [offset, offset + count). */
    public DeviceTensor slice(long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > numel) {
            throw new IllegalArgumentException("slice [" + offset + ", " + (offset + count) + ") is outside the " + numel + " elements");
        }
        return new DeviceTensor(address + offset * dtype.byteSize(), dtype, count, device);
    }

    public long address() {
        return address;
    }

    /** The GPU index, or {@link #CURRENT_DEVICE}. */
    public int device() {
        return device;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long numel() {
        return numel;
    }

    @Override
    public boolean sameStorage(Tensor other) {
        return other instanceof DeviceTensor d && d.address == address;
    }

    /** A raw pointer at element {@code elem}. */
    RawPointer at(long elem) {
        return RawPointer.ofAddress(address + elem * dtype.byteSize(), (numel - elem) * dtype.byteSize());
    }

    @Override
    public String toString() {
        return "DeviceTensor[" + dtype + " x " + numel + " at 0x" + Long.toHexString(address)
                + (device == CURRENT_DEVICE ? "" : " on GPU " + device) + "]";
    }
}
