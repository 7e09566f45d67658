package io.github.leanpo.engine;

import io.github.leanpo.bench.Data;
import io.github.leanpo.cli.BenchInputs;
import io.github.leanpo.loss.BackendChoice;
import io.github.leanpo.loss.LeanPoLoss;
import io.github.leanpo.loss.LogitsBatch;
import io.github.leanpo.loss.LossConfig;
import java.util.concurrent.TimeUnit;
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
 * The logits-in loss head: forward (loss only) and the full step (forward + backward into a separate
 * gradient buffer); backward is reported as step − forward by the summary. Ideal bytes per step:
 * T·V·sizeof read + T·V·sizeof written.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class LogitsBench {
    /** T x V. */
    @Param({"4096x32768", "4096x152064", "256x4096"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"8"})
    public int pairs;

    @Param({"cpu"})
    public String backend;

    private PointerScope scope;
    private LeanPoLoss loss;
    private LogitsBatch batch;
    private HostTensor grad;

    @Setup(Level.Trial)
    public void setup() {
        long[] s = Data.shape(shape);
        long t = s[0];
        long v = s[1];
        DType dt = DType.parse(dtype);
        scope = new PointerScope();
        Pointer x = BenchInputs.random(dt, t * v, 4f, 0x2545F4914F6CDD1DL);
        Pointer g = BenchInputs.alloc(dt, t * v);
        LongPointer y = new LongPointer(BenchInputs.targets(t, v, 7));
        batch = LogitsBatch.of(HostTensor.of(x, dt, t * v), v, HostTensor.of(y, DType.I64, t), Data.layout(t, pairs));
        grad = HostTensor.of(g, dt, t * v);
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
        return loss.forwardBackward(batch, grad).loss();
    }
}
