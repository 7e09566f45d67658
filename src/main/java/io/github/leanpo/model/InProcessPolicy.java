package io.github.leanpo.model;

import static org.bytedeco.pytorch.global.torch.log_softmax;

import io.github.leanpo.pipeline.ChatMessage;
import io.github.leanpo.pipeline.Frames;
import io.github.leanpo.pipeline.ModelException;
import io.github.leanpo.pipeline.PolicyModel;
import io.github.leanpo.pipeline.SamplingParams;
import io.github.leanpo.pipeline.TokenLogprobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The demo's {@link TinyVideoLM} as the pipeline's policy, in process: greedy or seeded temperature/top-p
 * generation, and teacher-forced token log-probs. Requests are serialised ({@code synchronized}); every call runs
 * without autograd in its own {@link PointerScope}. Borrows the model and the tokenizer (closing this policy does
 * not close the model).
 */
public final class InProcessPolicy implements PolicyModel {
    private final TinyVideoLM model;
    private final WordTokenizer tok;
    private final String name;

    public InProcessPolicy(TinyVideoLM model, WordTokenizer tokenizer, String name) {
        TorchRuntime.ensureInit();
        this.model = model;
        this.tok = tokenizer;
        this.name = name;
    }

    public TinyVideoLM model() {
        return model;
    }

    public WordTokenizer tokenizer() {
        return tok;
    }

    @Override
    public synchronized String generate(Frames frames, List<ChatMessage> messages, SamplingParams params) throws ModelException {
        int[] prompt = ChatFormat.prompt(tok, messages);
        float[] px = FrameTensors.toArray(clip(frames), model.config().imageSize());
        Random rng = new Random(params.seed() != null ? params.seed() : 0L);
        int[] out = decode(px, frames.size() > model.config().maxFrames() ? model.config().maxFrames() : frames.size(), List.of(prompt),
                params.maxTokens(), params.isGreedy() ? 0 : params.temperature(), params.topP(), rng).get(0);
        return tok.decode(out);
    }

    @Override
    public synchronized TokenLogprobs score(Frames frames, List<ChatMessage> prompt, String response) throws ModelException {
        int[] p = ChatFormat.prompt(tok, prompt);
        int[] r = ChatFormat.response(tok, response, false);
        if (r.length == 0) {
            throw new ModelException("the response to score has no tokens");
        }
        if (p.length + r.length > model.config().maxText()) {
            throw new ModelException("prompt and response have " + (p.length + r.length) + " tokens; the model takes at most "
                    + model.config().maxText());
        }
        Frames f = clip(frames);
        float[] px = FrameTensors.toArray(f, model.config().imageSize());
        int s = model.config().imageSize();
        double[] lp = new double[r.length];
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            long[] ids = new long[p.length + r.length];
            for (int i = 0; i < p.length; i++) {
                ids[i] = p[i];
            }
            for (int i = 0; i < r.length; i++) {
                ids[p.length + i] = r[i];
            }
            Tensor fr = Tensor.create(px, 1, f.size(), 3, s, s);
            Tensor h = model.hiddenFromFrames(fr, Tensor.create(ids, 1, ids.length));
            long nv = h.size(1) - ids.length;
            // row nv + p.length - 1 + j predicts response token j
            Tensor rows = h.select(0, 0).narrow(0, nv + p.length - 1, r.length);
            Tensor logp = log_softmax(model.logits(rows), 1).contiguous();
            FloatPointer fp = logp.data_ptr_float();
            int v = model.config().vocab();
            for (int j = 0; j < r.length; j++) {
                lp[j] = Math.min(0.0, fp.get((long) j * v + r[j]));
            }
        }
        return new TokenLogprobs(r, lp);
    }

    /**
     * Greedy (temperature 0) or sampled continuation of several prompts of the same length over the same number of
     * frames, without the {@code <eos>}; the batch shares one forward pass per new token.
     *
     * @param frames      [B·k·3·S·S] frame stacks, one per prompt, back to back
     * @param frameCount  k
     * @param prompts     B prompts, all the same length
     * @param maxTokens   the most new tokens
     * @param temperature 0 for greedy
     * @param topP        nucleus mass (sampling only)
     * @return the new tokens of each prompt, up to its {@code <eos>}
     */
    public synchronized List<int[]> decode(float[] frames, int frameCount, List<int[]> prompts, int maxTokens, double temperature,
                                           double topP, Random rng) {
        int b = prompts.size();
        int len = prompts.get(0).length;
        for (int[] p : prompts) {
            if (p.length != len) {
                throw new IllegalArgumentException("prompts decoded together must have the same length");
            }
        }
        int s = model.config().imageSize();
        int v = model.config().vocab();
        int steps = Math.min(maxTokens, model.config().maxText() - len);
        List<List<Integer>> out = new ArrayList<>();
        boolean[] done = new boolean[b];
        long[] ids = new long[b * (len + Math.max(steps, 0))];
        int cur = len;
        for (int i = 0; i < b; i++) {
            out.add(new ArrayList<>());
            for (int j = 0; j < len; j++) {
                ids[i * (len + steps) + j] = prompts.get(i)[j];
            }
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            Tensor visual = model.encodeFrames(Tensor.create(frames, b, frameCount, 3, s, s));
            for (int step = 0; step < steps; step++) {
                try (PointerScope inner = new PointerScope()) {
                    long[] now = new long[b * cur];
                    for (int i = 0; i < b; i++) {
                        System.arraycopy(ids, i * (len + steps), now, i * cur, cur);
                    }
                    Tensor h = model.hidden(visual, Tensor.create(now, b, cur));
                    Tensor last = h.select(1, h.size(1) - 1).contiguous(); // [B, d]
                    Tensor logits = model.logits(last).contiguous();
                    float[] all = new float[b * v];
                    logits.data_ptr_float().get(all);
                    boolean any = false;
                    for (int i = 0; i < b; i++) {
                        if (done[i]) {
                            continue;
                        }
                        float[] row = Arrays.copyOfRange(all, i * v, (i + 1) * v);
                        int next = temperature == 0 ? argmax(row) : sample(row, temperature, topP, rng);
                        if (next == WordTokenizer.EOS) {
                            done[i] = true;
                        } else {
                            out.get(i).add(next);
                            ids[i * (len + steps) + cur] = next;
                            any = true;
                        }
                    }
                    cur++;
                    if (!any) {
                        break;
                    }
                }
            }
        }
        List<int[]> res = new ArrayList<>(b);
        for (List<Integer> o : out) {
            res.add(o.stream().mapToInt(Integer::intValue).toArray());
        }
        return res;
    }

    private Frames clip(Frames frames) {
        int max = model.config().maxFrames();
        return frames.size() <= max ? frames : frames.select(Frames.uniformPositions(frames.size(), max));
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Samples from softmax(row / temperature) restricted to the smallest set of tokens holding {@code topP} of the mass. */
    static int sample(float[] row, double temperature, double topP, Random rng) {
        int n = row.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float x : row) {
            max = Math.max(max, x);
        }
        double[] p = new double[n];
        double z = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((row[i] - max) / temperature);
            z += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            p[i] /= z;
        }
        Arrays.sort(order, (a, c) -> Double.compare(p[c], p[a]));
        double cum = 0;
        int keep = 0;
        while (keep < n && (cum < topP || keep == 0)) {
            cum += p[order[keep]];
            keep++;
        }
        double u = rng.nextDouble() * cum;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[order[i]];
            if (u < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    @Override
    public String name() {
        return name;
    }
}
