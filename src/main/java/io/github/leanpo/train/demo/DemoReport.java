package io.github.leanpo.train.demo;

import io.github.leanpo.files.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The demo's outputs: {@code report.md} (setup, held-out accuracy of every variant, the likelihood of chosen and
 * rejected responses before and after training, a plain statement of whether likelihood displacement appeared, and
 * timings) and {@code logps.png} ({@code logps/chosen} and {@code logps/rejected} per step, one panel per
 * preference variant, on a shared y axis).
 */
final class DemoReport {
    /** A change smaller than this (nats per token) is reported as "no change". */
    static final double TOLERANCE = 0.01;

    private DemoReport() {}

    static void write(Demo.Result r) throws IOException {
        writePlot(r);
        AtomicFiles.writeString(r.report(), markdown(r));
    }

    /** Whether the chosen responses' likelihood fell while the policy learned to prefer them: likelihood displacement. */
    static String displacement(Demo.Variant v) {
        double dc = v.pairsAfter()[0] - v.pairsBefore()[0];
        double dr = v.pairsAfter()[1] - v.pairsBefore()[1];
        if (dc < -TOLERANCE) {
            return String.format(Locale.ROOT, "**yes**: the chosen responses' mean log-prob fell by %.3f (rejected: %+.3f)", -dc, dr);
        }
        if (dc > TOLERANCE) {
            return String.format(Locale.ROOT, "no: the chosen responses' mean log-prob rose by %.3f (rejected: %+.3f)", dc, dr);
        }
        return String.format(Locale.ROOT, "no: the chosen responses' mean log-prob stayed within ±%.2f (%+.3f; rejected: %+.3f)", TOLERANCE,
                dc, dr);
    }

    static String markdown(Demo.Result r) {
        DemoConfig c = r.config();
        StringBuilder sb = new StringBuilder();
        sb.append("# leanpo demo report\n\n");
        sb.append(String.format(Locale.ROOT, "Seed %d. Synthetic videos: %d training, %d held-out (%d questions each: colour, shape, "
                        + "direction, count), %d frames of %dx%d, read back as %d frames of %dx%d.%n%n", c.seed(), c.trainVideos(),
                c.heldoutVideos(), ShapesWorld.Question.values().length, ShapesWorld.FRAMES, ShapesWorld.SIZE, ShapesWorld.SIZE, Demo.FRAMES,
                Demo.FRAME_SIZE, Demo.FRAME_SIZE));
        sb.append(String.format(Locale.ROOT, "Model: %s parameters (d=%s, %s blocks, %s heads, vocabulary %s); loss head: leanpo's "
                        + "fused-linear engine (CPU).%n%n", r.model().get("parameters"), r.model().get("hidden"), r.model().get("layers"),
                r.model().get("heads"), r.model().get("vocab")));
        sb.append(String.format(Locale.ROOT, "SFT: %d steps of %d examples, lr %.0e. Preference training: %d epoch(s) over the pairs, %d "
                        + "pairs per step in micro-batches of %d (gradient accumulation, global normalisation), lr %.0e for every variant, "
                        + "same pairs in the same order.%n%n", c.sftSteps(), c.sftBatch(), c.sftLr(), c.prefEpochs(), c.prefBatch(),
                c.microPairs(), c.prefLr()));

        Demo.PairStats p = r.pairs();
        sb.append("## Preference pairs (pipeline, in-process SFT model)\n\n");
        sb.append(String.format(Locale.ROOT, "%d training questions in; %d pairs kept, %d filtered (winner identical to loser), %d failed. "
                        + "Of the kept pairs, the chosen response is exactly the ground truth in %d, the rejected one in %d; the SFT model "
                        + "already ranked %d of them right by mean log-prob. (%.1f s)%n%n", c.pairSamples(), p.kept(), p.filtered(), p.failed(),
                p.chosenCorrect(), p.rejectedCorrect(), p.ordered(), p.seconds()));

        sb.append("## Held-out results\n\n");
        sb.append("| model | accuracy | colour | shape | direction | count | log-prob correct | log-prob wrong | correct ranked first |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        row(sb, "SFT", r.sft());
        for (Demo.Variant v : r.variants()) {
            row(sb, v.name(), v.eval());
        }
        sb.append("\nAccuracy: greedy answers to the plain question, exact match. Log-probs: mean token log-prob of the correct answer "
                + "and of one wrong answer per question.\n\n");

        sb.append("## Likelihood of the training pairs\n\n");
        sb.append("| variant | objective | logps/chosen before → after | logps/rejected before → after | displacement |\n");
        sb.append("|---|---|---|---|---|\n");
        for (Demo.Variant v : r.variants()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s β=%s%s | %.3f → %.3f | %.3f → %.3f | %s |%n", v.name(), v.loss().objective(),
                    trim(v.loss().beta()), v.loss().smoothing().mode().name().equals("NONE") ? "" : ", ε0=" + trim(v.loss().smoothing().epsilon()),
                    v.pairsBefore()[0], v.pairsAfter()[0], v.pairsBefore()[1], v.pairsAfter()[1], displacement(v)));
        }
        sb.append(String.format(Locale.ROOT, "%nMean token log-prob over all training pairs, measured before the first and after the last "
                + "step. Displacement means the chosen responses became less likely while training to prefer them (a fall of more than "
                + "%.2f nats per token). `" + Demo.PLOT_FILE + "` shows the per-step values (each step's own batch).%n%n", TOLERANCE));
        sb.append("![logps/chosen and logps/rejected per step](" + Demo.PLOT_FILE + ")\n\n");
        sb.append("One seed, one learning rate, a model of 150k parameters: at this scale the outcome moves with both, so read it as "
                + "a measurement of this run, not a general result. `leanpo demo --seed N --pref-lr LR` reruns it with other values "
                + "(a run at a higher preference learning rate, 5e-4, showed the chosen log-prob falling under all three objectives).\n\n");

