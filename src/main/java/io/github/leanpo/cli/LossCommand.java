package io.github.leanpo.cli;

import io.github.leanpo.engine.BatchLayout;
import io.github.leanpo.engine.DType;
import io.github.leanpo.engine.HostTensor;
import io.github.leanpo.engine.LinearGrads;
import io.github.leanpo.loss.BackendChoice;
import io.github.leanpo.loss.LeanPoLoss;
import io.github.leanpo.loss.LinearBatch;
import io.github.leanpo.loss.LogitsBatch;
import io.github.leanpo.loss.LossConfig;
import io.github.leanpo.loss.LossResult;
import io.github.leanpo.loss.Objective;
import io.github.leanpo.loss.Smoothing;
import io.github.leanpo.safetensors.SafetensorsDType;
import io.github.leanpo.safetensors.SafetensorsFile;
import io.github.leanpo.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code leanpo loss}: one forward+backward over a safetensors file, written to another, so anyone can
 * cross-check leanpo against a PyTorch dump (DESIGN.md §2).
 *
 * <p>Input keys: {@code logits} [T, V] (F32, BF16 or F16) or, for the fused-linear head, {@code hidden} [T, d],
 * {@code weight} [V, d] and optionally {@code bias} [V]; {@code targets} [T] (I32 or I64),
 * {@code seq_offsets} [2P+1] (I64 or I32), and for DPO {@code ref_sum} [2P] (F32). Output keys:
 * {@code loss} (scalar F32), {@code grad_logits} [T, V] (the logits' dtype) or {@code grad_hidden},
 * {@code grad_weight}[, {@code grad_bias}] (their inputs' dtypes), {@code seq_mean_logp},
 * {@code seq_sum_logp} [2P] (F32), {@code seq_tokens} [2P] (I64), {@code reward_chosen},
 * {@code reward_rejected}, {@code pair_epsilon}, {@code pair_loss} [P] (F32).
 */
@Command(name = "loss", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run one forward+backward of the loss on a safetensors file and write the results to another.")
final class LossCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT", description = "safetensors file with logits (or hidden, weight[, bias]), targets, seq_offsets[, ref_sum]")
    Path input;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Output safetensors file. Default: INPUT with .out.safetensors")
    Path output;

    @Option(names = "--objective", defaultValue = "leanpo", description = "leanpo, simpo, dpo or sft. Default: ${DEFAULT-VALUE}")
    String objective;

    @Option(names = "--beta", description = "Reward scale β (default per objective: 2 for leanpo/simpo, 0.1 for dpo).")
    Double beta;

    @Option(names = "--gamma", description = "Target margin γ (default 0; 0.5 for simpo).")
    Double gamma;

    @Option(names = "--smoothing", description = "dynamic, fixed or none (default: dynamic for leanpo, none otherwise).")
    String smoothing;

    @Option(names = "--epsilon", description = "ε for fixed smoothing, ε0 for dynamic (default 0.2 for dynamic).")
    Double epsilon;

    @Option(names = "--nll-weight", description = "λ, weight of the NLL term on the chosen response. Default: 0")
    Double nllWeight;

    @Option(names = "--ignore-index", defaultValue = "-100", description = "Target value of rows that take no part. Default: ${DEFAULT-VALUE}")
    long ignoreIndex;

    @Option(names = "--normalizer", defaultValue = "0", description = "N in Loss = Σ L / N (0: the pairs in the file). Default: ${DEFAULT-VALUE}")
    double normalizer;

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or cuda. Default: ${DEFAULT-VALUE}")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: one per hardware thread).")
    int threads;

    @Option(names = "--json", description = "Print the metrics as one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        LossConfig cfg = config();
        BackendChoice choice = BackendChoice.parse(backend);
        Path out = output != null ? output : defaultOutput(input);
        if (Files.exists(out) && Files.isSameFile(out, input)) {
            throw new ParameterException(spec.commandLine(), "the output would overwrite the input " + input + "; choose another --output");
        }
        try (PointerScope scope = new PointerScope();
             SafetensorsFile in = SafetensorsFile.open(input)) {
            boolean linear = in.tensors().containsKey("hidden") || in.tensors().containsKey("weight");
            long rows;
            long vocab;
            if (linear) {
                SafetensorsFile.TensorInfo hi = in.info("hidden");
                SafetensorsFile.TensorInfo wi = in.info("weight");
                if (hi.rank() != 2 || wi.rank() != 2 || hi.shape()[1] != wi.shape()[1]) {
                    throw new IllegalArgumentException("hidden must be [T, d] and weight [V, d] with the same d, got "
                            + Arrays.toString(hi.shape()) + " and " + Arrays.toString(wi.shape()));
                }
                rows = hi.shape()[0];
                vocab = wi.shape()[0];
            } else {
                SafetensorsFile.TensorInfo li = in.info("logits");
                if (li.rank() != 2) {
                    throw new IllegalArgumentException("logits must be [T, V], got shape " + Arrays.toString(li.shape()));
                }
                rows = li.shape()[0];
                vocab = li.shape()[1];
            }
            SafetensorsFile.TensorInfo ti = in.info("targets");
            if (ti.rank() != 1 || ti.shape()[0] != rows) {
                throw new IllegalArgumentException("targets must be [T] = [" + rows + "], got shape " + Arrays.toString(ti.shape()));
            }
            long[] targets = in.readIndices("targets");
            SafetensorsFile.TensorInfo oi = in.info("seq_offsets");
            if (oi.rank() != 1) {
                throw new IllegalArgumentException("seq_offsets must be [2P+1], got shape " + Arrays.toString(oi.shape()));
            }
            BatchLayout layout = BatchLayout.fromOffsets(in.readIndices("seq_offsets"));
            if (layout.rows() != rows) {
                throw new IllegalArgumentException("seq_offsets end at " + layout.rows() + " but the input has T = " + rows + " rows");
            }
            HostTensor refSum = null;
            if (cfg.objective() == Objective.DPO) {
                SafetensorsFile.TensorInfo ri = in.info("ref_sum");
                if (ri.rank() != 1 || ri.shape()[0] != layout.sequences()) {
                    throw new IllegalArgumentException("ref_sum must be [2P] = [" + layout.sequences() + "], got shape "
                            + Arrays.toString(ri.shape()));
                }
                refSum = HostTensor.of(in.readF32("ref_sum"));
            }
            SafetensorsWriter w = new SafetensorsWriter()
                    .metadata("producer", "leanpo loss")
                    .metadata("objective", cfg.objective().name().toLowerCase(Locale.ROOT));
            LossResult r;
            String backendName;
            try (LeanPoLoss loss = LeanPoLoss.create(cfg, choice, threads)) {
                backendName = loss.backendName();
                if (linear) {
                    r = runLinear(in, loss, targets, layout, refSum, vocab, w);
                } else {
                    // The gradient is written in place over our own copy of the logits: one T×V buffer in all.
                    SafetensorsFile.TensorInfo li = in.info("logits");
                    DType dt = floating(li, "logits");
                    BytePointer x = in.read("logits");
                    HostTensor logits = HostTensor.of(x, dt, li.numel());
                    LogitsBatch batch = LogitsBatch.of(logits, vocab, HostTensor.of(targets), layout);
                    if (refSum != null) {
                        batch = batch.withRefSum(refSum);
                    }
                    r = loss.forwardBackward(batch, logits);
                    w.addF32("loss", new long[0], new float[] {(float) r.loss()});
                    w.add("grad_logits", li.dtype(), li.shape(), x);
                }
            }
            long p = layout.pairs();
            long s = layout.sequences();
            w.addF32("seq_mean_logp", new long[] {s}, r.seqMeanLogp())
                    .addF32("seq_sum_logp", new long[] {s}, r.seqSumLogp())
                    .addI64("seq_tokens", new long[] {s}, r.seqTokens())
                    .addF32("reward_chosen", new long[] {p}, r.rewardChosen())
                    .addF32("reward_rejected", new long[] {p}, r.rewardRejected())
                    .addF32("pair_epsilon", new long[] {p}, r.pairEpsilon())
                    .addF32("pair_loss", new long[] {p}, r.pairLoss())
                    .write(out);
            PrintWriter o = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>(r.metrics());
                m.put("pairs", p);
                m.put("T", rows);
                m.put("V", vocab);
                m.put("backend", backendName);
                m.put("output", out.toString());
                o.println(Json.write(m));
            } else {
                o.printf(Locale.ROOT, "%s loss %.6f over %d pairs (T=%d, V=%d, %s) -> %s%n", cfg.objective().name().toLowerCase(Locale.ROOT),
                        r.loss(), p, rows, vocab, backendName, out);
                r.metrics().forEach((k, v) -> o.printf(Locale.ROOT, "  %-26s %.6f%n", k, v));
            }
            return 0;
        }
    }

    private LossConfig config() {
        Objective obj;
        try {
            obj = Objective.valueOf(objective.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "unknown --objective '" + objective + "' (use leanpo, simpo, dpo or sft)");
        }
        try {
            LossConfig cfg = LossConfig.defaults(obj).withIgnoreIndex(ignoreIndex).withNormalizer(normalizer);
            if (beta != null) {
                cfg = cfg.withBeta(beta);
            }
            if (gamma != null) {
                cfg = cfg.withGamma(gamma);
            }
            if (nllWeight != null) {
                cfg = cfg.withNllWeight(nllWeight);
            }
            Smoothing.Mode mode = cfg.smoothing().mode();
            if (smoothing != null) {
                try {
                    mode = Smoothing.Mode.valueOf(smoothing.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "unknown --smoothing '" + smoothing + "' (use dynamic, fixed or none)");
                }
            }
            Smoothing sm = switch (mode) {
                case NONE -> {
                    if (epsilon != null && epsilon != 0) {
                        throw new ParameterException(spec.commandLine(), "--epsilon needs --smoothing fixed or dynamic");
                    }
                    yield Smoothing.none();
                }
                case FIXED -> {
                    if (epsilon == null && cfg.smoothing().mode() != Smoothing.Mode.FIXED) {
                        throw new ParameterException(spec.commandLine(), "--smoothing fixed needs --epsilon");
                    }
                    yield Smoothing.fixed(epsilon != null ? epsilon : cfg.smoothing().epsilon());
                }
                case DYNAMIC -> Smoothing.dynamic(epsilon != null ? epsilon
                        : cfg.smoothing().mode() == Smoothing.Mode.DYNAMIC ? cfg.smoothing().epsilon() : 0.2);
            };
            return cfg.withSmoothing(sm);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Fused-linear mode: hidden [T, d], weight [V, d], optional bias [V] in; grad_hidden, grad_weight, grad_bias out. */
    private static LossResult runLinear(SafetensorsFile in, LeanPoLoss loss, long[] targets, BatchLayout layout, HostTensor refSum,
                                        long vocab, SafetensorsWriter w) throws IOException {
        SafetensorsFile.TensorInfo hi = in.info("hidden");
        SafetensorsFile.TensorInfo wi = in.info("weight");
        long d = hi.shape()[1];
        DType ht = floating(hi, "hidden");
        DType wt = floating(wi, "weight");
        HostTensor hidden = HostTensor.of(in.read("hidden"), ht, hi.numel());
        HostTensor weight = HostTensor.of(in.read("weight"), wt, wi.numel());
        HostTensor bias = null;
        SafetensorsFile.TensorInfo bi = in.tensors().get("bias");
        BytePointer gb = null;
        if (bi != null) {
            if (bi.rank() != 1 || bi.shape()[0] != vocab) {
                throw new IllegalArgumentException("bias must be [V] = [" + vocab + "], got shape " + Arrays.toString(bi.shape()));
            }
            bias = HostTensor.of(in.read("bias"), floating(bi, "bias"), vocab);
            gb = new BytePointer(vocab * bias.dtype().byteSize());
        }
        BytePointer gh = new BytePointer(hi.numel() * ht.byteSize());
        BytePointer gw = new BytePointer(wi.numel() * wt.byteSize());
        LinearBatch batch = LinearBatch.of(hidden, weight, bias, d, vocab, HostTensor.of(targets), layout);
        if (refSum != null) {
            batch = batch.withRefSum(refSum);
        }
        LossResult r = loss.forwardBackward(batch, new LinearGrads(HostTensor.of(gh, ht, hi.numel()), HostTensor.of(gw, wt, wi.numel()),
                bias != null ? HostTensor.of(gb, bias.dtype(), vocab) : null, false));
        w.addF32("loss", new long[0], new float[] {(float) r.loss()});
        w.add("grad_hidden", hi.dtype(), hi.shape(), gh);
        w.add("grad_weight", wi.dtype(), wi.shape(), gw);
        if (bi != null) {
            w.add("grad_bias", bi.dtype(), bi.shape(), gb);
        }
        return r;
    }

    private static DType floating(SafetensorsFile.TensorInfo t, String what) {
        DType dt = engineDType(t.dtype(), what);
        if (!dt.isFloating()) {
            throw new IllegalArgumentException(what + " must be F32, BF16 or F16, got " + t.dtype());
        }
        return dt;
    }

    static Path defaultOutput(Path in) {
        String name = in.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return in.resolveSibling(stem + ".out.safetensors");
    }

    static DType engineDType(SafetensorsDType t, String what) {
        return switch (t) {
            case F32 -> DType.F32;
            case BF16 -> DType.BF16;
            case F16 -> DType.F16;
            case I32 -> DType.I32;
            case I64 -> DType.I64;
            default -> throw new IllegalArgumentException(what + " has dtype " + t + ", which leanpo does not take here");
        };
    }
}
