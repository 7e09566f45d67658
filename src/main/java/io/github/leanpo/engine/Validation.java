package io.github.leanpo.engine;

/**
 * Checks every input before any native call (DESIGN.md §3). Each failure is an
 * {@link IllegalArgumentException} that names the offending index and what to fix.
 */
final class Validation {
    private Validation() {}

    /**
     * What validation had to read anyway, handed on so the orchestrators do not read it again: host targets widened to
     * long and, for DPO, host reference sums. Targets and reference sums in device memory are not read on the host; they
     * come back as {@code deviceTargets} / {@code deviceRefSum} and the kernels check them on the device.
     */
    record Checked(long[] targets, float[] refSum, Tensor deviceTargets, Tensor deviceRefSum) {}

    /** Validates a logits-in batch for the backend behind {@code k}. */
    static Checked logitsBatch(Kernels k, LogitsInput in, PairFunction f, long ignoreIndex, Tensor grad) {
        BatchLayout layout = in.layout();
        long rows = layout.rows();
        long vocab = in.vocab();
        if (vocab < 1) {
            throw new IllegalArgumentException("V (vocabulary size) must be >= 1, got " + vocab);
        }
        if (rows < 1) {
            throw new IllegalArgumentException("the batch has no rows (seq_offsets end at 0)");
        }
        if (rows > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("T = " + rows + " rows is more than one call handles; split the batch");
        }
        long elems;
        try {
            elems = Math.multiplyExact(rows, vocab);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("T x V = " + rows + " x " + vocab + " overflows a 64-bit element count");
        }
        Tensor logits = in.logits();
        k.requireUsable(logits, "logits");
        if (!logits.dtype().isFloating()) {
            throw new IllegalArgumentException("logits must be f32, bf16 or f16, got " + logits.dtype());
        }
        if (logits.numel() < elems) {
            throw new IllegalArgumentException("logits hold " + logits.numel() + " elements but T x V = " + rows + " x " + vocab
                    + " needs " + elems);
        }
        if (grad != null) {
            k.requireUsable(grad, "grad_logits");
            if (grad.dtype() != logits.dtype()) {
                throw new IllegalArgumentException("grad_logits must have the logits' dtype " + logits.dtype() + ", got " + grad.dtype());
            }
            if (grad.numel() < elems) {
                throw new IllegalArgumentException("grad_logits buffer holds " + grad.numel() + " elements but T x V = " + rows
                        + " x " + vocab + " needs " + elems);
            }
        }
        return pairsAndTargets(k, in.targets(), layout, vocab, f, ignoreIndex, in.refSum());
    }

    static IllegalArgumentException badTarget(long row, long y, long vocab, long ignoreIndex) {
        return new IllegalArgumentException("target at row " + row + " is " + y + ", outside [0, V=" + vocab
                + ") and not the ignore index " + ignoreIndex);
    }

    static IllegalArgumentException emptyResponse(int pair, int side, long begin, long end, long ignoreIndex) {
        return new IllegalArgumentException("pair " + pair + ": the " + (side == 0 ? "chosen" : "rejected")
                + " response (sequence " + (2 * pair + side) + ", rows [" + begin + ", " + end + ")) has no response tokens"
                + (end > begin ? " (every target is the ignore index " + ignoreIndex + ")" : "")
                + "; drop the pair or fix its labels");
    }

    /**
     * Targets within [0, V) or the ignore index, a response token in every scored sequence, and DPO's ref_sum. Values in
     * device memory are left to the kernels, which report the same errors after the call's work.
     */
    static Checked pairsAndTargets(Kernels k, Tensor tv, BatchLayout layout, long vocab, PairFunction f, long ignoreIndex,
                                   Tensor refSum) {
        long rows = layout.rows();
        k.requireUsable(tv, "targets");
        if (tv.dtype() != DType.I32 && tv.dtype() != DType.I64) {
            throw new IllegalArgumentException("targets must be i32 or i64, got " + tv.dtype());
        }
        if (tv.numel() < rows) {
            throw new IllegalArgumentException("targets hold " + tv.numel() + " elements but the layout covers T = " + rows + " rows");
        }
        Tensor deviceRef = null;
        float[] r = null;
        if (f.kind().needsReference()) {
            if (refSum == null) {
                throw new IllegalArgumentException(f.kind() + " needs ref_sum [2P] (reference log-prob sums per sequence)");
            }
            k.requireUsable(refSum, "ref_sum");
            if (refSum.dtype() != DType.F32) {
                throw new IllegalArgumentException("ref_sum must be f32, got " + refSum.dtype());
            }
            if (refSum.numel() < layout.sequences()) {
                throw new IllegalArgumentException("ref_sum holds " + refSum.numel() + " values but the batch has 2P = "
                        + layout.sequences() + " sequences");
            }
            if (refSum instanceof HostTensor host) {
                r = host.readFloats(layout.sequences());
                for (int s = 0; s < r.length; s++) {
                    if (!Float.isFinite(r[s])) {
                        throw new IllegalArgumentException("ref_sum[" + s + "] is " + r[s] + "; reference sums must be finite");
                    }
                }
            } else {
                deviceRef = refSum;
            }
        }
        if (!(tv instanceof HostTensor hostTargets)) {
            return new Checked(null, r, tv, deviceRef);
        }
        long[] targets = hostTargets.readIndices((int) rows);
        for (int t = 0; t < targets.length; t++) {
            long y = targets[t];
            if (y != ignoreIndex && (y < 0 || y >= vocab)) {
                throw badTarget(t, y, vocab, ignoreIndex);
            }
        }
        int pairs = layout.pairs();
        for (int p = 0; p < pairs; p++) {
            for (int side = 0; side < 2; side++) {
                int s = 2 * p + side;
                if (side == 1 && f.kind() == PairFunction.Kind.SFT) {
                    continue; // SFT reads only the chosen response
                }
                long begin = layout.offset(s);
                long end = layout.offset(s + 1);
                boolean any = false;
                for (long t = begin; t < end && !any; t++) {
                    any = targets[(int) t] != ignoreIndex;
                }
                if (!any) {
                    throw emptyResponse(p, side, begin, end, ignoreIndex);
                }
            }
        }
        return new Checked(targets, r, null, deviceRef);
    }

