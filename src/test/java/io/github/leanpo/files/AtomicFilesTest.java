package io.github.leanpo.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The atomic-write helper and the append-only line helpers, in one process (the SIGKILL tests are CrashSafeWritesTest). */
class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheTargetAndLeavesNothingElse() throws Exception {
        Path t = dir.resolve("sub").resolve("report.md");
        AtomicFiles.writeString(t, "one");
        AtomicFiles.writeString(t, "two");
        assertEquals("two", Files.readString(t));
        assertEquals(List.of(t), files(), "no temporary file after a successful write");
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws Exception {
        Path t = dir.resolve("model.safetensors");
        AtomicFiles.writeString(t, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(t, ch -> {
            ch.write(ByteBuffer.wrap("half of the new".getBytes(StandardCharsets.UTF_8)));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(t));
        assertEquals(List.of(t), files());
    }

    @Test
    void removesTemporariesOfDeadWritersButNotOfLiveOnes() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path t = dir.resolve("optimizer.pt");
        Path dead = dir.resolve(".optimizer.pt." + gone.pid() + ".1f.tmp");
        Path live = dir.resolve(".optimizer.pt." + ProcessHandle.current().pid() + ".2e.tmp");
        Path other = dir.resolve(".model.safetensors." + gone.pid() + ".3d.tmp");
        for (Path p : List.of(dead, live, other)) {
            Files.writeString(p, "torn");
            assertTrue(AtomicFiles.isTemporary(p), p::toString);
        }
        assertFalse(AtomicFiles.isTemporary(dir.resolve(".optimizer.pt")));
        assertFalse(AtomicFiles.isTemporary(dir.resolve("pairs.jsonl.tmp")));
        AtomicFiles.writeBytes(t, new byte[] {1, 2, 3});
        assertFalse(Files.exists(dead), "a killed writer's temporary file goes");
        assertTrue(Files.exists(live), "a running writer's stays");
        assertTrue(Files.exists(other), "only the target's own temporaries are touched");
    }

    @Test
    void copiesWholeFiles() throws Exception {
        Path src = dir.resolve("failures.jsonl");
        Files.writeString(src, "{\"id\":\"a\"}\n");
        AtomicFiles.copy(src, dir.resolve("failures.jsonl.bak"));
        assertEquals("{\"id\":\"a\"}\n", Files.readString(dir.resolve("failures.jsonl.bak")));
    }

    @Test
    void appendOnlyLinesCutATornTailAndAppendWholeLines() throws Exception {
        Path p = dir.resolve("metrics.jsonl");
        Files.writeString(p, "{\"step\":1}\n{\"step\":2}\n{\"ste");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertEquals(5, AppendOnlyLines.dropTornTail(ch));
            long at = AppendOnlyLines.append(ch, ch.size(), "{\"step\":3}".getBytes(StandardCharsets.UTF_8));
            assertEquals(ch.size(), at);
        }
        assertEquals("{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n", Files.readString(p));
        Files.writeString(p, "no newline at all");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertEquals(17, AppendOnlyLines.dropTornTail(ch));
            assertEquals(0, ch.size());
        }
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
