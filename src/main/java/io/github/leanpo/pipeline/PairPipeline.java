package io.github.leanpo.pipeline;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the generator over an input with N workers and records every outcome: the whole of DESIGN.md §5.
 *
 * <p>The input is streamed twice: once to count it and see which ids are already done (for progress and the
 * summary), once to hand the remaining samples to the workers, at most 2N in flight, so memory does not grow with
 * the input. Samples finish in any order; each outcome is written (and fsync'd) as soon as it is ready. A failed
 * sample never stops the run; a failure to write does (the disk is full, say): the run stops and reports it, and
 * everything written so far stays valid for the restart.
 */
public final class PairPipeline {

    /** Progress callbacks, from the worker threads; implementations must be thread-safe. */
    public interface Listener {
        /** Before any work: samples in the input, and how many of them are already recorded. */
        default void started(long total, long alreadyDone) {}

        /** After an outcome has been written. */
        default void finished(Outcome outcome) {}
    }

    /**
     * What a run did.
     *
     * @param total        samples in the input
     * @param alreadyDone  samples recorded before this run (skipped)
     * @param kept         pairs written by this run
     * @param filtered     pairs filtered by this run
     * @param failed       failures recorded by this run
     * @param unknown      ids in the output files that are not in the input
     * @param elapsed      wall time of the run
     * @param firstFailure the first failure of this run, or null
     */
    public record Summary(long total, long alreadyDone, long kept, long filtered, long failed, long unknown, Duration elapsed,
                          Outcome.Failed firstFailure) {
        public long processed() {
            return kept + filtered + failed;
        }
    }

    private final PairGenerator generator;
    private final int concurrency;

    /**
     * @param generator   makes one outcome per sample
     * @param concurrency samples processed at once (at least 1)
     */
    public PairPipeline(PairGenerator generator, int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        this.generator = generator;
        this.concurrency = concurrency;
    }

    /**
     * Processes every sample of {@code input} that {@code writer} has not recorded yet.
     *
     * @throws InputFormatException when the input is invalid (found before any sample is processed)
     * @throws IOException          when an outcome cannot be written; the run stops
     */
    public Summary run(TripletReader input, PairWriter writer, Listener listener) throws IOException {
        long t0 = System.nanoTime();
        Set<String> done = new HashSet<>(writer.done());
        long[] counts = new long[2]; // total, already done
        input.forEach(s -> {
            counts[0]++;
            if (done.remove(s.id())) {
                counts[1]++;
            }
        });
        long unknown = done.size(); // recorded ids the input does not have
        listener.started(counts[0], counts[1]);

        AtomicLong kept = new AtomicLong();
        AtomicLong filtered = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Outcome.Failed> firstFailure = new AtomicReference<>();
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        Semaphore window = new Semaphore(2 * concurrency);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, daemonThreads());
        try {
            try {
                input.forEach(s -> {
                    if (fatal.get() != null) {
                        throw new StopRun();
                    }
                    if (writer.isDone(s.id())) {
                        return;
                    }
                    window.acquireUninterruptibly();
                    pool.execute(() -> {
                        try {
                            if (fatal.get() != null) {
                                return;
                            }
                            Outcome o = generator.generate(s);
                            if (fatal.get() != null || Thread.currentThread().isInterrupted()) {
                                return; // stopping: an interrupted sample is redone next time, not recorded as failed
                            }
                            writer.write(o);
                            if (o instanceof Outcome.Kept) {
                                kept.incrementAndGet();
                            } else if (o instanceof Outcome.Filtered) {
                                filtered.incrementAndGet();
                            } else {
                                failed.incrementAndGet();
                                firstFailure.compareAndSet(null, (Outcome.Failed) o);
                            }
                            listener.finished(o);
                        } catch (Throwable e) {
                            fatal.compareAndSet(null, e);
                        } finally {
                            window.release();
                        }
                    });
                });
            } catch (StopRun e) {
                // a worker hit a fatal error; reported below
            }
            pool.shutdown();
            while (!pool.awaitTermination(1, TimeUnit.HOURS)) {
                // a sample can take long; keep waiting
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted; the outcomes written so far are kept and the run can be resumed", e);
        } finally {
            pool.shutdownNow();
        }
        Throwable f = fatal.get();
        if (f instanceof IOException io) {
            throw new IOException("cannot record an outcome (" + io.getMessage() + "); stopped. What was written is kept; "
                    + "fix the cause and run again to resume", io);
        }
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
        return new Summary(counts[0], counts[1], kept.get(), filtered.get(), failed.get(), unknown,
                Duration.ofNanos(System.nanoTime() - t0), firstFailure.get());
    }

    private static ThreadFactory daemonThreads() {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, "leanpo-pairs-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Unwinds the input stream when a worker has failed fatally. */
    private static final class StopRun extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StopRun() {
            super(null, null, false, false);
        }
    }
}
