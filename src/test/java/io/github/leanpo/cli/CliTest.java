package io.github.leanpo.cli;

import io.github.leanpo.testing.CliRun;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.leanpo.engine.CudaBackend;
import io.github.leanpo.engine.DType;
import io.github.leanpo.oracle.Oracle;
import io.github.leanpo.oracle.OracleConfig;
import io.github.leanpo.oracle.OracleObjective;
import io.github.leanpo.oracle.OracleResult;
import io.github.leanpo.oracle.OracleSmoothing;
import io.github.leanpo.safetensors.SafetensorsDType;
import io.github.leanpo.safetensors.SafetensorsFile;
import io.github.leanpo.safetensors.SafetensorsWriter;
import io.github.leanpo.testing.Half;
import io.github.leanpo.testing.RandomBatch;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end: safetensors in and out against the oracle, and one-line errors with exit codes. */
class CliTest {
    @TempDir
    Path dir;

    static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    static void assertOneLineError(CliRun r, int code, String contains) {
        r.assertOneLineError(code, contains);
    }

    Path writeBatch(RandomBatch b, boolean withRef) throws Exception {
        Path in = dir.resolve("batch.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        if (b.dtype == DType.F32) {
            w.addF32("logits", new long[] {b.rows, b.vocab}, b.logitsF32);
        } else {
            ShortPointer p = new ShortPointer(b.logits16);
            w.add("logits", SafetensorsDType.BF16, new long[] {b.rows, b.vocab}, p);
        }
        w.addI64("targets", new long[] {b.rows}, b.targets);
        w.addI64("seq_offsets", new long[] {b.offsets.length}, b.offsets);
        if (withRef) {
            w.addF32("ref_sum", new long[] {b.refSum.length}, b.refSum);
        }
        w.write(in);
        return in;
    }

