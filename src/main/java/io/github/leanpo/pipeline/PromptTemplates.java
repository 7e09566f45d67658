package io.github.leanpo.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prompts of the pipeline, as text files with {@code {question}}, {@code {answer}} and {@code {previous}}
 * placeholders. Built-in wording ships as resources ({@code io/github/leanpo/pipeline/templates/*.txt}); a directory
 * can override any of them with a file of the same name.
 *
 * <ul>
 *   <li>{@code prompt.txt} — the plain question: the prompt under which both answers are scored and the
 *       {@code prompt} of the written pair. Needs {@code {question}}; must not use {@code {answer}}.</li>
 *   <li>{@code winner.txt} — the first winner turn, with the answer as a hint. Needs {@code {question}} and {@code {answer}}.</li>
 *   <li>{@code reflect.txt} — one self-reflection round. Needs {@code {question}}, {@code {answer}} and {@code {previous}}.</li>
 *   <li>{@code loser.txt} — the loser's turn, no hint. Needs {@code {question}}; must not use {@code {answer}}.</li>
 * </ul>
 *
 * Each template has an id, {@code name@hash} (the first 8 hex digits of the SHA-256 of its text), written with each
 * pair so a dataset records which wording produced it. Placeholder values are substituted in one pass (a question
 * that contains {@code {answer}} stays as it is). Immutable and thread-safe.
 */
public final class PromptTemplates {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)\\}");
    private static final String RESOURCE_DIR = "/io/github/leanpo/pipeline/templates/";

    /** The four templates, with the placeholders each needs and those it must not use. */
    public enum Kind {
        PROMPT(Set.of("question"), Set.of("answer", "previous")),
        WINNER(Set.of("question", "answer"), Set.of("previous")),
        REFLECT(Set.of("question", "answer", "previous"), Set.of()),
        LOSER(Set.of("question"), Set.of("answer", "previous"));

        private final Set<String> required;
        private final Set<String> forbidden;

        Kind(Set<String> required, Set<String> forbidden) {
            this.required = required;
            this.forbidden = forbidden;
        }

        public String fileName() {
            return name().toLowerCase(Locale.ROOT) + ".txt";
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One template.
     *
     * @param kind   which prompt it is
     * @param text   the template text (trailing whitespace removed)
     * @param id     {@code name@hash}
     * @param source where it came from (a resource or a file)
     */
    public record Template(Kind kind, String text, String id, String source) {
        /** Substitutes the placeholders in one pass. */
        public String render(Map<String, String> values) {
            Matcher m = PLACEHOLDER.matcher(text);
            StringBuilder sb = new StringBuilder(text.length() + 256);
            while (m.find()) {
                String v = values.get(m.group(1));
                if (v == null) {
                    throw new IllegalStateException("template " + id + " needs a value for {" + m.group(1) + "}");
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(v));
            }
            m.appendTail(sb);
            return sb.toString();
        }
    }

    private final Map<Kind, Template> templates;

    private PromptTemplates(Map<Kind, Template> templates) {
        this.templates = new EnumMap<>(templates);
    }

    /** The built-in wording. */
    public static PromptTemplates builtIn() {
        Map<Kind, Template> t = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            String res = RESOURCE_DIR + k.fileName();
            try (InputStream in = PromptTemplates.class.getResourceAsStream(res)) {
                if (in == null) {
                    throw new IllegalStateException("the built-in template " + res + " is missing from the classpath (broken build?)");
                }
                t.put(k, parse(k, decode(in.readAllBytes(), res), "built-in " + k.fileName()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the built-in template " + res, e);
            }
        }
        return new PromptTemplates(t);
    }

    /**
     * The built-in wording with every {@code *.txt} file of {@code dir} overriding the template of that name.
     *
     * @throws IllegalArgumentException when {@code dir} is not a directory, holds a {@code .txt} file with another name,
     *                                  or a template lacks a required placeholder, uses a forbidden or unknown one, or is empty
     */
    public static PromptTemplates load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("the templates directory " + dir + " does not exist or is not a directory");
        }
        Map<Kind, Template> t = new EnumMap<>(builtIn().templates);
        List<String> names = new ArrayList<>();
        for (Kind k : Kind.values()) {
            names.add(k.fileName());
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.txt")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                Kind kind = null;
                for (Kind k : Kind.values()) {
                    if (k.fileName().equals(name)) {
                        kind = k;
                    }
                }
                if (kind == null) {
                    throw new IllegalArgumentException("unknown template file " + f + " (the templates are " + String.join(", ", names) + ")");
                }
                t.put(kind, parse(kind, decode(Files.readAllBytes(f), f.toString()), f.toString()));
            }
        }
        return new PromptTemplates(t);
    }

    public Template get(Kind kind) {
        return templates.get(kind);
    }

    /** The plain prompt for {@code question} (scoring and the pair's {@code prompt}). */
    public String prompt(String question) {
        return get(Kind.PROMPT).render(Map.of("question", question));
    }

    /** The winner's first turn: the question with the answer as a hint. */
    public String winner(String question, String answer) {
        return get(Kind.WINNER).render(Map.of("question", question, "answer", answer));
    }

    /** One reflection round: the question, the hint and the previous reply. */
    public String reflect(String question, String answer, String previous) {
        return get(Kind.REFLECT).render(Map.of("question", question, "answer", answer, "previous", previous));
    }

    /** The loser's turn: the question alone. */
    public String loser(String question) {
        return get(Kind.LOSER).render(Map.of("question", question));
    }

    /** Template ids by key (prompt, winner, reflect, loser), as written with each pair. */
    public Map<String, String> ids() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            m.put(k.key(), templates.get(k).id());
        }
        return m;
    }

    private static Template parse(Kind kind, String raw, String source) {
        String text = raw.startsWith("\uFEFF") ? raw.substring(1) : raw;
        text = text.stripTrailing();
        if (text.isBlank()) {
            throw new IllegalArgumentException("template " + source + " is empty");
        }
        Set<String> used = new java.util.HashSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            if (!name.equals("question") && !name.equals("answer") && !name.equals("previous")) {
                throw new IllegalArgumentException("template " + source + " uses an unknown placeholder {" + name
                        + "} (known: {question}, {answer}, {previous})");
            }
            if (kind.forbidden.contains(name)) {
                throw new IllegalArgumentException("template " + source + " must not use {" + name + "}"
                        + (name.equals("answer") ? ": the " + kind.key() + " prompt never sees the ground-truth answer" : ""));
            }
            used.add(name);
        }
        for (String r : kind.required) {
            if (!used.contains(r)) {
                throw new IllegalArgumentException("template " + source + " needs the placeholder {" + r + "}");
            }
        }
        return new Template(kind, text, kind.key() + "@" + sha256(text).substring(0, 8), source);
    }

    private static String decode(byte[] bytes, String source) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("template " + source + " is not valid UTF-8");
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
