package io.github.leanpo.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.leanpo.files.AtomicFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where outcomes go: kept pairs to the output, filtered pairs to {@code <output stem>.filtered.jsonl}, failures to
 * {@code <output stem>.failures.jsonl} (each path can be chosen). All three are {@link JsonlLog}s: append-only,
 * one fsync'd line per sample, torn last lines dropped on open, locked while open.
 *
 * <p>Resumption: the ids found in the three files on open are this run's {@link #done} set; the pipeline skips
 * them, so a run killed at any moment and started again with the same arguments ends with every id exactly once,
 * and rerunning a finished run writes nothing. Records written with another run seed or model are refused (the
 * run would mix two datasets), and so is an id found twice. With {@code retryFailed} the recorded failures are
 * moved to {@code <failures>.bak} and retried. Owns the three files; close is idempotent.
 */
public final class PairWriter implements Closeable {
    private final JsonlLog output;
    private final JsonlLog filtered;
    private final JsonlLog failures;
    private final Map<String, String> done = new HashMap<>();
    private final long[] existing = new long[3]; // kept, filtered, failed found on open
    private final long retried;
    private final long tornBytes;

    private PairWriter(JsonlLog output, JsonlLog filtered, JsonlLog failures, Map<String, String> done, long[] existing, long retried) {
        this.output = output;
        this.filtered = filtered;
        this.failures = failures;
        this.done.putAll(done);
        System.arraycopy(existing, 0, this.existing, 0, 3);
        this.retried = retried;
        this.tornBytes = output.tornBytes() + filtered.tornBytes() + failures.tornBytes();
    }

    /**
     * Opens the three files for appending, repairing and reading what a previous run left.
     *
     * @param output      the pairs file
     * @param failuresPath null for {@code <output stem>.failures.jsonl}
     * @param filteredPath null for {@code <output stem>.filtered.jsonl}
     * @param runSeed     this run's seed (existing records must have it)
     * @param model       this run's model name (existing records must have it)
     * @param retryFailed whether recorded failures are retried (moved to {@code <failures>.bak} first)
     * @throws IllegalArgumentException when two of the paths are the same file, a record belongs to another run, an id
     *                                  appears twice or a line is damaged
     * @throws IllegalStateException    when another run holds one of the files
     */
    public static PairWriter open(Path output, Path failuresPath, Path filteredPath, long runSeed, String model, boolean retryFailed)
            throws IOException {
        Path fail = failuresPath != null ? failuresPath : defaultFailures(output);
        Path filt = filteredPath != null ? filteredPath : defaultFiltered(output);
        distinct(output, fail, "the output", "the failures file");
        distinct(output, filt, "the output", "the filtered file");
        distinct(fail, filt, "the failures file", "the filtered file");

        Map<String, String> done = new HashMap<>();
        long[] existing = new long[3];
        JsonlLog out = null;
        JsonlLog fil = null;
        JsonlLog fai = null;
        try {
            out = JsonlLog.open(output, (n, where) -> {
                sameRun(n, where, runSeed, model);
                record(done, n, where);
                existing[0]++;
            });
            fil = JsonlLog.open(filt, (n, where) -> {
                sameRun(n, where, runSeed, model);
                record(done, n, where);
                existing[1]++;
            });
            Map<String, String> failed = new HashMap<>();
            fai = JsonlLog.open(fail, (n, where) -> {
                sameRun(n, where, runSeed, model);
                String id = n.get("id").asText();
                String before = done.get(id);
                if (before != null) {
                    throw new IllegalArgumentException(where + ": id \"" + id + "\" is also recorded at " + before + "; remove one of the two lines");
                }
                String dup = failed.putIfAbsent(id, where);
                if (dup != null) {
                    throw new IllegalArgumentException(where + ": id \"" + id + "\" is recorded twice (first at " + dup + ")");
                }
                existing[2]++;
            });
            long retried = 0;
            if (retryFailed && !failed.isEmpty()) {
                // The copy is complete on the disk before the original is emptied: a kill in between loses nothing.
                AtomicFiles.copy(fail, fail.resolveSibling(fail.getFileName() + ".bak"));
                fai.truncate();
                retried = failed.size();
                existing[2] = 0;
            } else {
                done.putAll(failed);
            }
            return new PairWriter(out, fil, fai, done, existing, retried);
        } catch (IOException | RuntimeException e) {
            closeQuietly(out);
            closeQuietly(fil);
            closeQuietly(fai);
            throw e;
        }
    }

