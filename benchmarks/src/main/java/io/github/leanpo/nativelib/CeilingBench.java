package io.github.leanpo.nativelib;

import io.github.leanpo.bench.Data;
import io.github.leanpo.cli.BenchInputs;
import io.github.leanpo.engine.DType;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ceilings the summary divides by, measured in the same run as the heads: a large memory copy
 * (bytes read + bytes written per second) and OpenBLAS sgemm doing exactly the three products of the
 * fused-linear head at its shapes (X = H·Wᵀ, dH = G·W, dW += Gᵀ·H in 1024-row chunks and 4096-column
 * tiles: 6·T·d·V flops).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class CeilingBench {
    /** Bytes copied (read and written once each); 512 MiB is 16× the last-level cache. */
    @Param({"536870912"})
    public long copyBytes;

    /** T x d x V, as in LinearBench. */
    @Param({"2048x1024x32768", "256x256x4096"})
    public String gemmShape;

    private PointerScope scope;
    private BytePointer src;
    private BytePointer dst;
    private FloatPointer h;
    private FloatPointer w;
    private FloatPointer x;
    private FloatPointer dh;
    private FloatPointer dw;
    private long t;
    private long d;
    private long v;
    private final long chunk = 1024;
    private final long tile = 4096;

    @Setup(Level.Trial)
    public void setup() {
        scope = new PointerScope();
        src = new BytePointer(copyBytes);
        dst = new BytePointer(copyBytes);
        Pointer.memset(src, 1, copyBytes);
        Pointer.memset(dst, 2, copyBytes);
        long[] s = Data.shape(gemmShape);
        t = s[0];
        d = s[1];
        v = s[2];
        h = (FloatPointer) BenchInputs.random(DType.F32, t * d, 1f, 3);
        w = (FloatPointer) BenchInputs.random(DType.F32, v * d, 1f, 5);
        x = new FloatPointer(Math.min(chunk, t) * tile);
        dh = new FloatPointer(t * d);
        dw = new FloatPointer(v * d);
        NativeCalls.ensureLoaded();
        Blas.setThreads(NativeCalls.threads());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
    }

    @Benchmark
    public Pointer copy() {
        return Pointer.memcpy(dst, src, copyBytes);
    }

    @Benchmark
    public FloatPointer sgemm() {
        io.github.leanpo.cli.BenchInputs.headProducts(h, w, x, dh, dw, t, d, v, chunk, tile);
        return dw;
    }
}
