package io.github.leanpo.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.leanpo.pipeline.ChatMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
    private final WordTokenizer tok = WordTokenizer.fromTexts(List.of("What colour are the shapes?", "the colour is red"));

    @Test
    void encodesWordsAndPunctuationAndRoundTrips() {
        int[] ids = tok.encode("What colour are the shapes?");
        assertEquals(6, ids.length);
        assertEquals("what colour are the shapes?", tok.decode(ids));
        assertEquals(WordTokenizer.UNK, tok.encode("purple")[0]);
        assertEquals(tok.vocabulary(), WordTokenizer.fromVocabulary(tok.vocabulary()).vocabulary());
    }

    @Test
    void chatFormatPutsRolesAndEos() {
        int[] p = ChatFormat.prompt(tok, List.of(ChatMessage.user("the colour"), ChatMessage.assistant("red"), ChatMessage.user("is")));
        int[] w = tok.encode("the colour");
        assertArrayEquals(new int[] {WordTokenizer.USER, w[0], w[1], WordTokenizer.ASSISTANT, tok.encode("red")[0], WordTokenizer.EOS,
            WordTokenizer.USER, tok.encode("is")[0], WordTokenizer.ASSISTANT}, p);
        int[] r = ChatFormat.response(tok, "red", true);
        assertEquals(WordTokenizer.EOS, r[r.length - 1]);
    }

    @Test
    void vocabularyMustStartWithSpecials() {
        assertThrows(IllegalArgumentException.class, () -> WordTokenizer.fromVocabulary(List.of("a", "b")));
    }
}
