package io.github.leanpo.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Whole-file writes that survive being killed at any moment: the content goes to a temporary file in the target's
 * directory, which is flushed to the disk ({@code fsync}) and then renamed over the target, and the directory is
 * flushed too. Whoever reads the target sees the complete old file or the complete new one, never a torn mix — after
 * a SIGKILL and after a power loss alike.
 *
 * <p>Temporary files are named {@code .<target name>.<pid>.<random>.tmp}: hidden, with a suffix no reader of leanpo's
 * outputs takes for a result. A writer killed mid-way leaves its temporary file behind; the next write of the same
 * target removes the ones whose process is gone. A failed write deletes its own and leaves the target untouched.
 *
 * <p>Stateless and thread-safe; concurrent writers of one target each rename a complete file, and the last rename wins.
 */
public final class AtomicFiles {
    private static final String SUFFIX = ".tmp";

    private AtomicFiles() {}

    /** Writes the file's content into an open channel (positioned at 0); borrows the channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    /** Writes the complete file at {@code path} (for writers that insist on a path: libtorch, ImageIO, FFmpeg). */
    @FunctionalInterface
    public interface PathWriter {
        void write(Path path) throws IOException;
    }

    /** Atomically replaces {@code target} with what {@code body} writes into a channel. */
    public static void write(Path target, ChannelWriter body) throws IOException {
        writeVia(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
            }
        });
    }

    /**
     * Atomically replaces {@code target} with the file {@code body} writes at the temporary path it is given. The
     * temporary path exists (empty) when {@code body} runs and does not end in the target's extension, so writers
     * that pick a format from the name must be told it.
     *
     * @throws IOException whatever {@code body} or the file system throws; the target is then unchanged
     */
    public static void writeVia(Path target, PathWriter body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        String name = abs.getFileName().toString();
        removeStale(dir, name);
        Path tmp = createTemp(dir, name);
        boolean moved = false;
        try {
            body.write(tmp);
            // Flushed before the rename: otherwise a crash could leave the new name pointing at unwritten blocks.
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // Same directory, so this is still one rename(2) on every POSIX file system; only exotic mounts get here.
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
        }
    }

    /** Atomically replaces {@code target} with {@code text} in UTF-8. */
    public static void writeString(Path target, CharSequence text) throws IOException {
        writeBytes(target, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Atomically replaces {@code target} with {@code bytes}. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    /** Atomically replaces {@code target} with a copy of {@code source}. */
    public static void copy(Path source, Path target) throws IOException {
        writeVia(target, tmp -> Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING));
    }

    /** Whether {@code p} is one of this class's temporary files (of any target). */
    public static boolean isTemporary(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith(".") && n.endsWith(SUFFIX) && pidOf(n) >= 0;
    }

    private static Path createTemp(Path dir, String name) throws IOException {
        String stem = name.length() > 100 ? name.substring(0, 100) : name;
        long pid = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + stem + "." + pid + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + SUFFIX);
            try {
                // CREATE_NEW with the default permissions, as the target would get (Files.createTempFile uses 0600)
                FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /** Deletes temporary files of {@code name} left by processes that no longer run (killed writers). */
    private static void removeStale(Path dir, String name) {
        String stem = name.length() > 100 ? name.substring(0, 100) : name;
        String prefix = "." + stem + ".";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(SUFFIX);
        })) {
            for (Path p : ds) {
                long pid = pidOf(p.getFileName().toString());
                if (pid >= 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // cleaning up is a courtesy; the write itself does not depend on it
        }
    }

    /** The pid in a name ending {@code .<pid>.<hex>.tmp}, or -1. */
    private static long pidOf(String name) {
        String n = name.substring(0, name.length() - SUFFIX.length());
        int hex = n.lastIndexOf('.');
        int pid = hex > 0 ? n.lastIndexOf('.', hex - 1) : -1;
        if (pid < 0) {
            return -1;
        }
        try {
            Long.parseUnsignedLong(n.substring(hex + 1), 16);
            return Long.parseLong(n.substring(pid + 1, hex));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not every platform can open a directory; the rename is atomic all the same, only its durability waits
        }
    }
}
