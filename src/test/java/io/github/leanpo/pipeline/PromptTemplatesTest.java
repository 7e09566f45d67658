package io.github.leanpo.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Built-in templates, overrides from a directory, and the placeholder rules. */
class PromptTemplatesTest {
    @TempDir
    Path dir;

    @Test
    void builtInTemplatesRender() {
        PromptTemplates t = PromptTemplates.builtIn();
        assertEquals("What moves?", t.prompt("What moves?"));
        String w = t.winner("What moves?", "A red square.");
        assertTrue(w.contains("What moves?") && w.contains("A red square."), w);
        String r = t.reflect("What moves?", "A red square.", "A square moves.");
        assertTrue(r.contains("What moves?") && r.contains("A red square.") && r.contains("A square moves."), r);
        String l = t.loser("What moves?");
        assertTrue(l.contains("What moves?") && !l.contains("{"), l);
        assertEquals(4, t.ids().size());
        assertTrue(t.ids().get("winner").matches("winner@[0-9a-f]{8}"), t.ids().toString());
    }

    @Test
    void substitutesInOnePass() {
        PromptTemplates t = PromptTemplates.builtIn();
        // A question that looks like a placeholder stays literal, and $ or \ in values are not special.
        String w = t.winner("Is {answer} here? $1 \\n", "yes");
        assertTrue(w.contains("Is {answer} here? $1 \\n"), w);
    }

    @Test
    void aDirectoryOverridesSomeTemplates() throws Exception {
        Files.writeString(dir.resolve("loser.txt"), "Q: {question}\nA:\n\n");
        Files.writeString(dir.resolve("README.md"), "not a template");
        PromptTemplates t = PromptTemplates.load(dir);
        assertEquals("Q: Why?\nA:", t.loser("Why?"), "trailing whitespace is trimmed");
        assertEquals(PromptTemplates.builtIn().ids().get("winner"), t.ids().get("winner"));
        assertNotEquals(PromptTemplates.builtIn().ids().get("loser"), t.ids().get("loser"), "the id follows the wording");
        assertTrue(t.get(PromptTemplates.Kind.LOSER).source().endsWith("loser.txt"));
    }

    @Test
    void badTemplatesAreRejectedWithTheReason() throws Exception {
        assertFails("loser.txt", "Q {question} hint {answer}", "must not use {answer}");
        assertFails("prompt.txt", "{question} {previous}", "must not use {previous}");
        assertFails("winner.txt", "Q {question}", "needs the placeholder {answer}");
        assertFails("reflect.txt", "{question} {answer}", "needs the placeholder {previous}");
        assertFails("winner.txt", "{question} {answer} {quesiton}", "unknown placeholder {quesiton}");
        assertFails("winner.txt", "   \n", "is empty");
        assertFails("winer.txt", "{question} {answer}", "unknown template file");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptTemplates.load(dir.resolve("absent")));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void otherBracesAreLeftAlone() throws Exception {
        Files.writeString(dir.resolve("prompt.txt"), "{question} Reply as JSON: {\"answer\": \"...\"} {X}");
        PromptTemplates t = PromptTemplates.load(dir);
        assertEquals("Q? Reply as JSON: {\"answer\": \"...\"} {X}", t.prompt("Q?"));
        assertFalse(t.prompt("Q?").contains("{question}"));
    }

    private void assertFails(String file, String text, String message) throws Exception {
        Path d = Files.createTempDirectory(dir, "t");
        Files.writeString(d.resolve(file), text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptTemplates.load(d));
        assertTrue(e.getMessage().contains(message) && e.getMessage().contains(file), e.getMessage());
    }
}
