package io.github.leanpo.model;

import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.conv2d;
import static org.bytedeco.pytorch.global.torch.embedding;
import static org.bytedeco.pytorch.global.torch.gelu;
import static org.bytedeco.pytorch.global.torch.layer_norm;
import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.bytedeco.pytorch.global.torch.matmul;
import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.rand;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.bytedeco.pytorch.global.torch.scaled_dot_product_attention;
import static org.bytedeco.pytorch.global.torch.zeros;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;

/**
 * A tiny video language model on libtorch: a convolutional frame encoder turns each S×S frame into (S/8)² visual
 * tokens (plus learned frame and position embeddings), text tokens are embedded after them, and a small pre-norm
 * causal transformer runs over the whole sequence. {@link #hidden} returns the last hidden states [B, N, d]
 * (N = visual tokens + text tokens); the LM head's weight [V, d] ({@link #headWeight}) is a parameter that the
 * forward pass never touches: training hands the hidden states and this weight to leanpo's fused-linear loss,
 * which returns grad_hidden and grad_weight without ever building [N, V] logits.
 *
 * <p>Sequence layout: [frame 0 tokens, frame 1 tokens, ..., text tokens]; attention is causal over all of it.
 * Right padding is safe (a padded row only sees the rows before it). All tensors are f32 on the CPU.
 *
 * <p>Owns its parameters (native memory, freed by {@link #close()}). Not thread-safe.
 */
public final class TinyVideoLM extends Module {
    private static final double LN_EPS = 1e-5;
    private final ModelConfig config;
    private final List<Tensor> handles = new ArrayList<>();
    private Tensor conv1W;
    private Tensor conv1B;
    private Tensor conv2W;
    private Tensor conv2B;
    private Tensor conv3W;
    private Tensor conv3B;
    private Tensor framePos;
    private Tensor gridPos;
    private Tensor tokenEmb;
    private Tensor textPos;
    private final List<Tensor[]> blocks = new ArrayList<>();
    private Tensor lnfW;
    private Tensor lnfB;
    private Tensor head;

    /** A freshly initialised model; the same seed gives the same weights. */
    public TinyVideoLM(ModelConfig config, long seed) {
        this.config = config;
        manual_seed(seed);
        try (PointerScope scope = new PointerScope()) { // the initial values' temporaries
            init(config);
        }
    }

    private void init(ModelConfig config) {
        int d = config.hidden();
        conv1W = param("encoder.conv1.weight", uniform(3 * 9, 16, 3, 3, 3));
        conv1B = param("encoder.conv1.bias", zeros(16));
        conv2W = param("encoder.conv2.weight", uniform(16 * 9, 32, 16, 3, 3));
        conv2B = param("encoder.conv2.bias", zeros(32));
        conv3W = param("encoder.conv3.weight", uniform(32 * 9, d, 32, 3, 3));
        conv3B = param("encoder.conv3.bias", zeros(d));
        framePos = param("encoder.frame_pos", normal(0.02, config.maxFrames(), d));
        gridPos = param("encoder.grid_pos", normal(0.02, config.tokensPerFrame(), d));
        tokenEmb = param("text.token_emb", normal(0.02, config.vocab(), d));
        textPos = param("text.pos", normal(0.02, config.maxText(), d));
        double projStd = 0.02 / Math.sqrt(2.0 * config.layers());
        for (int i = 0; i < config.layers(); i++) {
            String p = "blocks." + i + ".";
            blocks.add(new Tensor[] {
                param(p + "ln1.weight", ones(d)), param(p + "ln1.bias", zeros(d)),
                param(p + "attn.qkv.weight", normal(0.02, 3L * d, d)), param(p + "attn.qkv.bias", zeros(3L * d)),
                param(p + "attn.out.weight", normal(projStd, d, d)), param(p + "attn.out.bias", zeros(d)),
                param(p + "ln2.weight", ones(d)), param(p + "ln2.bias", zeros(d)),
                param(p + "mlp.fc.weight", normal(0.02, 4L * d, d)), param(p + "mlp.fc.bias", zeros(4L * d)),
                param(p + "mlp.proj.weight", normal(projStd, d, 4L * d)), param(p + "mlp.proj.bias", zeros(d)),
            });
        }
        lnfW = param("final_ln.weight", ones(d));
        lnfB = param("final_ln.bias", zeros(d));
        head = param("lm_head.weight", normal(0.02, config.vocab(), d));
    }

    /**
     * Registers a parameter and returns a handle of our own. libtorch forbids dots in a module's own parameter
     * names, so the dotted path uses '_'. The reference register_parameter returns points into the module's
     * parameter table, which moves when the table grows, so it is copied into a new handle (same storage) that is
     * detached from any caller's PointerScope and freed by {@link #close()}.
     */
    private Tensor param(String name, Tensor init) {
        Tensor handle;
        try (PointerScope scope = new PointerScope()) {
            handle = new Tensor(register_parameter(name.replace('.', '_'), init));
            handle.retainReference(); // detaching releases the scope's reference; this one is ours, released by close()
            scope.detach(handle);
        }
        handles.add(handle);
        return handle;
    }

    /** Frees the parameter handles and the module (idempotent). */
    @Override
    public void close() {
        for (Tensor t : handles) {
            t.releaseReference();
        }
        handles.clear();
        super.close();
    }

