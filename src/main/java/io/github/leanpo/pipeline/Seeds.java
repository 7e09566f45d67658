package io.github.leanpo.pipeline;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Seed derivation: every random choice of a sample comes from a seed derived from the run seed and the sample's id
 * alone, so a sample's pair does not depend on the order or concurrency of the run, on which samples were done
 * before a restart, or on the machine. Derived seeds are non-negative and below 2^53 (exact in JSON everywhere).
 */
public final class Seeds {
    private static final long MASK_53 = (1L << 53) - 1;

    private Seeds() {}

    /** The seed of sample {@code id} in a run with seed {@code runSeed}. */
    public static long sample(long runSeed, String id) {
        return hash(runSeed, "sample:" + id) & MASK_53;
    }

    /** A seed for one purpose ("degrade", "loser", ...) within a sample. */
    public static long derive(long sampleSeed, String purpose) {
        return hash(sampleSeed, purpose) & MASK_53;
    }

    /** A seed in [0, 2^31) for servers that take a 32-bit signed seed. */
    public static long toServerSeed(long seed) {
        return seed & 0x7FFF_FFFFL;
    }

    private static long hash(long seed, String text) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(ByteBuffer.allocate(8).putLong(seed).array());
            d.update(text.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(d.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
