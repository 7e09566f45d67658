package io.github.leanpo.engine;

import java.util.Locale;

/** Element types leanpo reads and writes. Floating types carry the native code the kernels use. */
public enum DType {
    F32(4, 0),
    BF16(2, 1),
    F16(2, 2),
    I32(4, -1),
    I64(8, -1);

    private final int byteSize;
    private final int nativeCode;

    DType(int byteSize, int nativeCode) {
        this.byteSize = byteSize;
        this.nativeCode = nativeCode;
    }

    public int byteSize() {
        return byteSize;
    }

    /** True for F32, BF16 and F16, the logits types. */
    public boolean isFloating() {
        return nativeCode >= 0;
    }

    /** The LEANPO_DTYPE_* code of a floating type. */
    public int nativeCode() {
        if (nativeCode < 0) {
            throw new IllegalStateException(this + " is not a floating type");
        }
        return nativeCode;
    }

    /** Parses "f32", "bf16", "f16", "i32", "i64" (any case). */
    public static DType parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown dtype '" + s + "' (use f32, bf16, f16, i32 or i64)");
        }
    }
}
