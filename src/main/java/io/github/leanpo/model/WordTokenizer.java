package io.github.leanpo.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * A word-level tokenizer for the demo's closed vocabulary: text is lower-cased and split on white space, and each
 * punctuation mark is a token of its own. Words outside the vocabulary become {@code <unk>}. Ids 0-5 are the
 * special tokens; the words follow in the order given. Immutable.
 */
public final class WordTokenizer {
    public static final int PAD = 0;
    public static final int UNK = 1;
    public static final int EOS = 2;
    public static final int USER = 3;
    public static final int ASSISTANT = 4;
    public static final int SYSTEM = 5;
    private static final List<String> SPECIALS = List.of("<pad>", "<unk>", "<eos>", "<user>", "<assistant>", "<system>");
    private static final String PUNCT = ".,?!:;()\"'";

    private final List<String> words;
    private final Map<String, Integer> ids = new HashMap<>();

    private WordTokenizer(List<String> words) {
        this.words = List.copyOf(words);
        for (int i = 0; i < this.words.size(); i++) {
            if (ids.putIfAbsent(this.words.get(i), i) != null) {
                throw new IllegalArgumentException("token \"" + this.words.get(i) + "\" appears twice in the vocabulary");
            }
        }
    }

    /** A vocabulary of every word in {@code texts} (sorted, so the same texts give the same ids). */
    public static WordTokenizer fromTexts(Collection<String> texts) {
        TreeSet<String> set = new TreeSet<>();
        for (String t : texts) {
            set.addAll(split(t));
        }
        set.removeAll(SPECIALS);
        List<String> all = new ArrayList<>(SPECIALS);
        all.addAll(set);
        return new WordTokenizer(all);
    }

    /**
     * The vocabulary as saved by {@link #vocabulary()}.
     *
     * @throws IllegalArgumentException when the special tokens are not the first entries or a word repeats
     */
    public static WordTokenizer fromVocabulary(List<String> vocabulary) {
        if (vocabulary.size() < SPECIALS.size() || !vocabulary.subList(0, SPECIALS.size()).equals(SPECIALS)) {
            throw new IllegalArgumentException("a vocabulary must start with the special tokens " + SPECIALS);
        }
        return new WordTokenizer(vocabulary);
    }

    /** Every token, by id (specials first). */
    public List<String> vocabulary() {
        return words;
    }

    /** V. */
    public int size() {
        return words.size();
    }

    public int[] encode(String text) {
        List<String> parts = split(text);
        int[] out = new int[parts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.getOrDefault(parts.get(i), UNK);
        }
        return out;
    }

    /** Words joined by spaces, punctuation attached to the word before it; special tokens are dropped. */
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            if (t < SPECIALS.size() && t != UNK) {
                continue;
            }
            String w = t >= 0 && t < words.size() ? words.get(t) : "<unk>";
            boolean attach = w.length() == 1 && PUNCT.indexOf(w.charAt(0)) >= 0 && "(\"'".indexOf(w.charAt(0)) < 0;
            if (sb.length() > 0 && !attach) {
                sb.append(' ');
            }
            sb.append(w);
        }
        return sb.toString();
    }

    public String token(int id) {
        return words.get(id);
    }

    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        String s = text.toLowerCase(Locale.ROOT);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || PUNCT.indexOf(c) >= 0) {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
                if (PUNCT.indexOf(c) >= 0) {
                    out.add(String.valueOf(c));
                }
            } else {
                cur.append(c);
            }
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }
}
