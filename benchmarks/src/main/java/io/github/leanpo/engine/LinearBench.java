package io.github.leanpo.engine;

import io.github.leanpo.bench.Data;
import io.github.leanpo.cli.BenchInputs;
import io.github.leanpo.loss.BackendChoice;
import io.github.leanpo.loss.LeanPoLoss;
import io.github.leanpo.loss.LinearBatch;
import io.github.leanpo.loss.LossConfig;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
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
 * The fused-linear loss head: forward (loss only: the logits products and row kernels) and the full
 * step (plus grad_hidden and an f32 grad_weight). Useful flops per step: 6·T·d·V.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 4)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class LinearBench {
    /** T x d x V. */
    @Param({"2048x1024x32768", "256x256x4096"})
    public String linearShape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"8"})
    public int pairs;

    @Param({"cpu"})
    public String backend;

    private PointerScope scope;
    private LeanPoLoss loss;
    private LinearBatch batch;
    private LinearGrads grads;

    @Setup(Level.Trial)
    public void setup() {
        long[] s = Data.shape(linearShape);
        long t = s[0];
        long d = s[1];
        long v = s[2];
        DType dt = DType.parse(dtype);
        scope = new PointerScope();
        Pointer h = BenchInputs.random(dt, t * d, 2f, 3);
        Pointer w = BenchInputs.random(dt, v * d, (float) (4 / Math.sqrt(d)), 5);
        LongPointer y = new LongPointer(BenchInputs.targets(t, v, 7));
        batch = LinearBatch.of(HostTensor.of(h, dt, t * d), HostTensor.of(w, dt, v * d), null, d, v, HostTensor.of(y, DType.I64, t),
                Data.layout(t, pairs));
        grads = new LinearGrads(HostTensor.of(BenchInputs.alloc(dt, t * d), dt, t * d), HostTensor.of(new FloatPointer(v * d), DType.F32, v * d),
                null, false);
        loss = LeanPoLoss.create(LossConfig.leanpo(), BackendChoice.parse(backend), 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        loss.close();
        scope.close();
    }

    @Benchmark
    public double forward() {
        return loss.forward(batch).loss();
    }

    @Benchmark
    public double step() {
        return loss.forwardBackward(batch, grads).loss();
    }
}
