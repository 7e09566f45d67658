package io.github.leanpo.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;

/**
 * A read-only, strictly validated view of a safetensors file.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}, then {@code N} bytes of
 * UTF-8 JSON object mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}} (offsets relative
 * to the start of the data region that follows the header), plus an optional
 * {@code "__metadata__"} object of string to string. Tensor data is little-endian and row-major.
 *
 * <p>{@link #open(Path)} reads and validates the whole header before returning; nothing is
 * allocated on the strength of header claims until they have been checked against the real size
 * of the file. Validation rejects, with a {@link SafetensorsFormatException} naming the file and
 * (where applicable) the tensor: files shorter than 8 bytes; header lengths over
 * {@value #MAX_HEADER_BYTES} bytes or longer than the rest of the file; headers that are not UTF-8,
 * not JSON, not a JSON object or that contain duplicate keys; entries with missing, unexpected or
 * wrongly typed fields; unknown dtypes; negative dimensions; shapes whose element count or byte
 * size overflows a {@code long}; {@code data_offsets} that are not two non-negative integers with
 * {@code begin <= end}; byte ranges whose length differs from {@code numel * elementSize}; tensors
 * reaching past the data region; overlapping tensors; and data regions that the tensors do not
 * tile exactly (holes or trailing bytes). A {@code __metadata__} that is not a string-to-string
 * object is rejected as well.
 *
 * <p>The file stays open until {@link #close()}; readers use positional reads and may be called
 * from several threads at once. Instances must be closed.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted, in bytes (100 MiB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Largest piece read into native memory by one positional read loop (1 GiB). */
    static final long MAX_CHUNK_BYTES = 1L << 30;

    /** Heap staging buffer size used by the array readers; a multiple of 8. */
    private static final int ARRAY_STAGING_BYTES = 8 << 20;

    /** Largest Java array length that is safe to request on common JVMs. */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /** Name of the reserved metadata entry in the header. */
    static final String METADATA_KEY = "__metadata__";

    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");

    private static final ObjectReader JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .reader();

    /**
     * Location and type of one tensor in a safetensors file.
     *
     * <p>{@code shape} lists the dimensions, outermost first (row-major); an empty shape is a
     * scalar with one element, and any zero dimension makes the tensor empty. {@code begin} and
     * {@code end} are byte offsets relative to the start of the data region, {@code end}
     * exclusive. The shape array is copied on construction and on access.
     *
     * @param name the tensor name (header key)
     * @param dtype the element type
     * @param shape the dimensions, each {@code >= 0}
     * @param begin first byte of the tensor within the data region
     * @param end one past the last byte of the tensor within the data region
     */
    public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

        /**
         * Validates and creates a tensor description; {@code shape} is copied.
         *
         * @param name the tensor name
         * @param dtype the element type
         * @param shape the dimensions, each {@code >= 0}
         * @param begin first byte within the data region, {@code >= 0}
         * @param end one past the last byte within the data region
         * @throws NullPointerException if {@code name}, {@code dtype} or {@code shape} is null
         * @throws IllegalArgumentException if a dimension is negative, the element count or byte
         *     size overflows a {@code long}, the offsets are negative or decreasing, or
         *     {@code end - begin} differs from the byte size implied by shape and dtype
         */
        public TensorInfo {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = Objects.requireNonNull(shape, "shape").clone();
            long bytes;
            try {
                bytes = Math.multiplyExact(checkedNumel(shape), (long) dtype.byteSize());
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "': byte size of shape "
                        + Arrays.toString(shape) + " with dtype " + dtype + " overflows a long");
            }
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException("tensor '" + name + "': invalid offsets [" + begin + ", "
                        + end + "]");
            }
            if (end - begin != bytes) {
                throw new IllegalArgumentException("tensor '" + name + "': offsets [" + begin + ", " + end
                        + "] span " + (end - begin) + " bytes but shape " + Arrays.toString(shape)
                        + " with dtype " + dtype + " needs " + bytes);
            }
        }

        /** @return a copy of the dimensions (empty for a scalar) */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** @return the number of dimensions (0 for a scalar) */
        public int rank() {
            return shape.length;
        }

        /** @return the number of elements: the product of the dimensions, 1 for a scalar */
        public long numel() {
            return checkedNumel(shape);
        }

        /** @return the size of the tensor data in bytes, {@code numel() * dtype().byteSize()} */
        public long byteLength() {
            return numel() * dtype.byteSize();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                    && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return "TensorInfo[name=" + name + ", dtype=" + dtype + ", shape=" + Arrays.toString(shape)
                    + ", data_offsets=[" + begin + ", " + end + "]]";
        }

        private static long checkedNumel(long[] shape) {
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension " + d + " in shape "
                            + Arrays.toString(shape));
                }
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final long dataSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, long dataSize,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.dataSize = dataSize;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens a safetensors file, reads its header and validates it strictly. The file stays open
     * until {@link #close()}.
     *
     * @param path the file to open
     * @return the open file; the caller must close it
     * @throws SafetensorsFormatException if the file is not a valid safetensors file (the message
     *     names the file and the problem)
     * @throws IOException if the file cannot be opened or read
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return parse(path, ch);
        } catch (Throwable t) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                t.addSuppressed(suppressed);
            }
            throw t;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new SafetensorsFormatException(path, "file is " + fileSize
                    + " bytes long, shorter than the 8-byte header length prefix");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(path, ch, prefix, 0, "the header length prefix");
        long headerLength = prefix.getLong(0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(path, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes (100 MiB)");
        }
        if (headerLength > fileSize - 8) {
            throw new SafetensorsFormatException(path, "header length " + headerLength + " exceeds the "
                    + (fileSize - 8) + " bytes that follow the 8-byte length prefix (file size " + fileSize + ")");
        }
        byte[] headerBytes = new byte[(int) headerLength];
        readFully(path, ch, ByteBuffer.wrap(headerBytes), 8, "the header");
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;

        String json;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes));
            json = chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(path, "header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new SafetensorsFormatException(path, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(path, "header must be a JSON object but is "
                    + (root == null || root.isMissingNode() ? "empty" : kind(root)));
        }

        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (METADATA_KEY.equals(e.getKey())) {
                parseMetadata(path, e.getValue(), metadata);
            } else {
                tensors.put(e.getKey(), parseTensor(path, e.getKey(), e.getValue(), dataSize));
            }
        }
        checkTiling(path, tensors, dataSize);
        return new SafetensorsFile(path, ch, dataStart, dataSize, tensors, metadata);
    }

    private static void parseMetadata(Path path, JsonNode node, Map<String, String> out)
            throws SafetensorsFormatException {
        if (!node.isObject()) {
            throw new SafetensorsFormatException(path, METADATA_KEY
                    + " must be a JSON object mapping strings to strings, but is " + kind(node));
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsFormatException(path, METADATA_KEY + " value for key '" + e.getKey()
                        + "' must be a string but is " + kind(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode node, long dataSize)
            throws SafetensorsFormatException {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(path, where
                    + "entry must be a JSON object with dtype, shape and data_offsets, but is " + kind(node));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!ENTRY_FIELDS.contains(field)) {
                throw new SafetensorsFormatException(path, where + "unexpected field '" + abbreviate(field)
                        + "' (allowed: dtype, shape, data_offsets)");
            }
        }

        JsonNode dtypeNode = requireField(path, where, node, "dtype");
        if (!dtypeNode.isTextual()) {
            throw new SafetensorsFormatException(path, where + "field 'dtype' must be a string but is "
                    + kind(dtypeNode));
        }
        SafetensorsDType dtype = SafetensorsDType.fromSpecName(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafetensorsFormatException(path, where + "unknown dtype '" + abbreviate(dtypeNode.textValue())
                    + "' (known dtypes: " + SafetensorsDType.knownNames() + ")");
        }

        JsonNode shapeNode = requireField(path, where, node, "shape");
        if (!shapeNode.isArray()) {
            throw new SafetensorsFormatException(path, where + "field 'shape' must be an array of integers but is "
                    + kind(shapeNode));
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!isLong(d)) {
                throw new SafetensorsFormatException(path, where + "shape[" + i
                        + "] must be an integer that fits in 64 bits but is " + abbreviate(d.toString()));
            }
            shape[i] = d.longValue();
            if (shape[i] < 0) {
                throw new SafetensorsFormatException(path, where + "shape[" + i + "] is negative ("
                        + shape[i] + ")");
            }
        }
        long numel = 1;
        try {
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(path, where + "element count of shape "
                    + abbreviate(Arrays.toString(shape)) + " overflows a 64-bit integer");
        }
        long byteLength;
        try {
            byteLength = Math.multiplyExact(numel, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(path, where + "byte size of shape "
                    + abbreviate(Arrays.toString(shape)) + " with dtype " + dtype + " overflows a 64-bit integer");
        }

        JsonNode offs = requireField(path, where, node, "data_offsets");
        if (!offs.isArray() || offs.size() != 2 || !isLong(offs.get(0)) || !isLong(offs.get(1))
                || offs.get(0).longValue() < 0 || offs.get(1).longValue() < 0) {
            throw new SafetensorsFormatException(path, where
                    + "field 'data_offsets' must be an array of two non-negative integers but is "
                    + abbreviate(offs.toString()));
        }
        long begin = offs.get(0).longValue();
        long end = offs.get(1).longValue();
        if (begin > end) {
            throw new SafetensorsFormatException(path, where + "data_offsets [" + begin + ", " + end
                    + "] have begin > end");
        }
        if (end > dataSize) {
            throw new SafetensorsFormatException(path, where + "data_offsets [" + begin + ", " + end
                    + "] extend beyond the data region of " + dataSize + " bytes");
        }
        if (end - begin != byteLength) {
            throw new SafetensorsFormatException(path, where + "data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but shape " + abbreviate(Arrays.toString(shape)) + " with dtype "
                    + dtype + " needs " + byteLength + " bytes");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkTiling(Path path, Map<String, TensorInfo> tensors, long dataSize)
            throws SafetensorsFormatException {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < covered) {
                throw new SafetensorsFormatException(path, "tensors '" + prev.name() + "' [" + prev.begin() + ", "
                        + prev.end() + "] and '" + t.name() + "' [" + t.begin() + ", " + t.end() + "] overlap");
            }
            if (t.begin() > covered) {
                throw new SafetensorsFormatException(path, "hole in the data region: bytes [" + covered + ", "
                        + t.begin() + ") before tensor '" + t.name() + "' belong to no tensor");
            }
            covered = t.end();
            prev = t;
        }
        if (covered != dataSize) {
            throw new SafetensorsFormatException(path, (dataSize - covered) + " trailing bytes after "
                    + (prev == null ? "the header (the file declares no tensors)" : "the last tensor '" + prev.name() + "'")
                    + ": the data region is " + dataSize + " bytes but tensors cover only [0, " + covered + ")");
        }
    }

    private static JsonNode requireField(Path path, String where, JsonNode node, String field)
            throws SafetensorsFormatException {
        JsonNode v = node.get(field);
        if (v == null) {
            throw new SafetensorsFormatException(path, where + "missing field '" + field + "'");
        }
        return v;
    }

    private static boolean isLong(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong();
    }

    private static String kind(JsonNode n) {
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /** @return the path this file was opened from */
    public Path path() {
        return path;
    }

    /** @return the size in bytes of the data region that follows the header */
    public long dataRegionSize() {
        return dataSize;
    }

    /**
     * @return all tensors, keyed by name, in the order they appear in the header; unmodifiable.
     *     The {@code __metadata__} entry is not included.
     */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** @return the {@code __metadata__} entries in header order (empty if absent); unmodifiable */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * @param name a tensor name
     * @return the tensor's dtype, shape and offsets
     * @throws NoSuchElementException if there is no such tensor; the message names the missing key
     *     and lists the available ones
     */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            StringBuilder sb = new StringBuilder("safetensors file ").append(path).append(" has no tensor named '")
                    .append(name).append("'; available tensors: [");
            int shown = 0;
            for (String k : tensors.keySet()) {
                if (shown == 50) {
                    sb.append(", ... (").append(tensors.size() - shown).append(" more)");
                    break;
                }
                sb.append(shown == 0 ? "" : ", ").append(k);
                shown++;
            }
            throw new NoSuchElementException(sb.append(']').toString());
        }
        return t;
    }

    /**
     * Reads a tensor's raw bytes (little-endian, row-major, as stored) into newly allocated native
     * memory. Works for tensors of any size, including over 2 GiB; the file is read in pieces of
     * at most 1 GiB.
     *
     * <p><b>Ownership:</b> the returned pointer is owned by the caller, who must release it with
     * {@link BytePointer#close()} (or {@code deallocate()}) when done. Its position is 0 and its
     * limit and capacity equal {@link TensorInfo#byteLength()} (0 for an empty tensor).
     *
     * @param name the tensor name
     * @return native memory holding exactly the tensor's bytes
     * @throws NoSuchElementException if there is no such tensor
     * @throws IllegalStateException if this file has been closed
     * @throws SafetensorsFormatException if the file turned out shorter than its header claims
     *     (i.e. it was truncated after opening)
     * @throws IOException if reading fails
     * @throws OutOfMemoryError if the native allocation fails
     */
    public BytePointer read(String name) throws IOException {
        TensorInfo t = info(name);
        ensureOpen();
        BytePointer out = new BytePointer(t.byteLength());
        try {
            readInto(t, out, MAX_CHUNK_BYTES);
        } catch (Throwable e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** Fills {@code dst} (from its position) with the tensor's bytes, at most {@code chunk} bytes per piece. */
    void readInto(TensorInfo t, BytePointer dst, long chunk) throws IOException {
        long len = t.byteLength();
        if (dst.limit() - dst.position() < len) {
            throw new IllegalArgumentException("destination holds " + (dst.limit() - dst.position())
                    + " bytes, tensor '" + t.name() + "' needs " + len);
        }
        long n;
        for (long off = 0; off < len; off += n) {
            n = Math.min(chunk, len - off);
            ByteBuffer piece = NativeSlices.slice(dst, off, n);
            readFully(path, channel, piece, dataStart + t.begin() + off, "tensor '" + t.name() + "'");
        }
    }

    /**
     * Reads an {@link SafetensorsDType#F32} tensor into a new Java array, in row-major order.
     *
     * @param name the tensor name
     * @return the elements ({@code numel()} of them)
     * @throws NoSuchElementException if there is no such tensor
     * @throws IllegalArgumentException if the tensor's dtype is not F32, or it has more elements
     *     than a Java array can hold (use {@link #read(String)} instead)
     * @throws IllegalStateException if this file has been closed
     * @throws IOException if reading fails or the file was truncated after opening
     */
    public float[] readF32(String name) throws IOException {
        TensorInfo t = info(name);
        requireDtype(t, "readF32", SafetensorsDType.F32);
        ensureOpen();
        float[] out = new float[arrayLength(t)];
        readElements(t, (buf, first, count) -> buf.asFloatBuffer().get(out, first, count));
        return out;
    }

    /**
     * Reads an integer tensor of dtype {@link SafetensorsDType#I64} or {@link SafetensorsDType#I32}
     * into a new {@code long[]}, in row-major order; I32 values are sign-extended.
     *
     * @param name the tensor name
     * @return the elements ({@code numel()} of them)
     * @throws NoSuchElementException if there is no such tensor
     * @throws IllegalArgumentException if the tensor's dtype is neither I64 nor I32, or it has more
     *     elements than a Java array can hold (use {@link #read(String)} instead)
     * @throws IllegalStateException if this file has been closed
     * @throws IOException if reading fails or the file was truncated after opening
     */
    public long[] readIndices(String name) throws IOException {
        TensorInfo t = info(name);
        requireDtype(t, "readIndices", SafetensorsDType.I64, SafetensorsDType.I32);
        ensureOpen();
        long[] out = new long[arrayLength(t)];
        if (t.dtype() == SafetensorsDType.I64) {
            readElements(t, (buf, first, count) -> buf.asLongBuffer().get(out, first, count));
        } else {
            readElements(t, (buf, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out[first + i] = buf.getInt(4 * i);
                }
            });
        }
        return out;
    }

    @FunctionalInterface
    private interface ElementSink {
        /** @param buf little-endian bytes of {@code count} elements, position 0 */
        void accept(ByteBuffer buf, int firstElement, int count);
    }

    private void readElements(TensorInfo t, ElementSink sink) throws IOException {
        ensureOpen();
        int elemSize = t.dtype().byteSize();
        long len = t.byteLength();
        ByteBuffer staging = ByteBuffer.allocate((int) Math.min(ARRAY_STAGING_BYTES, Math.max(len, 1)))
                .order(ByteOrder.LITTLE_ENDIAN);
        long off = 0;
        int element = 0;
        while (off < len) {
            int n = (int) Math.min(staging.capacity(), len - off);
            staging.clear().limit(n);
            readFully(path, channel, staging, dataStart + t.begin() + off, "tensor '" + t.name() + "'");
            staging.flip();
            int count = n / elemSize;
            sink.accept(staging.slice().order(ByteOrder.LITTLE_ENDIAN), element, count);
            element += count;
            off += n;
        }
    }

    private void requireDtype(TensorInfo t, String method, SafetensorsDType... allowed) {
        for (SafetensorsDType a : allowed) {
            if (t.dtype() == a) {
                return;
            }
        }
        throw new IllegalArgumentException(method + ": tensor '" + t.name() + "' in " + path + " has dtype "
                + t.dtype() + ", expected " + (allowed.length == 1 ? allowed[0] : "one of " + Arrays.toString(allowed)));
    }

    private int arrayLength(TensorInfo t) {
        long n = t.numel();
        if (n > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' in " + path + " has " + n
                    + " elements, more than a Java array can hold (" + MAX_ARRAY_LENGTH + "); use read(name)");
        }
        return (int) n;
    }

    private void ensureOpen() {
        if (!channel.isOpen()) {
            throw new IllegalStateException("safetensors file " + path + " is closed");
        }
    }

    private static void readFully(Path path, FileChannel ch, ByteBuffer buf, long position, String what)
            throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new SafetensorsFormatException(path, "unexpected end of file at byte " + pos + " while reading "
                        + what + " (was the file truncated after it was opened?)");
            }
            pos += r;
        }
    }

    /** Closes the underlying file. Native memory returned by {@link #read(String)} is not affected. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
