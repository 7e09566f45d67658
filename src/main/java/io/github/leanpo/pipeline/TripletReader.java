package io.github.leanpo.pipeline;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads the pipeline's input: video question-answering triplets, one JSON object per line
 * ({@code {"id", "video", "question", "answer"}}), or LLaVA-Video style records
 * ({@code {"id", "video", "conversations": [{"from": "human", "value": "<video>\nQ"}, {"from": "gpt", "value": "A"}]}}),
 * either as JSON lines or as one JSON array (the way LLaVA-Video ships its annotation files).
 *
 * <p>A conversations record with one question-answer turn becomes one sample with the record's id; one with
 * several turns becomes one sample per turn, with ids {@code id#0}, {@code id#1}, ... The {@code <video>} and
 * {@code <image>} placeholders are removed from questions. Relative video paths are resolved against the video
 * root (by default the input file's directory).
 *
 * <p>Reading is strict: every problem is an {@link InputFormatException} whose message starts with
 * {@code file:line} and names the field, including a duplicate id (ids key resumption and seeds, so they must be
 * unique). Records are streamed, so an input of millions of records is never held in memory; only the ids are.
 */
public final class TripletReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int PEEK = 8192;

    private final Path input;
    private final Path videoRoot;

    /**
     * @param input     the JSONL (or JSON array) file
     * @param videoRoot directory that relative video paths are resolved against; null means the input's directory
     */
    public TripletReader(Path input, Path videoRoot) {
        this.input = input;
        Path parent = input.toAbsolutePath().getParent();
        this.videoRoot = videoRoot != null ? videoRoot : parent;
    }

    public Path input() {
        return input;
    }

    /** Reads and validates every record. */
    public List<Sample> readAll() throws IOException {
        List<Sample> out = new ArrayList<>();
        forEach(out::add);
        return out;
    }

    /**
     * Streams the samples in input order to {@code sink}, validating as it goes.
     *
     * @return the number of samples
     * @throws java.nio.file.NoSuchFileException when the input does not exist
     * @throws InputFormatException             on the first record that cannot be used
     */
    public long forEach(Consumer<Sample> sink) throws IOException {
        Map<String, String> seen = new HashMap<>();
        long[] count = {0};
        Consumer<Sample> checked = s -> {
            String first = seen.putIfAbsent(s.id(), s.source());
            if (first != null) {
                throw new InputFormatException(s.source() + ": duplicate id \"" + s.id() + "\" (first at " + first
                        + "); ids must be unique because they key resumption and seeds");
            }
            count[0]++;
            sink.accept(s);
        };
        try (InputStream raw = Files.newInputStream(input);
             PushbackInputStream in = new PushbackInputStream(raw, PEEK)) {
            skipBom(in);
            int first = firstNonSpace(in);
            if (first == '[') {
                readArray(in, checked);
            } else if (first == '{' || first == -1) {
                readLines(in, checked);
            } else {
                throw new InputFormatException(input + ":1: expected JSON lines (one object per line) or a JSON array of objects, "
                        + "got '" + (char) first + "'");
            }
        }
        return count[0];
    }

    private void readLines(InputStream in, Consumer<Sample> sink) throws IOException {
        Utf8Lines lines = new Utf8Lines(in);
        while (true) {
            String line;
            try {
                line = lines.next();
            } catch (CharacterCodingException e) {
                throw new InputFormatException(input + ":" + lines.number() + ": not valid UTF-8");
            }
            if (line == null) {
                return;
            }
            if (line.isBlank()) {
                continue;
            }
            String where = input + ":" + lines.number();
            JsonNode node;
            try {
                node = MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new InputFormatException(where + ": malformed JSON (" + e.getOriginalMessage() + ")");
            }
            for (Sample s : toSamples(node, where, videoRoot)) {
                sink.accept(s);
            }
        }
    }

    private void readArray(InputStream in, Consumer<Sample> sink) throws IOException {
        // Strict UTF-8, as in lines mode: given bytes, Jackson would guess UTF-16 or UTF-32 from zero bytes after the
        // '[' and fail with an unexplained CharConversionException on what is really a damaged file.
        Reader utf8 = new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
        JsonParser p = MAPPER.getFactory().createParser(utf8);
        try (p) {
            p.nextToken(); // START_ARRAY
            int index = 0;
            while (true) {
                JsonToken t = p.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    break;
                }
                String where = input + ":" + p.currentTokenLocation().getLineNr();
                if (t == null) {
                    throw new InputFormatException(where + ": the JSON array is not closed (file truncated?)");
                }
                if (t != JsonToken.START_OBJECT) {
                    throw new InputFormatException(where + ": element " + index + " of the array is not a JSON object");
                }
                JsonNode node = MAPPER.readTree(p);
                for (Sample s : toSamples(node, where, videoRoot)) {
                    sink.accept(s);
                }
                index++;
            }
            if (p.nextToken() != null) {
                throw new InputFormatException(input + ":" + p.currentTokenLocation().getLineNr() + ": content after the closing ]");
            }
        } catch (JsonProcessingException e) {
            long line = e.getLocation() != null ? e.getLocation().getLineNr() : -1;
            throw new InputFormatException(input + ":" + line + ": malformed JSON (" + e.getOriginalMessage() + ")");
        } catch (CharacterCodingException e) {
            throw new InputFormatException(input + ":" + p.currentLocation().getLineNr() + ": not valid UTF-8");
        }
    }

    /** One input record to its samples: one for a triplet, one per turn for a conversations record. */
    static List<Sample> toSamples(JsonNode node, String where, Path videoRoot) {
        if (!node.isObject()) {
            throw new InputFormatException(where + ": expected a JSON object, got " + kind(node));
        }
        String id = id(node, where);
        Path video = video(node, where, videoRoot);
        JsonNode conv = node.get("conversations");
        if (conv == null || conv.isNull()) {
            String question = text(node, "question", where, "a triplet needs id, video, question and answer (or id, video and conversations)");
            String answer = text(node, "answer", where, "a triplet needs id, video, question and answer (or id, video and conversations)");
            return List.of(new Sample(id, video, question, answer, where));
        }
        if (!conv.isArray()) {
            throw new InputFormatException(where + ": \"conversations\" must be an array of {\"from\", \"value\"} turns, got " + kind(conv));
        }
        List<String[]> turns = new ArrayList<>();
        String pendingQuestion = null;
        for (int i = 0; i < conv.size(); i++) {
            JsonNode m = conv.get(i);
            String at = where + ": conversations[" + i + "]";
            if (!m.isObject() || !m.path("from").isTextual() || !m.path("value").isTextual()) {
                throw new InputFormatException(at + " must be an object with string fields \"from\" and \"value\"");
            }
            String from = m.get("from").asText().toLowerCase(Locale.ROOT);
            String value = m.get("value").asText();
            switch (from) {
                case "system" -> { }
                case "human", "user" -> {
                    if (pendingQuestion != null) {
                        throw new InputFormatException(at + ": two questions in a row (\"" + from + "\" after \"human\"); turns must alternate human, gpt");
                    }
                    pendingQuestion = stripPlaceholders(value);
                    if (pendingQuestion.isEmpty()) {
                        throw new InputFormatException(at + ": the question is empty once the <video> placeholder is removed");
                    }
                }
                case "gpt", "assistant" -> {
                    if (pendingQuestion == null) {
                        throw new InputFormatException(at + ": an answer (\"" + from + "\") without a question before it");
                    }
                    String answer = value.strip();
                    if (answer.isEmpty()) {
                        throw new InputFormatException(at + ": the answer is empty");
                    }
                    turns.add(new String[] {pendingQuestion, answer});
                    pendingQuestion = null;
                }
                default -> throw new InputFormatException(at + ": unknown \"from\": \"" + m.get("from").asText()
                        + "\" (use human/user, gpt/assistant or system)");
            }
        }
        if (pendingQuestion != null) {
            throw new InputFormatException(where + ": the last question in \"conversations\" has no answer");
        }
        if (turns.isEmpty()) {
            throw new InputFormatException(where + ": \"conversations\" holds no question-answer turn");
        }
        if (turns.size() == 1) {
            return List.of(new Sample(id, video, turns.get(0)[0], turns.get(0)[1], where));
        }
        List<Sample> out = new ArrayList<>(turns.size());
        for (int k = 0; k < turns.size(); k++) {
            out.add(new Sample(id + "#" + k, video, turns.get(k)[0], turns.get(k)[1], where));
        }
        return out;
    }

    private static String id(JsonNode node, String where) {
        JsonNode v = node.get("id");
        if (v == null || v.isNull()) {
            throw new InputFormatException(where + ": missing \"id\"");
        }
        String id;
        if (v.isTextual()) {
            id = v.asText();
        } else if (v.isIntegralNumber()) {
            id = v.asText();
        } else {
            throw new InputFormatException(where + ": \"id\" must be a string or an integer, got " + kind(v));
        }
        if (id.isBlank()) {
            throw new InputFormatException(where + ": \"id\" is empty");
        }
        return id;
    }

    private static Path video(JsonNode node, String where, Path videoRoot) {
        JsonNode v = node.get("video");
        if (v == null || v.isNull()) {
            throw new InputFormatException(where + ": missing \"video\" (the path of the video file)");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new InputFormatException(where + ": \"video\" must be a non-empty string path, got " + kind(v));
        }
        try {
            Path p = Path.of(v.asText());
            return p.isAbsolute() || videoRoot == null ? p : videoRoot.resolve(p);
        } catch (InvalidPathException e) {
            throw new InputFormatException(where + ": \"video\" is not a valid path: " + e.getMessage());
        }
    }

    private static String text(JsonNode node, String field, String where, String hint) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new InputFormatException(where + ": missing \"" + field + "\" (" + hint + ")");
        }
        if (!v.isTextual()) {
            throw new InputFormatException(where + ": \"" + field + "\" must be a string, got " + kind(v));
        }
        String s = field.equals("question") ? stripPlaceholders(v.asText()) : v.asText().strip();
        if (s.isEmpty()) {
            throw new InputFormatException(where + ": \"" + field + "\" is empty");
        }
        return s;
    }

    static String stripPlaceholders(String s) {
        return s.replace("<video>", "").replace("<image>", "").strip();
    }

    private static String kind(JsonNode n) {
        return n.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static void skipBom(PushbackInputStream in) throws IOException {
        byte[] b = new byte[3];
        int n = in.readNBytes(b, 0, 3);
        if (!(n == 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF)) {
            in.unread(b, 0, n);
        }
    }

    /** Peeks at the first non-whitespace byte within the first {@value #PEEK} bytes (all pushed back); -1 if there is none. */
    private static int firstNonSpace(PushbackInputStream in) throws IOException {
        byte[] buf = new byte[PEEK];
        int n = in.readNBytes(buf, 0, PEEK);
        in.unread(buf, 0, n);
        for (int i = 0; i < n; i++) {
            int c = buf[i] & 0xFF;
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                return c;
            }
        }
        return -1;
    }
}
