package io.github.leanpo.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.leanpo.files.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.bytedeco.javacpp.Pointer;

/**
 * Builds and writes a safetensors file.
 *
 * <p>Tensors are added with {@link #add}, {@link #addF32}, {@link #addI64} or {@link #addI32}
 * and laid out back to back in insertion order; header keys are written in the same order (with
 * {@code __metadata__}, if any, first). Shapes are row-major dimension lists, outermost first; an
 * empty shape {@code []} denotes a scalar (one element) and a shape containing 0 an empty tensor.
 * Data must already be little-endian (the native byte order on all supported platforms).
 *
 * <p><b>Ownership:</b> the writer never copies, frees or takes ownership of the data passed to
 * it; it keeps references to the caller's arrays and native memory and reads them only during
 * {@link #write(Path)}. The caller must keep native memory alive and unchanged until
 * {@code write} returns, and remains responsible for releasing it afterwards.
 *
 * <p>{@link #write(Path)} writes the header (padded with spaces to a multiple of 8 bytes) and the
 * data to a hidden temporary file in the target directory, forces it to disk and then renames it
 * over the target atomically ({@link AtomicFiles}), so an interrupted run never leaves a torn file
 * under the target name. Instances are not thread-safe.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Staging buffer size used when writing Java arrays; a multiple of 8. */
    private static final int ARRAY_STAGING_BYTES = 8 << 20;

    @FunctionalInterface
    private interface Source {
        void writeTo(FileChannel ch, long byteLength, long chunk) throws IOException;
    }

    private record Entry(String name, SafetensorsDType dtype, long[] shape, long byteLength, Source source) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private long totalBytes;

    /** Creates an empty writer. */
    public SafetensorsWriter() {
    }

    /**
     * Adds a tensor whose bytes live in native memory.
     *
     * <p>The data are the bytes from {@code data.position()} up to {@code data.limit()}, i.e.
     * {@code (limit - position) * sizeof()} bytes; this must equal {@code numel(shape) *
     * dtype.byteSize()}. Set the limit explicitly on pointers obtained from native code. This
     * byte window is captured now, so the pointer's position and limit may be changed afterwards
     * (for example to add several tensors from one allocation), but the memory itself is not copied
     * and is read during {@link #write(Path)}; see the class documentation for ownership. For an
     * empty tensor {@code data} may be {@code null}.
     *
     * @param name the tensor name; must be unique and not {@code "__metadata__"}
     * @param dtype the element type
     * @param shape the dimensions, each {@code >= 0}; {@code []} for a scalar (copied)
     * @param data native memory holding the tensor's little-endian, row-major bytes
     * @return this writer
     * @throws NullPointerException if {@code name}, {@code dtype} or {@code shape} is null
     * @throws IllegalArgumentException if the name is reserved or already used, a dimension is
     *     negative, the byte size overflows, or the data size does not match the shape
     */
    public SafetensorsWriter add(String name, SafetensorsDType dtype, long[] shape, Pointer data) {
        Objects.requireNonNull(dtype, "dtype");
        long expected = byteLength(name, dtype, shape);
        long actual = 0;
        if (data != null && !data.isNull()) {
            if (data.limit() < data.position()) {
                throw new IllegalArgumentException("tensor '" + name + "': pointer limit " + data.limit()
                        + " is below its position " + data.position());
            }
            actual = Math.multiplyExact(data.limit() - data.position(), (long) data.sizeof());
        }
        if (actual != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': data holds " + actual + " bytes but shape "
                    + Arrays.toString(shape) + " with dtype " + dtype + " needs " + expected + " bytes");
        }
        // The byte window is fixed now (later position/limit changes on 'data' do not affect it);
        // 'data' stays referenced, hence reachable, until write().
        final Pointer keep = data;
        final long start = expected == 0 ? 0 : data.address() + data.position() * data.sizeof();
        return put(name, dtype, shape, expected, (ch, len, chunk) -> {
            if (keep.isNull()) {
                throw new IllegalStateException("native memory of tensor '" + name
                        + "' was released before write()");
            }
            long n;
            for (long off = 0; off < len; off += n) {
                n = Math.min(chunk, len - off);
                writeFully(ch, NativeSlices.sliceAt(start + off, n));
            }
        });
    }

    /**
     * Adds an {@link SafetensorsDType#F32} tensor from a Java array (row-major). The array is
     * referenced, not copied, and read during {@link #write(Path)}.
     *
     * @param name the tensor name; must be unique and not {@code "__metadata__"}
     * @param shape the dimensions; their product must equal {@code data.length}
     * @param data the elements
     * @return this writer
     * @throws IllegalArgumentException if the name is reserved or already used, or the shape is
     *     invalid or does not match the array length
     */
    public SafetensorsWriter addF32(String name, long[] shape, float[] data) {
        Objects.requireNonNull(data, "data");
        long bytes = checkArray(name, SafetensorsDType.F32, shape, data.length);
        return put(name, SafetensorsDType.F32, shape, bytes, (ch, len, chunk) ->
                writeArray(ch, data.length, 4, (buf, first, count) -> buf.asFloatBuffer().put(data, first, count)));
    }

    /**
     * Adds an {@link SafetensorsDType#I64} tensor from a Java array (row-major). The array is
     * referenced, not copied, and read during {@link #write(Path)}.
     *
     * @param name the tensor name; must be unique and not {@code "__metadata__"}
     * @param shape the dimensions; their product must equal {@code data.length}
     * @param data the elements
     * @return this writer
     * @throws IllegalArgumentException if the name is reserved or already used, or the shape is
     *     invalid or does not match the array length
     */
    public SafetensorsWriter addI64(String name, long[] shape, long[] data) {
        Objects.requireNonNull(data, "data");
        long bytes = checkArray(name, SafetensorsDType.I64, shape, data.length);
        return put(name, SafetensorsDType.I64, shape, bytes, (ch, len, chunk) ->
                writeArray(ch, data.length, 8, (buf, first, count) -> buf.asLongBuffer().put(data, first, count)));
    }

    /**
     * Adds an {@link SafetensorsDType#I32} tensor from a Java array (row-major). The array is
     * referenced, not copied, and read during {@link #write(Path)}.
     *
     * @param name the tensor name; must be unique and not {@code "__metadata__"}
     * @param shape the dimensions; their product must equal {@code data.length}
     * @param data the elements
     * @return this writer
     * @throws IllegalArgumentException if the name is reserved or already used, or the shape is
     *     invalid or does not match the array length
     */
    public SafetensorsWriter addI32(String name, long[] shape, int[] data) {
        Objects.requireNonNull(data, "data");
        long bytes = checkArray(name, SafetensorsDType.I32, shape, data.length);
        return put(name, SafetensorsDType.I32, shape, bytes, (ch, len, chunk) ->
                writeArray(ch, data.length, 4, (buf, first, count) -> buf.asIntBuffer().put(data, first, count)));
    }

    /**
     * Adds (or replaces) a {@code __metadata__} entry.
     *
     * @param key the metadata key
     * @param value the metadata value
     * @return this writer
     * @throws NullPointerException if {@code key} or {@code value} is null
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Writes the file atomically with {@link AtomicFiles}: to a hidden temporary file in the same
     * directory, flushed to the disk, then renamed over {@code path}. An existing file at
     * {@code path} is replaced; on failure it is left untouched. Native data is written in pieces of
     * at most 1 GiB.
     *
     * @param path the target file
     * @throws IOException if writing or moving fails, or the header would exceed
     *     {@link SafetensorsFile#MAX_HEADER_BYTES}
     * @throws IllegalStateException if native memory passed to {@link #add} has been released
     *     (its pointer is null) by the time of writing
     */
    public void write(Path path) throws IOException {
        write(path, SafetensorsFile.MAX_CHUNK_BYTES);
    }

    /** As {@link #write(Path)}, with a configurable maximum piece size for native data. */
    void write(Path path, long chunk) throws IOException {
        Objects.requireNonNull(path, "path");
        byte[] header = headerBytes();
        AtomicFiles.write(path, ch -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, prefix);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Entry e : entries.values()) {
                long before = ch.position();
                if (e.byteLength() > 0) {
                    e.source().writeTo(ch, e.byteLength(), chunk);
                }
                if (ch.position() - before != e.byteLength()) {
                    throw new IOException("internal error: wrote " + (ch.position() - before)
                            + " bytes for tensor '" + e.name() + "', expected " + e.byteLength());
                }
            }
        });
    }

    /** @return the header JSON, space-padded to a multiple of 8 bytes (without the length prefix) */
    byte[] headerBytes() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries.values()) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().specName());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + e.byteLength());
            offset += e.byteLength();
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) & ~7;
        if (json.length < 0 || padded < json.length || padded > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new IOException("safetensors header would be " + json.length + " bytes, over the limit of "
                    + SafetensorsFile.MAX_HEADER_BYTES);
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private SafetensorsWriter put(String name, SafetensorsDType dtype, long[] shape, long bytes, Source source) {
        long total;
        try {
            total = Math.addExact(totalBytes, bytes);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': total data size overflows a long");
        }
        entries.put(name, new Entry(name, dtype, shape.clone(), bytes, source));
        totalBytes = total;
        return this;
    }

    private long checkArray(String name, SafetensorsDType dtype, long[] shape, int length) {
        long bytes = byteLength(name, dtype, shape);
        if (bytes / dtype.byteSize() != length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
                    + bytes / dtype.byteSize() + " elements but the array has " + length);
        }
        return bytes;
    }

    /** Validates name and shape; returns numel(shape) * dtype.byteSize(). */
    private long byteLength(String name, SafetensorsDType dtype, long[] shape) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        if (SafetensorsFile.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException("'" + name + "' is reserved and cannot be a tensor name");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added");
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "': element count of shape "
                        + Arrays.toString(shape) + " overflows a long");
            }
        }
        try {
            return Math.multiplyExact(n, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': byte size of shape "
                    + Arrays.toString(shape) + " with dtype " + dtype + " overflows a long");
        }
    }

    @FunctionalInterface
    private interface ElementFiller {
        void fill(ByteBuffer littleEndian, int firstElement, int count);
    }

    private static void writeArray(FileChannel ch, int length, int elemSize, ElementFiller filler)
            throws IOException {
        int perChunk = ARRAY_STAGING_BYTES / elemSize;
        ByteBuffer staging = ByteBuffer.allocate((int) Math.min(ARRAY_STAGING_BYTES, (long) length * elemSize))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int first = 0; first < length; first += perChunk) {
            int count = Math.min(perChunk, length - first);
            staging.clear();
            filler.fill(staging, first, count);
            staging.limit(count * elemSize);
            writeFully(ch, staging);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
