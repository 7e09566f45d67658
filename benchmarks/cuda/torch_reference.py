#!/usr/bin/env python3
"""The PyTorch baseline for leanpo's GPU targets (DESIGN.md section 4).

The LeanPO loss (beta 2, dynamic smoothing eps0 0.2) written the way a PyTorch user writes it:
materialised logits, log_softmax, gather, per-sequence mean, the pair loss, and autograd for the
backward; plus a chunked variant that never holds a full [T, V] log-softmax (log-sum-exp per chunk of
rows, autograd recomputing the softmax chunk by chunk). Same shapes and layouts as leanpo_cuda_check:

  logits-in     bf16 T=16384 V=152064 (and f32 T=8192), 8 pairs
  fused-linear  bf16 T=16384 d=4096 V=152064, 8 pairs

Timed with CUDA events after warm-up (median of --repeat), peak memory from the caching allocator:
"extra" is the peak above the memory the inputs and the gradient outputs need, which is what a fused
head saves. Prints a markdown table; --json FILE writes every number.
"""
import argparse
import json
import sys

import torch
import torch.nn.functional as F

BETA, EPS0, PAIRS = 2.0, 0.2, 8


def layout(T, P, device):
    offsets = [s * T // (2 * P) for s in range(2 * P + 1)]
    seq_of_row = torch.empty(T, dtype=torch.long)
    for s in range(2 * P):
        seq_of_row[offsets[s]:offsets[s + 1]] = s
    counts = torch.tensor([offsets[s + 1] - offsets[s] for s in range(2 * P)], dtype=torch.float32)
    return seq_of_row.to(device), counts.to(device)


def pair_loss(logp, seq_of_row, counts):
    sums = torch.zeros(counts.numel(), device=logp.device, dtype=torch.float32).index_add(0, seq_of_row, logp)
    mean = sums / counts
    mw, ml = mean[0::2], mean[1::2]
    eps = torch.where(mw < ml, EPS0, 0.0).detach()
    z = BETA * (mw - ml)
    return (-(1 - eps) * F.logsigmoid(z) - eps * F.logsigmoid(-z)).mean()


def logp_plain(x, y):
    return torch.log_softmax(x, dim=-1).gather(1, y[:, None]).squeeze(1).float()


def logp_chunked(x, y, chunk=1024):
    parts = []
    for a in range(0, x.shape[0], chunk):
        xc = x[a:a + chunk]
        lse = torch.logsumexp(xc.float(), dim=-1)
        parts.append(xc.gather(1, y[a:a + chunk, None]).squeeze(1).float() - lse)
    return torch.cat(parts)


def timed(fn, repeat, warmup=2):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def peak_extra(fn, needed_bytes):
    """Peak allocated bytes during fn, and the part above what its inputs and gradient outputs need."""
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    return peak, max(0, peak - base - needed_bytes)


def logits_case(dtype, T, V, variant, repeat, gen):
    dev = torch.device("cuda")
    x = (torch.randn(T, V, device=dev, generator=gen) * 3).to(dtype).requires_grad_(True)
    y = torch.randint(0, V, (T,), device=dev, generator=gen)
    seq_of_row, counts = layout(T, PAIRS, dev)
    logp_fn = logp_plain if variant == "plain" else logp_chunked

    def step():
        x.grad = None
        loss = pair_loss(logp_fn(x, y), seq_of_row, counts)
        loss.backward()
        return loss

    ms = timed(step, repeat)
    x.grad = None
    torch.cuda.empty_cache()
    grad_bytes = x.numel() * x.element_size()  # the gradient output every implementation writes
    peak, extra = peak_extra(step, grad_bytes)
    loss = float(step())
    del x, y
    torch.cuda.empty_cache()
    ideal = 2 * T * V * torch.finfo(dtype).bits // 8
    return {"what": f"logits-in {variant} {str(dtype).split('.')[-1]} T={T} V={V}", "median_ms": ms, "peak_bytes": peak,
            "extra_bytes": extra, "GBps_over_ideal": ideal / (ms * 1e-3) / 1e9, "loss": loss}


def linear_case(T, d, V, variant, repeat, gen):
    dev = torch.device("cuda")
    h = (torch.randn(T, d, device=dev, generator=gen)).to(torch.bfloat16).requires_grad_(True)
    w = (torch.randn(V, d, device=dev, generator=gen) * 0.02).to(torch.bfloat16).requires_grad_(True)
    y = torch.randint(0, V, (T,), device=dev, generator=gen)
    seq_of_row, counts = layout(T, PAIRS, dev)
    logp_fn = logp_plain if variant == "plain" else logp_chunked

    def step():
        h.grad = None
        w.grad = None
        loss = pair_loss(logp_fn(h @ w.t(), y), seq_of_row, counts)
        loss.backward()
        return loss

    ms = timed(step, repeat)
    h.grad = w.grad = None
    torch.cuda.empty_cache()
    grad_bytes = (h.numel() + w.numel()) * 2
    peak, extra = peak_extra(step, grad_bytes)
    loss = float(step())
    del h, w, y
    torch.cuda.empty_cache()
    return {"what": f"fused-linear {variant} bf16 T={T} d={d} V={V}", "median_ms": ms, "peak_bytes": peak, "extra_bytes": extra,
            "TFLOPs_useful": 6.0 * T * d * V / (ms * 1e-3) / 1e12, "loss": loss}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", help="write the numbers here")
    ap.add_argument("--small", action="store_true", help="tiny shapes (a smoke test)")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_reference: no CUDA device", file=sys.stderr)
        return 3
    gen = torch.Generator(device="cuda").manual_seed(1234)
    T, V, d = (512, 4099, 256) if a.small else (16384, 152064, 4096)
    rows = []
    for variant in ("plain", "chunked"):
        rows.append(logits_case(torch.bfloat16, T, V, variant, a.repeat, gen))
        rows.append(logits_case(torch.float32, T // 2, V, variant, a.repeat, gen))
        rows.append(linear_case(T, d, V, variant, a.repeat, gen))
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    print("| PyTorch reference | median | peak memory | above inputs + grads | rate |")
    print("|---|---|---|---|---|")
    for r in rows:
        rate = f"{r['GBps_over_ideal']:.0f} GB/s" if "GBps_over_ideal" in r else f"{r['TFLOPs_useful']:.0f} TFLOP/s"
        print(f"| {r['what']} | {r['median_ms']:.3f} ms | {r['peak_bytes'] / 2**30:.2f} GiB | {r['extra_bytes'] / 2**30:.2f} GiB | {rate} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