    /** Validates a fused-linear batch and its gradient outputs for the backend behind {@code k}. */
    static Checked linearBatch(Kernels k, LinearInput in, PairFunction f, long ignoreIndex, LinearGrads grads) {
        BatchLayout layout = in.layout();
        long rows = layout.rows();
        long d = in.hiddenSize();
        long vocab = in.vocab();
        if (d < 1 || vocab < 1) {
            throw new IllegalArgumentException("d (hidden size) and V (vocabulary size) must be >= 1, got d=" + d + ", V=" + vocab);
        }
        if (vocab > Integer.MAX_VALUE || d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("V and d must fit a 32-bit BLAS dimension, got V=" + vocab + ", d=" + d);
        }
        if (rows < 1) {
            throw new IllegalArgumentException("the batch has no rows (seq_offsets end at 0)");
        }
        if (rows > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("T = " + rows + " rows is more than one call handles; split the batch");
        }
        long hElems = elems(rows, d, "T x d");
        long wElems = elems(vocab, d, "V x d");
        k.requireUsable(in.hidden(), "hidden");
        k.requireUsable(in.weight(), "weight");
        floating(in.hidden(), "hidden");
        floating(in.weight(), "weight");
        atLeast(in.hidden(), hElems, "hidden", "T x d = " + rows + " x " + d);
        atLeast(in.weight(), wElems, "weight", "V x d = " + vocab + " x " + d);
        if (in.bias() != null) {
            k.requireUsable(in.bias(), "bias");
            if (in.bias().dtype() != DType.F32 && in.bias().dtype() != in.weight().dtype()) {
                throw new IllegalArgumentException("bias must be f32 or the weight's dtype " + in.weight().dtype() + ", got " + in.bias().dtype());
            }
            atLeast(in.bias(), vocab, "bias", "V = " + vocab);
        }
        if (grads != null) {
            for (Tensor g : new Tensor[] {grads.hidden(), grads.weight(), grads.bias()}) {
                if (g != null) {
                    k.requireUsable(g, "a gradient output");
                }
            }
            if (grads.hidden() != null) {
                if (grads.hidden().dtype() != in.hidden().dtype()) {
                    throw new IllegalArgumentException("grad_hidden must have the hidden states' dtype " + in.hidden().dtype()
                            + ", got " + grads.hidden().dtype());
                }
                atLeast(grads.hidden(), hElems, "grad_hidden buffer", "T x d = " + rows + " x " + d);
            }
            if (grads.weight() != null) {
                outputType(grads.weight(), in.weight().dtype(), grads.accumulate(), "grad_weight");
                atLeast(grads.weight(), wElems, "grad_weight buffer", "V x d = " + vocab + " x " + d);
            }
            if (grads.bias() != null) {
                if (in.bias() == null) {
                    throw new IllegalArgumentException("grad_bias was given but the batch has no bias");
                }
                outputType(grads.bias(), in.bias().dtype(), grads.accumulate(), "grad_bias");
                atLeast(grads.bias(), vocab, "grad_bias buffer", "V = " + vocab);
            }
        }
        return pairsAndTargets(k, in.targets(), layout, vocab, f, ignoreIndex, in.refSum());
    }

    private static long elems(long a, long b, String what) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " = " + a + " x " + b + " overflows a 64-bit element count");
        }
    }

    private static void floating(Tensor t, String name) {
        if (!t.dtype().isFloating()) {
            throw new IllegalArgumentException(name + " must be f32, bf16 or f16, got " + t.dtype());
        }
    }

    private static void atLeast(Tensor t, long need, String name, String shape) {
        if (t.numel() < need) {
            throw new IllegalArgumentException(name + " holds " + t.numel() + " elements but " + shape + " needs " + need);
        }
    }

    private static void outputType(Tensor g, DType input, boolean accumulate, String name) {
        if (accumulate && g.dtype() != DType.F32) {
            throw new IllegalArgumentException(name + " must be f32 to accumulate into it, got " + g.dtype());
        }
        if (g.dtype() != DType.F32 && g.dtype() != input) {
            throw new IllegalArgumentException(name + " must be f32 or " + input + ", got " + g.dtype());
        }
    }
}
