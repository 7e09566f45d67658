package io.github.leanpo.loss;

import io.github.leanpo.bench.Data;
import io.github.leanpo.cli.BenchInputs;
import io.github.leanpo.bench.PlainJavaBaseline;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/** The plain-Java two-buffer baseline of {@link PlainJavaBaseline} on the logits shapes of {@code LogitsBench}, f32. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx10g"})
public class BaselineBench {
    @Param({"4096x32768", "4096x152064", "256x4096"})
    public String shape;

    @Param({"8"})
    public int pairs;

    private PlainJavaBaseline baseline;
    private float[] logits;
    private float[] grad;

    @Setup(Level.Trial)
    public void setup() {
        long[] s = Data.shape(shape);
        int t = (int) s[0];
        int v = (int) s[1];
        logits = BenchInputs.randomArray(t * v, 4f, 0x2545F4914F6CDD1DL);
        grad = new float[t * v];
        baseline = new PlainJavaBaseline(t, v, BenchInputs.targets(t, v, 7), Data.layout(t, pairs).offsets());
    }

    @Benchmark
    public double step() {
        return baseline.step(logits, grad);
    }
}
