package io.github.leanpo.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/** The JNI boundary: loading, C++ exceptions becoming Java exceptions, and raw pointer views. */
class NativeBoundaryTest {

    @Test
    void libraryLoadsAndDescribesItself() {
        assertTrue(NativeCalls.loadedFrom().contains("libleanpo"), NativeCalls.loadedFrom());
        assertTrue(NativeCalls.version().matches("\\d+\\.\\d+\\.\\d+.*"), NativeCalls.version());
        assertTrue(NativeCalls.threads() >= 1);
        assertTrue(NativeCalls.cudaDeviceCount() >= 0);
        assertTrue(!NativeCalls.cudaStatus().isBlank());
    }

    @Test
    void cppExceptionBecomesIllegalStateWithFileAndLine() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NativeCalls.selectCpuIsa("sse9"));
        assertTrue(e.getMessage().contains("unknown ISA 'sse9'") && e.getMessage().contains("dispatch.cpp:"), e.getMessage());
    }

    @Test
    void nativeChecksCatchWhatJavaWouldNotPass() {
        try (PointerScope scope = new PointerScope()) {
            FloatPointer f = new FloatPointer(4);
            LongPointer t = new LongPointer(new long[] {0, 0});
            // bad dtype code and V = 0 are refused by the native second line of defence, not a crash
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> NativeCalls.rowLseTarget(f, 7, 2, 0, 2, t, -100, f, f));
            assertTrue(e.getMessage().contains("unknown logits dtype code 7"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> NativeCalls.rowLseTarget(f, 0, 0, 0, 2, t, -100, f, f));
            assertTrue(e.getMessage().contains("V must be positive"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> NativeCalls.pairLoss(0, 2f, 0f, 2, 0.2f, 0f, 0.0, f, f,
                    new LongPointer(2), null, 0, 1, f, f, f, f, f));
            assertTrue(e.getMessage().contains("normalizer"), e.getMessage());
        }
    }

    @Test
    void pointerViewsRespectPositionAndReadIndices() {
        try (PointerScope scope = new PointerScope()) {
            IntPointer ip = new IntPointer(new int[] {9, 8, 7, -100, 5});
            ip.position(1);
            HostTensor h = HostTensor.of(ip, DType.I32, 4);
            assertArrayEquals(new long[] {8, 7, -100, 5}, h.readIndices(4));
            LongPointer lp = new LongPointer(new long[] {1, 2, 3});
            lp.position(2);
            assertArrayEquals(new long[] {3}, HostTensor.of(lp, DType.I64, 1).readIndices(1));
            FloatPointer fp = new FloatPointer(new float[] {1.5f, 2.5f});
            fp.position(1);
            assertEquals(2.5f, HostTensor.of(fp, DType.F32, 1).readFloats(1)[0]);
        }
    }

    /** JavaCPP offsets a typed pointer's position by the declared parameter type: void* parameters need exact addresses. */
    @Test
    void exactAddressesOfTypedViews() {
        try (org.bytedeco.javacpp.FloatPointer f = new org.bytedeco.javacpp.FloatPointer(10);
             org.bytedeco.javacpp.LongPointer l = new org.bytedeco.javacpp.LongPointer(10)) {
            org.junit.jupiter.api.Assertions.assertEquals(f.address() + 12, RawPointer.exact(new org.bytedeco.javacpp.FloatPointer(f).position(3)).address());
            org.junit.jupiter.api.Assertions.assertEquals(l.address() + 48, RawPointer.exact(new org.bytedeco.javacpp.LongPointer(l).position(6)).address());
            org.junit.jupiter.api.Assertions.assertSame(f, RawPointer.exact(f));
            org.junit.jupiter.api.Assertions.assertNull(RawPointer.exact(null));
            // through a void* copy: the bytes land at element 6
            long[] v = {0, 1, 2, 3, 4, 5, 66, 7, 8, 9};
            l.put(v);
            try (org.bytedeco.javacpp.LongPointer one = new org.bytedeco.javacpp.LongPointer(1)) {
                NativeCalls.gatherRows(new org.bytedeco.javacpp.LongPointer(l).position(6), 8, new org.bytedeco.javacpp.LongPointer(new long[] {0}), 1, one);
                org.junit.jupiter.api.Assertions.assertEquals(66, one.get());
            }
        }
    }
}
