package io.github.leanpo.safetensors;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types supported by this safetensors implementation.
 *
 * <p>Each constant carries the name used for it in the {@code "dtype"} field of a safetensors
 * header (see {@link #specName()}) and the size of one element in bytes (see {@link #byteSize()}).
 * All multi-byte types are stored little-endian. {@link #BOOL} is stored as one byte per element
 * (0 or 1). Other dtypes of the safetensors specification (for example {@code F8_E4M3} or
 * {@code U32}) are not supported; files that use them are rejected by {@link SafetensorsFile}.
 */
public enum SafetensorsDType {
    /** IEEE 754 binary64. */
    F64("F64", 8),
    /** IEEE 754 binary32. */
    F32("F32", 4),
    /** IEEE 754 binary16. */
    F16("F16", 2),
    /** bfloat16 (upper half of a binary32). */
    BF16("BF16", 2),
    /** Signed 64-bit integer. */
    I64("I64", 8),
    /** Signed 32-bit integer. */
    I32("I32", 4),
    /** Signed 16-bit integer. */
    I16("I16", 2),
    /** Signed 8-bit integer. */
    I8("I8", 1),
    /** Unsigned 8-bit integer. */
    U8("U8", 1),
    /** Boolean, one byte per element. */
    BOOL("BOOL", 1);

    private final String specName;
    private final int byteSize;

    SafetensorsDType(String specName, int byteSize) {
        this.specName = specName;
        this.byteSize = byteSize;
    }

    /** @return the name of this dtype as written in a safetensors header, e.g. {@code "F32"} */
    public String specName() {
        return specName;
    }

    /** @return the size of one element in bytes (1, 2, 4 or 8) */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Looks up a dtype by its header name. The match is exact and case-sensitive, as in the
     * specification.
     *
     * @param name the header name, e.g. {@code "BF16"}
     * @return the dtype, or {@code null} if {@code name} is null or not a supported dtype
     */
    public static SafetensorsDType fromSpecName(String name) {
        if (name == null) {
            return null;
        }
        for (SafetensorsDType t : values()) {
            if (t.specName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** @return the supported header names, comma separated, for use in error messages */
    static String knownNames() {
        return Arrays.stream(values()).map(SafetensorsDType::specName).collect(Collectors.joining(", "));
    }
}