    /** {@code dir/stem.failures.jsonl} for {@code dir/stem.jsonl}. */
    public static Path defaultFailures(Path output) {
        return sibling(output, ".failures.jsonl");
    }

    /** {@code dir/stem.filtered.jsonl} for {@code dir/stem.jsonl}. */
    public static Path defaultFiltered(Path output) {
        return sibling(output, ".filtered.jsonl");
    }

    public Path outputPath() {
        return output.path();
    }

    public Path failuresPath() {
        return failures.path();
    }

    public Path filteredPath() {
        return filtered.path();
    }

    /** Ids already recorded (kept, filtered, or failed unless retried); the pipeline skips them. */
    public synchronized Set<String> done() {
        return Collections.unmodifiableSet(Set.copyOf(done.keySet()));
    }

    public synchronized boolean isDone(String id) {
        return done.containsKey(id);
    }

    /** Pairs, filtered pairs and failures found on open: {kept, filtered, failed}. */
    public long[] existing() {
        return existing.clone();
    }

    /** Failures moved aside to be retried. */
    public long retried() {
        return retried;
    }

    /** Bytes of torn last lines dropped on open, over the three files. */
    public long tornBytes() {
        return tornBytes;
    }

    /**
     * Records one outcome, durably, before returning.
     *
     * @throws IllegalStateException when the id is already recorded (the pipeline never does this)
     */
    public void write(Outcome o) throws IOException {
        synchronized (this) {
            if (done.putIfAbsent(o.id(), "this run") != null) {
                throw new IllegalStateException("id \"" + o.id() + "\" is already recorded");
            }
        }
        if (o instanceof Outcome.Kept k) {
            output.append(k.pair().toJson());
        } else if (o instanceof Outcome.Filtered f) {
            filtered.append(f.toJson());
        } else {
            failures.append(((Outcome.Failed) o).toJson());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            output.close();
        } finally {
            try {
                filtered.close();
            } finally {
                failures.close();
            }
        }
    }

    private static void record(Map<String, String> done, JsonNode n, String where) {
        String id = n.get("id").asText();
        String before = done.putIfAbsent(id, where);
        if (before != null) {
            throw new IllegalArgumentException(where + ": id \"" + id + "\" is recorded twice (first at " + before + ")");
        }
    }

    /** Refuses to resume over records of a run with another seed or model. */
    private static void sameRun(JsonNode n, String where, long runSeed, String model) {
        JsonNode seed = n.path("seeds").path("run");
        JsonNode m = n.path("model");
        if (!seed.canConvertToLong() || !m.isTextual()) {
            throw new IllegalArgumentException(where + ": a record without seeds.run or model; not written by leanpo pairs?");
        }
        if (seed.asLong() != runSeed || !m.asText().equals(model)) {
            throw new IllegalArgumentException(where + " was written with seed " + seed.asLong() + " and model '" + m.asText()
                    + "', this run has seed " + runSeed + " and model '" + model
                    + "'; rerun with the same arguments, or write to another output");
        }
    }

    private static void distinct(Path a, Path b, String what1, String what2) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException(what1 + " and " + what2 + " are the same file: " + a);
        }
    }

    private static Path sibling(Path output, String suffix) {
        String name = output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return output.resolveSibling(stem + suffix);
    }

    private static void closeQuietly(JsonlLog log) {
        if (log != null) {
            try {
                log.close();
            } catch (IOException e) {
                // already failing; the first error is the one reported
            }
        }
    }
}