    private static Tensor uniform(long fanIn, long... shape) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return rand(shape).mul(new Scalar(2 * bound)).sub(new Scalar(bound));
    }

    private static Tensor normal(double std, long... shape) {
        return randn(shape).mul(new Scalar(std));
    }

    public ModelConfig config() {
        return config;
    }

    /** The LM head's weight [V, d] (nn.Linear layout, no bias); a parameter, contiguous f32. */
    public Tensor headWeight() {
        return head;
    }

    /**
     * Every parameter by name, in registration order. The handles are new (sharing the parameters' storage) and
     * belong to the caller's PointerScope, if one is open.
     */
    public Map<String, Tensor> namedParameters() {
        StringTensorDict dict = named_parameters();
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (long i = 0; i < dict.size(); i++) {
            // copy the handle: value() points into the dictionary, which dies with `dict`
            m.put(dict.get(i).key().getString(), new Tensor(dict.get(i).value()));
        }
        return m;
    }

    /** All parameters, for the optimizer. */
    public TensorVector parameterVector() {
        return parameters();
    }

    /**
     * Visual tokens of a batch of frame stacks.
     *
     * @param frames [B, k, 3, S, S] f32 in [-1, 1], k ≤ maxFrames
     * @return [B, k·(S/8)², d]
     */
    public Tensor encodeFrames(Tensor frames) {
        long b = frames.size(0);
        long k = frames.size(1);
        int s = config.imageSize();
        if (frames.dim() != 5 || frames.size(2) != 3 || frames.size(3) != s || frames.size(4) != s) {
            throw new IllegalArgumentException("frames must be [B, k, 3, " + s + ", " + s + "], got " + java.util.Arrays.toString(frames.shape()));
        }
        if (k < 1 || k > config.maxFrames()) {
            throw new IllegalArgumentException("a sequence carries 1.." + config.maxFrames() + " frames, got " + k);
        }
        long[] two = {2, 2};
        long[] one = {1, 1};
        Tensor x = frames.reshape(b * k, 3, s, s);
        x = gelu(conv2d(x, conv1W, new TensorOptional(conv1B), two, one, one, 1));
        x = gelu(conv2d(x, conv2W, new TensorOptional(conv2B), two, one, one, 1));
        x = conv2d(x, conv3W, new TensorOptional(conv3B), two, one, one, 1); // [B·k, d, g, g]
        int d = config.hidden();
        int t = config.tokensPerFrame();
        x = x.flatten(2, 3).transpose(1, 2).reshape(b, k * t, d);
        Tensor pos = framePos.narrow(0, 0, k).unsqueeze(1).add(gridPos.unsqueeze(0)).reshape(k * t, d);
        return x.add(pos);
    }

    /**
     * The last hidden states of [visual tokens, text tokens].
     *
     * @param visual from {@link #encodeFrames} [B, Nv, d]
     * @param tokens [B, L] int64 token ids, L ≤ maxText (right-padded with any id)
     * @return [B, Nv + L, d], after the final layer norm
     */
    public Tensor hidden(Tensor visual, Tensor tokens) {
        long b = tokens.size(0);
        long l = tokens.size(1);
        if (l < 1 || l > config.maxText()) {
            throw new IllegalArgumentException("a sequence carries 1.." + config.maxText() + " text tokens, got " + l);
        }
        if (visual.size(0) != b) {
            throw new IllegalArgumentException("visual batch " + visual.size(0) + " != text batch " + b);
        }
        Tensor text = embedding(tokenEmb, tokens).add(textPos.narrow(0, 0, l).unsqueeze(0));
        Tensor x = cat(new TensorVector(visual, text), 1);
        long n = x.size(1);
        int d = config.hidden();
        int h = config.heads();
        long dh = d / h;
        for (Tensor[] p : blocks) {
            Tensor y = layer_norm(x, new long[] {d}, new TensorOptional(p[0]), new TensorOptional(p[1]), LN_EPS, false);
            Tensor qkv = linear(y, p[2], new TensorOptional(p[3])).reshape(b, n, 3, h, dh).permute(2, 0, 3, 1, 4);
            Tensor a = scaled_dot_product_attention(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), new TensorOptional(), 0.0, true,
                    new DoubleOptional(), false);
            a = a.transpose(1, 2).reshape(b, n, d);
            x = x.add(linear(a, p[4], new TensorOptional(p[5])));
            y = layer_norm(x, new long[] {d}, new TensorOptional(p[6]), new TensorOptional(p[7]), LN_EPS, false);
            x = x.add(linear(gelu(linear(y, p[8], new TensorOptional(p[9]))), p[10], new TensorOptional(p[11])));
        }
        return layer_norm(x, new long[] {d}, new TensorOptional(lnfW), new TensorOptional(lnfB), LN_EPS, false);
    }

    /** {@link #hidden} straight from frames [B, k, 3, S, S] and tokens [B, L]. */
    public Tensor hiddenFromFrames(Tensor frames, Tensor tokens) {
        return hidden(encodeFrames(frames), tokens);
    }

    /** Logits [.., V] of hidden states [.., d] through the LM head (for generation and scoring, not for training). */
    public Tensor logits(Tensor hidden) {
        return matmul(hidden, head.t());
    }
}