        sb.append("## Step time\n\n| run | steps | mean step time |\n|---|---|---|\n");
        sb.append(String.format(Locale.ROOT, "| SFT | %d | %.1f ms |%n", r.sftSteps().size(),
                1000 * r.sftSteps().stream().mapToDouble(m -> m.get("step_time_s")).average().orElse(0)));
        for (Demo.Variant v : r.variants()) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f ms |%n", v.name(), v.steps().size(), 1000 * v.meanStepSeconds()));
        }
        sb.append("\n| phase | seconds |\n|---|---|\n");
        for (Map.Entry<String, Double> e : r.phaseSeconds().entrySet()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.1f |%n", e.getKey(), e.getValue()));
        }
        sb.append("\nPer-step metrics (TRL names) are in `" + Demo.WORK_DIR + "/runs/*/metrics.jsonl`; checkpoints in `"
                + Demo.WORK_DIR + "/checkpoints/`; the pairs in `" + Demo.WORK_DIR + "/data/pairs.jsonl`.\n");
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, Demo.Eval e) {
        sb.append(String.format(Locale.ROOT, "| %s | %.1f%% | %s | %s | %s | %s | %.3f | %.3f | %.1f%% |%n", name, 100 * e.accuracy(),
                pct(e.byQuestion().get("colour")), pct(e.byQuestion().get("shape")), pct(e.byQuestion().get("direction")),
                pct(e.byQuestion().get("count")), e.correctLogp(), e.distractorLogp(), 100 * e.rankAccuracy()));
    }

    private static String pct(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : Double.toString(v);
    }

    private static void writePlot(Demo.Result r) throws IOException {
        List<Demo.Variant> vs = r.variants();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Demo.Variant v : vs) {
            for (Map<String, Double> m : v.steps()) {
                lo = Math.min(lo, Math.min(m.get("logps/chosen"), m.get("logps/rejected")));
                hi = Math.max(hi, Math.max(m.get("logps/chosen"), m.get("logps/rejected")));
            }
        }
        double pad = Math.max(0.05, 0.05 * (hi - lo));
        int w = 460;
        int h = 340;
        BufferedImage all = new BufferedImage(w * vs.size(), h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        try {
            for (int i = 0; i < vs.size(); i++) {
                Demo.Variant v = vs.get(i);
                XYChart chart = new XYChartBuilder().width(w).height(h).title(v.name()).xAxisTitle("step")
                        .yAxisTitle("mean token log-prob").build();
                chart.getStyler().setYAxisMin(lo - pad);
                chart.getStyler().setYAxisMax(hi + pad);
                chart.getStyler().setChartBackgroundColor(Color.WHITE);
                chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSW);
                double[] x = new double[v.steps().size()];
                double[] yc = new double[x.length];
                double[] yr = new double[x.length];
                for (int s = 0; s < x.length; s++) {
                    x[s] = s + 1;
                    yc[s] = v.steps().get(s).get("logps/chosen");
                    yr[s] = v.steps().get(s).get("logps/rejected");
                }
                XYSeries c = chart.addSeries("logps/chosen", x, yc);
                c.setMarker(SeriesMarkers.NONE);
                c.setLineColor(new Color(30, 110, 200));
                XYSeries rj = chart.addSeries("logps/rejected", x, yr);
                rj.setMarker(SeriesMarkers.NONE);
                rj.setLineColor(new Color(210, 60, 40));
                g.drawImage(BitmapEncoder.getBufferedImage(chart), i * w, 0, null);
            }
        } finally {
            g.dispose();
        }
        AtomicFiles.writeVia(r.plot(), tmp -> {
            if (!ImageIO.write(all, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available for " + r.plot());
            }
        });
    }
}