    @Test
    void lossRoundTripMatchesOracle() throws Exception {
        RandomBatch b = new RandomBatch(8, 97, new int[] {4, 7}, new int[] {6, 3}, DType.F32, 0.2, 2.0, -100);
        Path in = writeBatch(b, false);
        Path out = dir.resolve("out.safetensors");
        CliRun r = cli("loss", in.toString(), "-o", out.toString(), "--json", "--nll-weight", "0.5", "--epsilon", "0.1");
        assertEquals(0, r.code(), r.err());
        JsonNode m = new ObjectMapper().readTree(r.out());
        OracleResult ref = Oracle.compute(b.logitsF64, b.rows, b.vocab, b.targets, b.offsets, null,
                OracleConfig.leanpo().withNllWeight(0.5).withSmoothing(OracleSmoothing.DYNAMIC, 0.1));
        assertEquals(ref.loss(), m.get("loss").asDouble(), 1e-5);
        assertEquals(2, m.get("pairs").asInt());
        for (String k : new String[] {"rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "logps/chosen",
                "logps/rejected", "smoothing/active_fraction"}) {
            assertTrue(m.has(k), "metric " + k);
        }
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(Arrays.asList("loss", "grad_logits", "seq_mean_logp", "seq_sum_logp", "seq_tokens", "reward_chosen",
                    "reward_rejected", "pair_epsilon", "pair_loss"), f.tensors().keySet().stream().toList());
            assertEquals(0, f.info("loss").rank());
            assertEquals(ref.loss(), f.readF32("loss")[0], 1e-5);
            float[] g = f.readF32("grad_logits");
            for (int i = 0; i < g.length; i++) {
                assertEquals(ref.gradLogits()[i], g[i], 2e-7 + 2e-5 * Math.abs(ref.gradLogits()[i]), "grad " + i);
            }
            long[] tok = f.readIndices("seq_tokens");
            assertArrayEquals(ref.seqTokens(), tok);
            float[] eps = f.readF32("pair_epsilon");
            for (int p = 0; p < 2; p++) {
                assertEquals(ref.epsilon()[p], eps[p], 1e-7);
            }
        }
    }

    @Test
    void dpoBf16RoundTrip() throws Exception {
        RandomBatch b = new RandomBatch(9, 64, new int[] {5}, new int[] {4}, DType.BF16, 0.0, 2.0, -100);
        Path in = writeBatch(b, true);
        CliRun r = cli("loss", in.toString(), "--objective", "dpo", "--beta", "0.2");
        assertEquals(0, r.code(), r.err());
        Path out = dir.resolve("batch.out.safetensors");
        assertTrue(Files.exists(out), "default output name");
        double[] ref64 = new double[b.refSum.length];
        for (int i = 0; i < ref64.length; i++) {
            ref64[i] = b.refSum[i];
        }
        OracleResult ref = Oracle.compute(b.logitsF64, b.rows, b.vocab, b.targets, b.offsets, ref64,
                OracleConfig.leanpo().withObjective(OracleObjective.DPO).withBeta(0.2).withSmoothing(OracleSmoothing.NONE, 0));
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(SafetensorsDType.BF16, f.info("grad_logits").dtype());
            assertEquals(ref.loss(), f.readF32("loss")[0], 1e-5);
            try (BytePointer g = f.read("grad_logits")) {
                ShortPointer s = new ShortPointer(g);
                for (int i = 0; i < b.rows * b.vocab; i++) {
                    double want = ref.gradLogits()[i];
                    assertEquals(want, Half.bf16ToFloat(s.get(i)), 1e-7 + 8e-3 * Math.abs(want), "grad " + i);
                }
            }
        }
    }

    @Test
    void fusedLinearRoundTripMatchesOracle() throws Exception {
        java.util.Random r = new java.util.Random(12);
        int t = 9, d = 5, v = 23;
        long[] offsets = {0, 3, 5, 7, 9};
        long[] targets = new long[t];
        float[] h = new float[t * d];
        float[] w = new float[v * d];
        float[] b = new float[v];
        for (int i = 0; i < t; i++) {
            targets[i] = i == 4 ? -100 : r.nextInt(v);
        }
        for (float[] a : new float[][] {h, w, b}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
        }
        Path in = dir.resolve("linear.safetensors");
        new SafetensorsWriter().addF32("hidden", new long[] {t, d}, h).addF32("weight", new long[] {v, d}, w).addF32("bias", new long[] {v}, b)
                .addI64("targets", new long[] {t}, targets).addI64("seq_offsets", new long[] {5}, offsets).write(in);
        Path out = dir.resolve("linear.out.safetensors");
        CliRun run = cli("loss", in.toString(), "-o", out.toString());
        assertEquals(0, run.code(), run.err());
        var ref = Oracle.computeLinear(toD(h), toD(w), toD(b), t, d, v, targets, offsets, null, OracleConfig.leanpo());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertTrue(!f.tensors().containsKey("grad_logits"));
            assertEquals(ref.logitsResult().loss(), f.readF32("loss")[0], 1e-5);
            float[][] got = {f.readF32("grad_hidden"), f.readF32("grad_weight"), f.readF32("grad_bias")};
            double[][] want = {ref.gradHidden(), ref.gradWeight(), ref.gradBias()};
            for (int k = 0; k < 3; k++) {
                for (int i = 0; i < want[k].length; i++) {
                    assertEquals(want[k][i], got[k][i], 1e-6 + 1e-4 * Math.abs(want[k][i]), "gradient " + k + " element " + i);
                }
            }
        }
    }

    static double[] toD(float[] a) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            o[i] = a[i];
        }
        return o;
    }

    @Test
    void errorsAreOneLine() throws Exception {
        assertOneLineError(cli("loss", dir.resolve("missing.safetensors").toString()), 1, "no such file");
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, new byte[] {1, 2, 3});
        assertOneLineError(cli("loss", junk.toString()), 1, "junk.safetensors");
        RandomBatch b = new RandomBatch(10, 20, new int[] {2}, new int[] {2}, DType.F32, 0.0, 1.0, -100);
        Path in = writeBatch(b, false);
        assertOneLineError(cli("loss", in.toString(), "--objective", "dpo"), 1, "ref_sum");
        assertOneLineError(cli("loss", in.toString(), "--objective", "kto"), 2, "unknown --objective");
        assertOneLineError(cli("loss", in.toString(), "--smoothing", "fixed"), 2, "--epsilon");
        assertOneLineError(cli("loss", in.toString(), "--beta", "-1"), 2, "beta");
        assertOneLineError(cli("loss", in.toString(), "-o", in.toString()), 2, "overwrite the input");
        if (CudaBackend.unavailableReason() != null) {
            assertOneLineError(cli("loss", in.toString(), "--backend", "cuda"), 1, "the CUDA backend is not available");
            assertOneLineError(cli("bench", "--backend", "cuda", "--T", "8", "--V", "10", "--pairs", "1"), 1,
                    "the CUDA backend is not available");
        }
        assertOneLineError(cli("loss", in.toString(), "--bogus"), 2, "--bogus");
        assertOneLineError(cli("bench", "--mode", "quadratic"), 2, "--mode quadratic");
        assertOneLineError(cli("bench", "--T", "1"), 2, "--T");
        // a target out of range inside the file
        long[] bad = b.targets.clone();
        bad[1] = 20;
        Path in2 = dir.resolve("bad.safetensors");
        new SafetensorsWriter().addF32("logits", new long[] {b.rows, b.vocab}, b.logitsF32).addI64("targets", new long[] {b.rows}, bad)
                .addI64("seq_offsets", new long[] {b.offsets.length}, b.offsets).write(in2);
        assertOneLineError(cli("loss", in2.toString()), 1, "row 1");
    }

    @Test
    void infoAndBenchReportJson() throws Exception {
        CliRun info = cli("info", "--json");
        assertEquals(0, info.code(), info.err());
        JsonNode i = new ObjectMapper().readTree(info.out());
        assertTrue(i.get("native_library").asText().contains("leanpo"));
        assertTrue(i.get("threads").asInt() >= 1);
        assertTrue(i.has("cuda_compiled") && i.has("cuda_devices"));
        String cuda = i.get("cuda_backend").asText();
        assertTrue(CudaBackend.unavailableReason() == null ? cuda.startsWith("available") : cuda.startsWith("unavailable (auto uses the CPU): "),
                cuda);

        CliRun bench = cli("bench", "--T", "64", "--V", "1000", "--pairs", "2", "--repeat", "3", "--dtype", "bf16", "--json");
        assertEquals(0, bench.code(), bench.err());
        JsonNode m = new ObjectMapper().readTree(bench.out());
        assertEquals(2L * 64 * 1000 * 2, m.get("ideal_bytes").asLong());
        assertTrue(m.get("median_s").asDouble() > 0 && m.get("min_s").asDouble() <= m.get("median_s").asDouble());
        assertTrue(m.get("achieved_GBps").asDouble() > 0);
        assertTrue(m.get("peak_rss_bytes").asLong() > 0);
        assertEquals(3, m.get("times_s").size());

        CliRun lin = cli("bench", "--mode", "linear", "--T", "64", "--V", "500", "--d", "32", "--pairs", "2", "--repeat", "1", "--json");
        assertEquals(0, lin.code(), lin.err());
        JsonNode l = new ObjectMapper().readTree(lin.out());
        assertEquals(6.0 * 64 * 32 * 500, l.get("useful_flops").asDouble(), 1e-3);
        assertTrue(l.get("useful_GFLOPs").asDouble() > 0 && l.get("sgemm_GFLOPs").asDouble() > 0);
        assertTrue(l.get("fraction_of_sgemm").asDouble() > 0);

        // the libtorch baseline runs on exactly the same inputs, so it must reach the same loss
        CliRun torch = cli("bench", "--mode", "linear", "--impl", "torch", "--T", "64", "--V", "500", "--d", "32", "--pairs", "2",
                "--repeat", "1", "--json");
        assertEquals(0, torch.code(), torch.err());
        JsonNode t = new ObjectMapper().readTree(torch.out().strip().lines().reduce((a, b) -> b).orElse(""));
        assertEquals("torch", t.get("impl").asText());
        assertEquals(l.get("loss").asDouble(), t.get("loss").asDouble(), 1e-5);
        assertOneLineError(cli("bench", "--mode", "logits", "--impl", "torch"), 2, "--impl torch");
    }

    @Test
    @Tag("gpu")
    void lossAndBenchOnTheGpu() throws Exception {
        assumeTrue(CudaBackend.unavailableReason() == null, () -> "no CUDA backend here: " + CudaBackend.unavailableReason());
        RandomBatch b = new RandomBatch(12, 1031, new int[] {3, 5}, new int[] {4, 2}, DType.BF16, 0.1, 2.0, -100);
        Path in = writeBatch(b, false);
        Path cpuOut = dir.resolve("cpu.safetensors");
        Path gpuOut = dir.resolve("gpu.safetensors");
        assertEquals(0, cli("loss", in.toString(), "--backend", "cpu", "-o", cpuOut.toString()).code());
        CliRun g = cli("loss", in.toString(), "--backend", "cuda", "-o", gpuOut.toString(), "--json");
        assertEquals(0, g.code(), g.err());
        assertEquals("cuda", new ObjectMapper().readTree(g.out()).get("backend").asText());
        try (SafetensorsFile c = SafetensorsFile.open(cpuOut); SafetensorsFile d = SafetensorsFile.open(gpuOut)) {
            assertEquals(c.readF32("loss")[0], d.readF32("loss")[0], 1e-5);
        }
        for (String mode : new String[] {"logits", "linear"}) {
            CliRun bench = cli("bench", "--backend", "cuda", "--mode", mode, "--T", "256", "--V", "4096", "--d", "128", "--pairs", "4",
                    "--dtype", "bf16", "--repeat", "2", "--json");
            assertEquals(0, bench.code(), bench.err());
            JsonNode m = new ObjectMapper().readTree(bench.out());
            assertEquals("cuda", m.get("backend").asText());
            assertTrue(m.get("peak_device_bytes").asLong() > 0);
            assertTrue(m.has(mode.equals("logits") ? "fraction_of_copy" : "fraction_of_gemm"));
        }
    }
}
