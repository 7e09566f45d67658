package io.github.leanpo.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a stream line by line ({@code \n} or {@code \r\n}), decoding each line as strict UTF-8 on its own, so a bad
 * byte is reported on the line that holds it (a decoding reader would fail a buffer ahead). Not thread-safe.
 */
final class Utf8Lines {
    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private long number;

    /** Borrows {@code in}; the caller closes it. */
    Utf8Lines(InputStream in) {
        this.in = in;
    }

    /** The number of the line last returned (1-based). */
    long number() {
        return number;
    }

    /**
     * The next line without its terminator, or null at the end.
     *
     * @throws CharacterCodingException when the line is not valid UTF-8 ({@link #number()} is that line)
     */
    String next() throws IOException {
        line.reset();
        boolean any = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(buf, 0, buf.length);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    break;
                }
            }
            any = true;
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            line.write(buf, start, pos - start);
            if (pos < limit) {
                pos++; // the newline
                break;
            }
        }
        if (!any) {
            return null;
        }
        number++;
        byte[] b = line.toByteArray();
        int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        return decoder.reset().decode(ByteBuffer.wrap(b, 0, n)).toString();
    }
}
