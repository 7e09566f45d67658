// cuda_check.cpp — leanpo_cuda_check: checks every CUDA kernel of leanpo against a CPU reference on
// fresh random inputs, then (on a GPU, after every check passed) times the logits-in and fused-linear
// heads with CUDA events next to the two ceilings it measures itself: device copy bandwidth and the
// cuBLAS bf16 GEMM rate. Needs no Java.
//
//   leanpo_cuda_check [--checks-only] [--large] [--seed N] [--verbose] [--markdown FILE]
//
// The references are fp64 loops over exactly the values the kernels read (inputs are rounded to their
// dtype first), or the CPU twins of the kernels where those are the contract (pair math, conversion,
// row copies). Outputs are poisoned with NaN before each kernel runs, so an element never written
// fails. Tolerance per dtype: |got − ref| ≤ atol + rtol·|ref| (see the constants below).
//
// Built twice: against the GPU (leanpo_cuda_check, nvcc's runtime and cuBLAS loaded at run time)
// and against the CPU emulation of the kernels (leanpo_cuda_check_emu, no GPU; small shapes, no
// timing), which CI runs.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <functional>
#include <numeric>

#include "check_support.hpp"
#include "leanpo/pair_math.hpp"

#if !defined(LEANPO_CUDA_EMULATE)
#include <cuda_runtime.h>
#endif

using namespace check;

namespace {

constexpr int64_t kIgnore = -100;
constexpr uint64_t kNone = ~0ull;

struct Options {
    bool timing = true;
    bool large = false;
    bool verbose = false;
    uint64_t seed = 0;
    std::string markdown;
};

// Tolerances of the gradient values, per dtype: fp32 math rounded once into the dtype. A row's lse carries
// about an ulp of fp32 rounding, which its weight w carries into every element: w·p·Δlse, so the row-pass
// comparisons add kLseUlp·|w| (it matters where the true gradient is near 0, at p → 1).
struct Tol {
    double atol, rtol;
};
Tol grad_tol(int dtype) {
    switch (dtype) {
        case LEANPO_DTYPE_F32: return {2e-7, 2e-5};
        case LEANPO_DTYPE_BF16: return {1e-7, 8e-3};  // half an ulp of bf16 is 3.9e-3
        default: return {1e-7, 1.1e-3};               // half an ulp of f16 is 4.9e-4
    }
}
const Tol kForward{4e-6, 1e-6};
constexpr double kLseUlp = 1e-6;  // lse and log-probs: fp32 reductions (measured ≤ 1.1e-6 abs at |lse| ≤ 40)

struct Status {
    DevBuf<uint64_t> dev{LEANPO_STATUS_WORDS};
    Status() { reset(); }
    void reset() { leanpo_cuda_memset(dev.p, 0xFF, static_cast<int64_t>(dev.bytes()), nullptr); }
    std::vector<uint64_t> read() const { return dev.download(); }
};

std::string fmt_status(const std::vector<uint64_t>& s) {
    std::string out;
    for (uint64_t v : s) out += (out.empty() ? "" : ",") + (v == kNone ? std::string("none") : std::to_string(v));
    return "{" + out + "}";
}

// ---------------------------------------------------------------- targets

void check_targets(Report& rep, Rng& rng) {
    for (int bytes : {4, 8}) {
        const int64_t n = 1001, V = 517;
        std::vector<int64_t> y(n);
        for (auto& v : y) v = rng.chance(0.2) ? kIgnore : rng.integer(0, V - 1);
        std::vector<unsigned char> raw(n * bytes);
        for (int64_t i = 0; i < n; ++i) {
            if (bytes == 4) {
                const int32_t v = static_cast<int32_t>(y[i]);
                std::memcpy(&raw[i * 4], &v, 4);
            } else {
                std::memcpy(&raw[i * 8], &y[i], 8);
            }
        }
        DevBuf<unsigned char> in(raw.size());
        in.upload(raw);
        DevBuf<int64_t> out(n);
        out.poison();
        Status st;
        leanpo_cuda_targets(in.p, bytes, n, V, kIgnore, out.p, st.dev.p, nullptr);
        rep.expect(out.download() == y, "targets: int" + std::to_string(bytes * 8) + " widened to int64");
        rep.expect(st.read()[LEANPO_STATUS_BAD_TARGET_ROW] == kNone, "targets: valid ids leave the status clear");
        const int64_t a = rng.integer(0, n / 2), b = rng.integer(n / 2 + 1, n - 1);
        auto plant = [&](int64_t row, int64_t value) {
            if (bytes == 4) {
                const int32_t v = static_cast<int32_t>(value);
                std::memcpy(&raw[row * 4], &v, 4);
            } else {
                std::memcpy(&raw[row * 8], &value, 8);
            }
        };
        plant(b, -5);
        plant(a, V);
        in.upload(raw);
        st.reset();
        leanpo_cuda_targets(in.p, bytes, n, V, kIgnore, out.p, st.dev.p, nullptr);
        const auto s = st.read();
        rep.expect(s[LEANPO_STATUS_BAD_TARGET_ROW] == static_cast<uint64_t>(a),
                   "targets: first bad id (row " + std::to_string(a) + ") recorded, status " + fmt_status(s));
    }
}

// ---------------------------------------------------------------- logits-in row passes

struct RowCase {
    int64_t T, V;
};

void check_row_passes(Report& rep, Rng& rng, bool large) {
    std::vector<RowCase> cases = {{1, 1}, {3, 5}, {7, 33}, {47, 123}, {5, 1031}, {9, 4099}, {3, 32769}, {2, 152064}};
    if (large) cases.push_back({64, 152064});
    for (int dtype : {LEANPO_DTYPE_F32, LEANPO_DTYPE_BF16, LEANPO_DTYPE_F16}) {
        const size_t es = dtype_bytes(dtype);
        for (const RowCase& c : cases) {
            for (int64_t shift : {int64_t(0), int64_t(1)}) {  // elements the tensor starts past a 256-byte boundary
                const int64_t T = c.T, V = c.V, TV = T * V;
                const std::string tag = std::string(dtype_name(dtype)) + " T=" + std::to_string(T) + " V=" + std::to_string(V) +
                                        (shift ? " shifted" : "");
                std::vector<float> x0(TV);
                for (int64_t t = 0; t < T; ++t) {
                    const double offset = rng.chance(0.3) ? rng.uniform(-20, 20) : 0.0;
                    for (int64_t v = 0; v < V; ++v) x0[t * V + v] = static_cast<float>(offset + rng.normal(3.0));
                }
                const Typed x = make_typed(dtype, x0);
                std::vector<int64_t> y(T);
                for (auto& v : y) v = rng.chance(0.15) ? kIgnore : rng.integer(0, V - 1);
                const int64_t rb = T > 2 ? 1 : 0, re = T;

                DevBuf<unsigned char> logits((TV + 8) * es);
                auto upload_logits = [&] {
                    logits.poison();
                    leanpo_cuda_memcpy(logits.p + shift * es, x.raw.data(), static_cast<int64_t>(TV * es), nullptr);
                    leanpo_cuda_synchronize(nullptr);
                };
                upload_logits();
                void* xd = logits.p + shift * es;
                DevBuf<int64_t> yd(T);
                yd.upload(y);
                DevBuf<float> lse(T), logp(T);
                lse.poison();
                logp.poison();
                Status st;
                leanpo_cuda_row_lse_target(xd, dtype, V, rb, re, yd.p, kIgnore, lse.p, logp.p, st.dev.p, nullptr);
                const auto lse_h = lse.download(), logp_h = logp.download();
                std::vector<double> lse_ref(T, 0.0);
                Compare cl("pass 1 lse " + tag, kForward.atol, kForward.rtol), cp("pass 1 logp " + tag, kForward.atol, kForward.rtol);
                for (int64_t t = rb; t < re; ++t) {
                    if (y[t] == kIgnore) {
                        cl.add(t, lse_h[t], 0.0);
                        cp.add(t, logp_h[t], 0.0);
                        continue;
                    }
                    double m = -INFINITY, s = 0;
                    for (int64_t v = 0; v < V; ++v) m = std::max(m, static_cast<double>(x.values[t * V + v]));
                    for (int64_t v = 0; v < V; ++v) s += std::exp(x.values[t * V + v] - m);
                    lse_ref[t] = m + std::log(s);
                    cl.add(t, lse_h[t], lse_ref[t]);
                    cp.add(t, logp_h[t], x.values[t * V + y[t]] - lse_ref[t]);
                }
                rep.take(cl);
                rep.take(cp);
                rep.expect(fmt_status(st.read()) == "{none,none,none}", "pass 1 finite rows leave the status clear " + tag);

                std::vector<float> w(T);
                for (auto& v : w) v = rng.chance(0.2) ? 0.0f : static_cast<float>(rng.uniform(-0.5, 0.5));
                DevBuf<float> wd(T);
                wd.upload(w);
                const Tol gt = grad_tol(dtype);
                auto grad_ref = [&](int64_t t, int64_t v) -> double {
                    if (y[t] == kIgnore || w[t] == 0.0f) return 0.0;
                    return w[t] * ((v == y[t] ? 1.0 : 0.0) - std::exp(x.values[t * V + v] - lse_ref[t]));
                };
                auto compare_grad = [&](const std::string& name, const unsigned char* g) {
                    const std::vector<float> gv = widen(dtype, g, static_cast<size_t>(TV));
                    Compare cg(name + " " + tag, gt.atol, gt.rtol);
                    for (int64_t t = 0; t < T; ++t)
                        for (int64_t v = 0; v < V; ++v) {
                            if (t < rb || t >= re) continue;
                            cg.add(t * V + v, gv[t * V + v], grad_ref(t, v), kLseUlp * std::fabs(w[t]));
                        }
                    rep.take(cg);
                    if (rb > 0) {  // rows before the range are never written: still NaN
                        bool untouched = true;
                        for (int64_t v = 0; v < V; ++v) untouched = untouched && std::isnan(gv[v]);
                        rep.expect(untouched, name + " leaves rows outside the range alone " + tag);
                    }
                };
                // into a separate buffer, at the same and at a different offset within 16 bytes
                for (int64_t gshift : {shift, shift + 1}) {
                    DevBuf<unsigned char> grad((TV + 8) * es);
                    grad.poison();
                    leanpo_cuda_row_grad(xd, dtype, V, rb, re, yd.p, kIgnore, lse.p, wd.p, grad.p + gshift * es, st.dev.p, nullptr);
                    const auto gh = grad.download();
                    compare_grad(gshift == shift ? "pass 2 grad" : "pass 2 grad, other alignment", gh.data() + gshift * es);
                }
                // in place
                {
                    DevBuf<unsigned char> copy((TV + 8) * es);
                    copy.poison();
                    leanpo_cuda_memcpy(copy.p + shift * es, x.raw.data(), static_cast<int64_t>(TV * es), nullptr);
                    leanpo_cuda_row_grad(copy.p + shift * es, dtype, V, rb, re, yd.p, kIgnore, lse.p, wd.p, copy.p + shift * es,
                                         st.dev.p, nullptr);
                    const auto gh = copy.download();
                    // rows before the range keep their logits here, so compare only the range
                    const std::vector<float> gv = widen(dtype, gh.data() + shift * es, static_cast<size_t>(TV));
                    Compare cg("pass 2 grad in place " + tag, gt.atol, gt.rtol);
                    for (int64_t t = rb; t < re; ++t)
                        for (int64_t v = 0; v < V; ++v) cg.add(t * V + v, gv[t * V + v], grad_ref(t, v), kLseUlp * std::fabs(w[t]));
                    rep.take(cg);
                }
                // the CPU twins on the same rows, with both instruction sets, from a buffer of exactly the
                // tensor's size (so a sanitizer build sees any read past a row's end)
                for (const char* isa : {"avx2", "generic"}) {
                    if (!leanpo_cpu_select_isa(isa)) continue;
                    std::vector<unsigned char> hx((TV + shift) * es), hg((TV + shift) * es, 0xFF);
                    std::memcpy(hx.data() + shift * es, x.raw.data(), TV * es);
                    std::vector<float> clse(T, NAN), clogp(T, NAN);
                    const int64_t bad = leanpo_cpu_row_lse_target(hx.data() + shift * es, dtype, V, rb, re, y.data(), kIgnore,
                                                                  clse.data(), clogp.data());
                    Compare ccl(std::string("cpu ") + isa + " pass 1 lse " + tag, kForward.atol, kForward.rtol);
                    for (int64_t t = rb; t < re; ++t) ccl.add(t, clse[t], y[t] == kIgnore ? 0.0 : lse_ref[t]);
                    rep.take(ccl);
                    rep.expect(bad == -1, std::string("cpu ") + isa + " pass 1 finds every row finite " + tag);
                    leanpo_cpu_row_grad(hx.data() + shift * es, dtype, V, rb, re, y.data(), kIgnore, clse.data(), w.data(),
                                        hg.data() + shift * es);
                    const std::vector<float> cg = widen(dtype, hg.data() + shift * es, static_cast<size_t>(TV));
                    Compare ccg(std::string("cpu ") + isa + " pass 2 grad " + tag, gt.atol, gt.rtol);
                    for (int64_t t = rb; t < re; ++t)
                        for (int64_t v = 0; v < V; ++v) ccg.add(t * V + v, cg[t * V + v], grad_ref(t, v), kLseUlp * std::fabs(w[t]));
                    rep.take(ccg);
                }
                leanpo_cpu_select_isa("avx2");
                // non-finite rows: the first is recorded, and pass 2 then writes nothing (in place stays intact)
                if (re - rb >= 2) {
                    const int64_t a = rng.integer(rb, re - 2), b = rng.integer(a + 1, re - 1);
                    std::vector<float> bad = x0;
                    bad[a * V + rng.integer(0, V - 1)] = rng.chance(0.5) ? NAN : -INFINITY;
                    bad[b * V + rng.integer(0, V - 1)] = INFINITY;
                    y[a] = y[a] == kIgnore ? 0 : y[a];  // an ignored row is never read, so make both rows count
                    y[b] = y[b] == kIgnore ? 0 : y[b];
                    yd.upload(y);
                    const Typed xb = make_typed(dtype, bad);
                    leanpo_cuda_memcpy(xd, xb.raw.data(), static_cast<int64_t>(TV * es), nullptr);
                    st.reset();
                    leanpo_cuda_row_lse_target(xd, dtype, V, rb, re, yd.p, kIgnore, lse.p, logp.p, st.dev.p, nullptr);
                    const auto s = st.read();
                    rep.expect(s[LEANPO_STATUS_NONFINITE_ROW] == static_cast<uint64_t>(a),
                               "pass 1 records the first non-finite row " + std::to_string(a) + " " + tag + ", status " +
                                   fmt_status(s));
                    leanpo_cuda_row_grad(xd, dtype, V, rb, re, yd.p, kIgnore, lse.p, wd.p, xd, st.dev.p, nullptr);
                    const auto after = logits.download();
                    rep.expect(std::memcmp(after.data() + shift * es, xb.raw.data(), TV * es) == 0,
                               "pass 2 in place writes nothing after a non-finite row " + tag);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- per-sequence and per-pair math

struct Layout {
    int64_t P = 0, T = 0;
    std::vector<int64_t> offsets;
    std::vector<int64_t> targets;
};

Layout random_layout(Rng& rng, int64_t P, int64_t max_len, bool empty_rejected_ok, int64_t V) {
    Layout L;
    L.P = P;
    L.offsets.push_back(0);
    for (int64_t s = 0; s < 2 * P; ++s) {
        const int64_t len = (s % 2 == 1 && empty_rejected_ok && rng.chance(0.3)) ? 0 : rng.integer(1, max_len);
        L.offsets.push_back(L.offsets.back() + len);
    }
    L.T = L.offsets.back();
    L.targets.assign(L.T, 0);
    for (int64_t s = 0; s < 2 * P; ++s) {
        const int64_t b = L.offsets[s], e = L.offsets[s + 1];
        for (int64_t t = b; t < e; ++t) L.targets[t] = rng.chance(0.15) ? kIgnore : rng.integer(0, V - 1);
        if (e > b) L.targets[rng.integer(b, e - 1)] = rng.integer(0, V - 1);  // at least one response token
    }
    return L;
}

void check_pair_math(Report& rep, Rng& rng) {
    const char* names[] = {"leanpo", "simpo", "dpo", "sft"};
    const char* smooth[] = {"none", "fixed", "dynamic"};
    for (int64_t P : {int64_t(1), int64_t(5), int64_t(300)}) {
        for (int objective = 0; objective < 4; ++objective) {
            for (int smoothing = 0; smoothing < 3; ++smoothing) {
                if (P > 5 && (objective != LEANPO_OBJECTIVE_LEANPO || smoothing != LEANPO_SMOOTHING_DYNAMIC))
                    continue;  // many pairs (several blocks of the pair kernel) once; every objective at small P
                const bool sft = objective == LEANPO_OBJECTIVE_SFT;
                const Layout L = random_layout(rng, P, 40, sft, 1000);
                const int64_t S = 2 * P, T = L.T;
                std::vector<float> logp(T), ref(S);
                for (int64_t t = 0; t < T; ++t) logp[t] = L.targets[t] == kIgnore ? 1e30f : static_cast<float>(rng.uniform(-6, 0));
                for (auto& v : ref) v = static_cast<float>(rng.uniform(-200, 0));
                const float beta = static_cast<float>(rng.uniform(0.5, 3)), gamma = objective == LEANPO_OBJECTIVE_SIMPO ? 0.5f : 0.0f;
                const float eps = 0.2f, lam = rng.chance(0.5) ? 0.5f : 0.0f;
                const double norm = rng.chance(0.5) ? static_cast<double>(P) : 64.0;
                const std::string tag = std::string(names[objective]) + "/" + smooth[smoothing] + " P=" + std::to_string(P);

                // CPU twins
                std::vector<float> sum_c(S), mean_c(S), loss_c(P), rw_c(P), rl_c(P), eps_c(P), coef_c(S), w_c(T);
                std::vector<int64_t> tok_c(S);
                leanpo_seq_reduce(logp.data(), L.targets.data(), kIgnore, L.offsets.data(), 0, S, sum_c.data(), mean_c.data(),
                                  tok_c.data());
                leanpo_pair_loss(objective, beta, gamma, smoothing, eps, lam, norm, mean_c.data(), sum_c.data(), tok_c.data(),
                                 ref.data(), 0, P, loss_c.data(), rw_c.data(), rl_c.data(), eps_c.data(), coef_c.data());
                leanpo_row_weights(L.offsets.data(), coef_c.data(), L.targets.data(), kIgnore, 0, S, w_c.data());

                DevBuf<float> logp_d(T), ref_d(S), sum_d(S), mean_d(S), loss_d(P), rw_d(P), rl_d(P), eps_d(P), coef_d(S), w_d(T);
                DevBuf<int64_t> y_d(T), off_d(S + 1), tok_d(S);
                logp_d.upload(logp);
                ref_d.upload(ref);
                y_d.upload(L.targets);
                off_d.upload(L.offsets);
                for (auto* b : {&sum_d, &mean_d, &loss_d, &rw_d, &rl_d, &eps_d, &coef_d, &w_d}) b->poison();
                Status st;
                leanpo_cuda_seq_reduce(logp_d.p, y_d.p, kIgnore, off_d.p, 0, S, sum_d.p, mean_d.p, tok_d.p, nullptr);
                leanpo_cuda_pair_loss(objective, beta, gamma, smoothing, eps, lam, norm, mean_d.p, sum_d.p, tok_d.p, ref_d.p, 0, P,
                                      loss_d.p, rw_d.p, rl_d.p, eps_d.p, coef_d.p, st.dev.p, nullptr);
                leanpo_cuda_row_weights(off_d.p, coef_d.p, y_d.p, kIgnore, 0, S, w_d.p, nullptr);
                auto cmp = [&](const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
                    Compare c(what + " " + tag, 1e-7, 2e-6);  // fp64 sums in another order, then one fp32 rounding
                    for (size_t i = 0; i < want.size(); ++i) c.add(static_cast<int64_t>(i), got[i], want[i]);
                    rep.take(c);
                };
                cmp("seq_sum", sum_d.download(), sum_c);
                cmp("seq_mean", mean_d.download(), mean_c);
                rep.expect(tok_d.download() == tok_c, "seq_tokens " + tag);
                cmp("pair_loss", loss_d.download(), loss_c);
                cmp("reward_chosen", rw_d.download(), rw_c);
                cmp("reward_rejected", rl_d.download(), rl_c);
                cmp("pair_epsilon", eps_d.download(), eps_c);
                cmp("seq_coef", coef_d.download(), coef_c);
                cmp("row_weight", w_d.download(), w_c);
                rep.expect(st.read()[LEANPO_STATUS_EMPTY_SEQUENCE] == kNone, "no empty sequence reported " + tag);
            }
        }
    }
    // A scored sequence with every target ignored is recorded; sub-ranges leave other pairs alone.
    const Layout L = random_layout(rng, 6, 12, false, 100);
    Layout E = L;
    for (int64_t t = E.offsets[7]; t < E.offsets[8]; ++t) E.targets[t] = kIgnore;   // pair 3, rejected
    for (int64_t t = E.offsets[10]; t < E.offsets[11]; ++t) E.targets[t] = kIgnore;  // pair 5, chosen
    std::vector<float> logp(E.T, -1.0f);
    DevBuf<float> logp_d(E.T), sum_d(12), mean_d(12), loss_d(6), rw_d(6), rl_d(6), eps_d(6), coef_d(12);
    DevBuf<int64_t> y_d(E.T), off_d(13), tok_d(12);
    logp_d.upload(logp);
    y_d.upload(E.targets);
    off_d.upload(E.offsets);
    loss_d.poison();
    Status st;
    leanpo_cuda_seq_reduce(logp_d.p, y_d.p, kIgnore, off_d.p, 2, 12, sum_d.p, mean_d.p, tok_d.p, nullptr);
    leanpo_cuda_pair_loss(LEANPO_OBJECTIVE_LEANPO, 2, 0, LEANPO_SMOOTHING_DYNAMIC, 0.2f, 0, 6, mean_d.p, sum_d.p, tok_d.p, nullptr, 1,
                          6, loss_d.p, rw_d.p, rl_d.p, eps_d.p, coef_d.p, st.dev.p, nullptr);
    const auto s = st.read();
    rep.expect(s[LEANPO_STATUS_EMPTY_SEQUENCE] == 7, "the first fully ignored response (sequence 7) is recorded, status " + fmt_status(s));
    const auto loss = loss_d.download();
    rep.expect(std::isnan(loss[0]) && std::isfinite(loss[1]), "pairs outside [pair_begin, pair_end) are not written");
}

// ---------------------------------------------------------------- fused-linear tiles

void check_tiles(Report& rep, Rng& rng) {
    struct TileCase {
        int64_t R, V, W, pad;
    };
    const TileCase cases[] = {{1, 123, 123, 0}, {6, 123, 37, 3}, {37, 1031, 512, 0}, {9, 4099, 1000, 1}, {5, 4099, 4099, 4}};
    for (const TileCase& c : cases) {
        for (bool with_bias : {false, true}) {
            const int64_t R = c.R, V = c.V, W = c.W, ld = W + c.pad;
            const std::string tag = "R=" + std::to_string(R) + " V=" + std::to_string(V) + " tile " + std::to_string(W) + " ld " +
                                    std::to_string(ld) + (with_bias ? " bias" : "");
            std::vector<float> x(R * V), bias(V);
            for (auto& v : x) v = static_cast<float>(rng.normal(2.0));
            for (auto& v : bias) v = static_cast<float>(rng.normal(1.0));
            std::vector<int64_t> y(R);
            for (auto& v : y) v = rng.chance(0.15) ? kIgnore : rng.integer(0, V - 1);
            std::vector<double> lse_ref(R, 0.0);
            for (int64_t r = 0; r < R; ++r) {
                double m = -INFINITY, s = 0;
                for (int64_t v = 0; v < V; ++v) m = std::max(m, double(x[r * V + v]) + (with_bias ? bias[v] : 0.0f));
                for (int64_t v = 0; v < V; ++v) s += std::exp(double(x[r * V + v]) + (with_bias ? bias[v] : 0.0f) - m);
                lse_ref[r] = m + std::log(s);
            }
            DevBuf<float> tile(R * ld), bias_d(V), run_max(R), run_sum(R), tgt(R), lse(R), logp(R), w_d(R);
            DevBuf<int64_t> y_d(R);
            bias_d.upload(bias);
            y_d.upload(y);
            leanpo_cuda_fill_f32(run_max.p, -INFINITY, R, nullptr);
            leanpo_cuda_memset(run_sum.p, 0, R * 4, nullptr);
            tgt.poison();
            lse.poison();
            logp.poison();
            Status st;
            // one vocabulary tile [c0, c0 + w) of the logits, NaN in the padding columns (never read)
            auto upload_tile = [&](int64_t c0, int64_t w) {
                std::vector<float> h(R * ld, NAN);
                for (int64_t r = 0; r < R; ++r)
                    for (int64_t j = 0; j < w; ++j) h[r * ld + j] = x[r * V + c0 + j];
                tile.upload(h);
            };
            for (int64_t c0 = 0; c0 < V; c0 += W) {
                const int64_t w = std::min(W, V - c0);
                upload_tile(c0, w);
                leanpo_cuda_tile_lse_merge(tile.p, R, w, ld, c0, with_bias ? bias_d.p : nullptr, y_d.p, kIgnore, run_max.p, run_sum.p,
                                           tgt.p, 100, st.dev.p, nullptr);
            }
            leanpo_cuda_lse_finish(run_max.p, run_sum.p, tgt.p, y_d.p, kIgnore, R, lse.p, logp.p, nullptr);
            const auto lh = lse.download(), ph = logp.download();
            Compare cl("tile merge lse " + tag, kForward.atol, kForward.rtol), cp("tile merge logp " + tag, kForward.atol, kForward.rtol);
            for (int64_t r = 0; r < R; ++r) {
                const bool ign = y[r] == kIgnore;
                cl.add(r, lh[r], ign ? 0.0 : lse_ref[r]);
                cp.add(r, ph[r], ign ? 0.0 : double(x[r * V + y[r]]) + (with_bias ? bias[y[r]] : 0.0f) - lse_ref[r]);
            }
            rep.take(cl);
            rep.take(cp);
            rep.expect(st.read()[LEANPO_STATUS_NONFINITE_ROW] == kNone, "tile merge: finite tiles leave the status clear " + tag);

            // the CPU twins over the same tiles, both instruction sets, NaN in the padding (never read)
            for (const char* isa : {"avx2", "generic"}) {
                if (!leanpo_cpu_select_isa(isa)) continue;
                std::vector<float> mx(R, -INFINITY), sm(R, 0.0f), tg(R, NAN), cl(R, NAN), cp2(R, NAN);
                int64_t bad = -1;
                for (int64_t c0 = 0; c0 < V; c0 += W) {
                    const int64_t w = std::min(W, V - c0);
                    std::vector<float> h(R * ld, NAN);
                    for (int64_t r = 0; r < R; ++r)
                        for (int64_t j = 0; j < w; ++j) h[r * ld + j] = x[r * V + c0 + j];
                    const int64_t b = leanpo_cpu_tile_lse_merge(h.data(), R, w, ld, c0, with_bias ? bias.data() : nullptr, y.data(),
                                                                kIgnore, mx.data(), sm.data(), tg.data());
                    if (b >= 0 && bad < 0) bad = b;
                }
                leanpo_cpu_lse_finish(mx.data(), sm.data(), tg.data(), y.data(), kIgnore, R, cl.data(), cp2.data());
                Compare c1(std::string("cpu ") + isa + " tile merge lse " + tag, kForward.atol, kForward.rtol);
                for (int64_t r = 0; r < R; ++r) c1.add(r, cl[r], y[r] == kIgnore ? 0.0 : lse_ref[r]);
                rep.take(c1);
                rep.expect(bad == -1, std::string("cpu ") + isa + " tile merge finds every row finite " + tag);
            }
            leanpo_cpu_select_isa("avx2");

            // gradient of the last tile, in place and into f32/bf16/f16 copies
            std::vector<float> w(R);
            for (auto& v : w) v = rng.chance(0.2) ? 0.0f : static_cast<float>(rng.uniform(-1, 1));
            w_d.upload(w);
            const int64_t c0 = ((V - 1) / W) * W, cols = V - c0;
            for (int out_dtype : {-1, LEANPO_DTYPE_F32, LEANPO_DTYPE_BF16, LEANPO_DTYPE_F16}) {
                upload_tile(c0, cols);
                const int64_t out_ld = cols + 2;
                const int od = out_dtype < 0 ? LEANPO_DTYPE_F32 : out_dtype;
                DevBuf<unsigned char> out(R * out_ld * dtype_bytes(od));
                out.poison();
                leanpo_cuda_tile_grad(tile.p, R, cols, ld, c0, with_bias ? bias_d.p : nullptr, y_d.p, kIgnore, lse.p, w_d.p,
                                      out_dtype < 0 ? static_cast<void*>(tile.p) : out.p, od, out_dtype < 0 ? ld : out_ld,
                                      st.dev.p, nullptr);
                const auto th = tile.download();
                const auto oh = out.download();
                const std::vector<float> ov = widen(od, oh.data(), static_cast<size_t>(R * out_ld));
                const Tol ft = grad_tol(LEANPO_DTYPE_F32), otol = grad_tol(od);
                const std::string otag = out_dtype < 0 ? "in place" : std::string("+ ") + dtype_name(od) + " copy";
                Compare cg(std::string(out_dtype < 0 ? "tile grad " : "tile left alone ") + otag + " " + tag, ft.atol, ft.rtol), co("tile grad copy " + otag + " " + tag, otol.atol, otol.rtol);
                bool pads = true;
                for (int64_t r = 0; r < R; ++r) {
                    for (int64_t j = 0; j < cols; ++j) {
                        const int64_t v = c0 + j;
                        const double ref = (y[r] == kIgnore || w[r] == 0.0f)
                                               ? 0.0
                                               : w[r] * ((v == y[r] ? 1.0 : 0.0) -
                                                         std::exp(double(x[r * V + v]) + (with_bias ? bias[v] : 0.0f) - lh[r]));
                        if (out_dtype < 0)
                            cg.add(r * cols + j, th[r * ld + j], ref);  // in place
                        else
                            cg.add(r * cols + j, th[r * ld + j], x[r * V + v]);  // the tile keeps the logits
                        if (out_dtype >= 0) co.add(r * cols + j, ov[r * out_ld + j], ref);
                    }
                    for (int64_t j = cols; j < ld; ++j) pads = pads && std::isnan(th[r * ld + j]);
                }
                rep.take(cg);
                if (out_dtype >= 0) rep.take(co);
                rep.expect(pads, "tile grad leaves the tile's padding alone " + otag + " " + tag);
                if (out_dtype < 0) {  // the CPU twin, in place over the same tile (exactly R × ld floats)
                    std::vector<float> h(R * ld, NAN);
                    for (int64_t r = 0; r < R; ++r)
                        for (int64_t j = 0; j < cols; ++j) h[r * ld + j] = x[r * V + c0 + j];
                    leanpo_cpu_tile_grad(h.data(), R, cols, ld, c0, with_bias ? bias.data() : nullptr, y.data(), kIgnore, lh.data(),
                                         w.data());
                    Compare cc("cpu tile grad in place " + tag, ft.atol, ft.rtol);
                    for (int64_t r = 0; r < R; ++r)
                        for (int64_t j = 0; j < cols; ++j) cc.add(r * cols + j, h[r * ld + j], th[r * ld + j]);
                    rep.take(cc);
                }
            }
            // a non-finite tile row is recorded as row_base + r
            if (R >= 4) {
                std::vector<float> h(R * ld, 0.5f);
                h[3 * ld + rng.integer(0, W - 1)] = NAN;
                h[(R - 1) * ld] = INFINITY;
                tile.upload(h);
                std::vector<int64_t> all(R, 0);
                y_d.upload(all);
                st.reset();
                leanpo_cuda_tile_lse_merge(tile.p, R, W, ld, 0, nullptr, y_d.p, kIgnore, run_max.p, run_sum.p, tgt.p, 1000, st.dev.p,
                                           nullptr);
                const auto s = st.read();
                rep.expect(s[LEANPO_STATUS_NONFINITE_ROW] == 1003, "tile merge records row_base + 3, status " + fmt_status(s) + " " + tag);
            }
        }
    }
}

// ---------------------------------------------------------------- conversion and row copies

void check_convert(Report& rep, Rng& rng) {
    const int64_t n = 1001;
    std::vector<float> src(n);
    for (auto& v : src) v = static_cast<float>(rng.normal(10.0));
    src[5] = NAN;
    src[6] = INFINITY;
    src[7] = -INFINITY;
    src[8] = 1e-6f;     // subnormal in f16
    src[9] = 70000.0f;  // overflows f16
    src[10] = 1.00390625f;  // a bf16 tie: rounds to even
    for (int s : {LEANPO_DTYPE_F32, LEANPO_DTYPE_BF16, LEANPO_DTYPE_F16}) {
        const Typed in = make_typed(s, src);
        for (int d : {LEANPO_DTYPE_F32, LEANPO_DTYPE_BF16, LEANPO_DTYPE_F16}) {
            std::vector<unsigned char> want(n * dtype_bytes(d));
            leanpo_cpu_convert(in.raw.data(), s, want.data(), d, n);
            DevBuf<unsigned char> a((n + 1) * dtype_bytes(s)), b((n + 1) * dtype_bytes(d));
            leanpo_cuda_memcpy(a.p + dtype_bytes(s), in.raw.data(), static_cast<int64_t>(in.raw.size()), nullptr);
            b.poison();
            leanpo_cuda_convert(a.p + dtype_bytes(s), s, b.p + dtype_bytes(d), d, n, nullptr);
            const auto got = b.download();
            const std::vector<float> gv = widen(d, got.data() + dtype_bytes(d), n), wv = widen(d, want.data(), n);
            bool same = true;
            for (int64_t i = 0; i < n; ++i)
                same = same && ((std::isnan(gv[i]) && std::isnan(wv[i])) ||
                                std::memcmp(&gv[i], &wv[i], 4) == 0);  // NaN payloads may differ
            rep.expect(same, std::string("convert ") + dtype_name(s) + " -> " + dtype_name(d) + " equals the CPU's, bit for bit");
        }
    }
}

void check_row_copies(Report& rep, Rng& rng) {
    for (int64_t row_bytes : {int64_t(6), int64_t(12), int64_t(64), int64_t(1000), int64_t(4096)}) {
        const int64_t rows = 50, n = 23;
        std::vector<unsigned char> src(rows * row_bytes);
        for (auto& b : src) b = static_cast<unsigned char>(rng.integer(0, 255));
        std::vector<int64_t> perm(rows);
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin(), perm.end(), rng.g);
        std::vector<int64_t> index(perm.begin(), perm.begin() + n);
        DevBuf<unsigned char> s(src.size()), g(n * row_bytes), sc(src.size());
        DevBuf<int64_t> idx(n);
        s.upload(src);
        idx.upload(index);
        g.poison();
        sc.poison();
        leanpo_cuda_gather_rows(s.p, row_bytes, idx.p, n, g.p, nullptr);
        std::vector<unsigned char> want_g(n * row_bytes), want_s(src.size(), 0xFF);
        leanpo_cpu_gather_rows(src.data(), row_bytes, index.data(), n, want_g.data());
        rep.expect(g.download() == want_g, "gather rows of " + std::to_string(row_bytes) + " bytes equals the CPU's");
        leanpo_cuda_scatter_rows(g.p, row_bytes, idx.p, n, sc.p, nullptr);
        leanpo_cpu_scatter_rows(want_g.data(), row_bytes, index.data(), n, want_s.data());
        rep.expect(sc.download() == want_s, "scatter rows of " + std::to_string(row_bytes) + " bytes equals the CPU's, other rows untouched");
    }
}

// ---------------------------------------------------------------- whole steps

// fp64 reference of a whole batch: loss and dL/dx for logits x [T, V] (row-major doubles).
struct StepRef {
    double loss = 0;
    std::vector<double> grad;  // [T, V]
};

StepRef step_reference(const std::vector<double>& x, int64_t V, const Layout& L, const leanpo::PairParams& q) {
    const int64_t T = L.T, S = 2 * L.P;
    std::vector<double> lse(T, 0), logp(T, 0), sum(S, 0), mean(S, 0), coef(S, 0);
    std::vector<int64_t> n(S, 0);
    for (int64_t t = 0; t < T; ++t) {
        if (L.targets[t] == kIgnore) continue;
        double m = -INFINITY, s = 0;
        for (int64_t v = 0; v < V; ++v) m = std::max(m, x[t * V + v]);
        for (int64_t v = 0; v < V; ++v) s += std::exp(x[t * V + v] - m);
        lse[t] = m + std::log(s);
        logp[t] = x[t * V + L.targets[t]] - lse[t];
    }
    for (int64_t s = 0; s < S; ++s)
        for (int64_t t = L.offsets[s]; t < L.offsets[s + 1]; ++t)
            if (L.targets[t] != kIgnore) {
                sum[s] += logp[t];
                ++n[s];
            }
    for (int64_t s = 0; s < S; ++s) mean[s] = n[s] ? sum[s] / static_cast<double>(n[s]) : 0.0;
    StepRef r;
    for (int64_t p = 0; p < L.P; ++p) {
        const leanpo::PairOut o = leanpo::pair_function(q, mean[2 * p], mean[2 * p + 1], sum[2 * p], sum[2 * p + 1], n[2 * p],
                                                        n[2 * p + 1], 0, 0);
        r.loss += o.loss * q.inv_normalizer;
        coef[2 * p] = o.coef_w;
        coef[2 * p + 1] = o.coef_l;
    }
    r.grad.assign(T * V, 0.0);
    for (int64_t s = 0; s < S; ++s)
        for (int64_t t = L.offsets[s]; t < L.offsets[s + 1]; ++t) {
            if (L.targets[t] == kIgnore) continue;
            for (int64_t v = 0; v < V; ++v)
                r.grad[t * V + v] = coef[s] * ((v == L.targets[t] ? 1.0 : 0.0) - std::exp(x[t * V + v] - lse[t]));
        }
    return r;
}

// Device state of one batch: targets, offsets, per-row, per-sequence and per-pair arrays, status.
struct BatchState {
    int64_t T, P, S;
    DevBuf<int64_t> targets, offsets, seq_tokens;
    DevBuf<float> lse, logp, weight, seq_sum, seq_mean, seq_coef, pair_loss, reward_w, reward_l, pair_eps;
    Status status;
    explicit BatchState(const Layout& L)
        : T(L.T), P(L.P), S(2 * L.P), targets(T), offsets(S + 1), seq_tokens(S), lse(T), logp(T), weight(T), seq_sum(S),
          seq_mean(S), seq_coef(S), pair_loss(P), reward_w(P), reward_l(P), pair_eps(P) {
        targets.upload(L.targets);
        offsets.upload(L.offsets);
    }
    // sequence means → pair losses → row weights, for pairs [p0, p1)
    void finish_pairs(const leanpo::PairParams& q, int64_t p0, int64_t p1, void* stream) {
        leanpo_cuda_seq_reduce(logp.p, targets.p, kIgnore, offsets.p, 2 * p0, 2 * p1, seq_sum.p, seq_mean.p, seq_tokens.p, stream);
        leanpo_cuda_pair_loss(q.objective, static_cast<float>(q.beta), static_cast<float>(q.gamma), q.smoothing,
                              static_cast<float>(q.epsilon), static_cast<float>(q.nll_weight), 1.0 / q.inv_normalizer, seq_mean.p,
                              seq_sum.p, seq_tokens.p, nullptr, p0, p1, pair_loss.p, reward_w.p, reward_l.p, pair_eps.p, seq_coef.p,
                              status.dev.p, stream);
        leanpo_cuda_row_weights(offsets.p, seq_coef.p, targets.p, kIgnore, 2 * p0, 2 * p1, weight.p, stream);
    }
    double loss(const leanpo::PairParams& q) const {
        double s = 0;
        for (float v : pair_loss.download()) s += v;
        return s * q.inv_normalizer;
    }
};

// The logits-in step as the Java orchestrator runs it on the GPU: pass 1 over every row, the pair
// kernels, pass 2 (in place when grad == logits).
void logits_step(BatchState& b, const void* logits, int dtype, int64_t V, void* grad, const leanpo::PairParams& q, void* stream) {
    leanpo_cuda_row_lse_target(logits, dtype, V, 0, b.T, b.targets.p, kIgnore, b.lse.p, b.logp.p, b.status.dev.p, stream);
    b.finish_pairs(q, 0, b.P, stream);
    leanpo_cuda_row_grad(logits, dtype, V, 0, b.T, b.targets.p, kIgnore, b.lse.p, b.weight.p, grad, b.status.dev.p, stream);
}

leanpo::PairParams leanpo_params(int64_t P) {
    return leanpo::PairParams{LEANPO_OBJECTIVE_LEANPO, 2.0, 0.0, LEANPO_SMOOTHING_DYNAMIC, 0.2, 0.5, 1.0 / static_cast<double>(P)};
}

void check_logits_step(Report& rep, Rng& rng) {
    for (int dtype : {LEANPO_DTYPE_F32, LEANPO_DTYPE_BF16}) {
        const int64_t V = 1031;
        const Layout L = random_layout(rng, 3, 9, false, V);
        std::vector<float> x0(L.T * V);
        for (auto& v : x0) v = static_cast<float>(rng.normal(2.0));
        const Typed x = make_typed(dtype, x0);
        const leanpo::PairParams q = leanpo_params(L.P);
        const StepRef ref = step_reference(std::vector<double>(x.values.begin(), x.values.end()), V, L, q);
        BatchState b(L);
        DevBuf<unsigned char> xd(x.raw.size());
        xd.upload(x.raw);
        logits_step(b, xd.p, dtype, V, xd.p, q, nullptr);  // in place
        const std::string tag = std::string(dtype_name(dtype)) + " P=3 V=1031";
        Compare cl("logits-in step loss " + tag, 1e-6, 2e-5);
        cl.add(0, b.loss(q), ref.loss);
        rep.take(cl);
        const Tol gt = grad_tol(dtype);
        const std::vector<float> g = widen(dtype, xd.download().data(), static_cast<size_t>(L.T * V));
        Compare cg("logits-in step grad (in place) " + tag, gt.atol, gt.rtol);
        for (size_t i = 0; i < g.size(); ++i) cg.add(static_cast<int64_t>(i), g[i], ref.grad[i]);
        rep.take(cg);
    }
}

// The fused-linear head on the GPU, single pass over chunks of whole pairs, as the Java orchestrator
// runs it: logits tile = H·Wᵀ (cuBLAS, fp32 out), row lse, pair kernels, gradient tile (+ a copy in
// the input dtype for the tensor cores unless f32), dH = G·W, dW += Gᵀ·H. No [T, V] buffer: the tile
// holds one chunk's rows.
struct LinearRun {
    int64_t T, d, V;
    int dtype;
    const void* hidden;  // [T, d]
    const void* weight;  // [V, d]
    void* grad_hidden;   // [T, d] in dtype
    float* grad_weight;  // [V, d] fp32, accumulated
    std::vector<std::pair<int64_t, int64_t>> chunks;  // pair ranges
    std::vector<int64_t> offsets;                     // host copy of the layout
};

struct LinearScratch {
    DevBuf<float> tile, dh, run_max, run_sum, tgt;
    DevBuf<unsigned char> g16;
    LinearScratch(int64_t chunk_rows, int64_t d, int64_t V, int dtype)
        : tile(chunk_rows * V), dh(chunk_rows * d), run_max(chunk_rows), run_sum(chunk_rows), tgt(chunk_rows),
          g16(dtype == LEANPO_DTYPE_F32 ? 1 : chunk_rows * V * 2) {}
};

void linear_step(const LinearRun& r, BatchState& b, LinearScratch& s, Gemm& gemm, const leanpo::PairParams& q, void* stream) {
    const size_t es = dtype_bytes(r.dtype);
    leanpo_cuda_memset(r.grad_weight, 0, r.V * r.d * 4, stream);
    for (const auto& c : r.chunks) {
        const int64_t r0 = r.offsets[2 * c.first], r1 = r.offsets[2 * c.second], rows = r1 - r0;
        const void* h = static_cast<const unsigned char*>(r.hidden) + r0 * r.d * es;
        gemm.run(false, true, rows, r.V, r.d, h, r.d, r.weight, r.d, r.dtype, 0.0f, s.tile.p, r.V, stream);
        leanpo_cuda_fill_f32(s.run_max.p, -INFINITY, rows, stream);
        leanpo_cuda_memset(s.run_sum.p, 0, rows * 4, stream);
        leanpo_cuda_tile_lse_merge(s.tile.p, rows, r.V, r.V, 0, nullptr, b.targets.p + r0, kIgnore, s.run_max.p, s.run_sum.p, s.tgt.p,
                                   r0, b.status.dev.p, stream);
        leanpo_cuda_lse_finish(s.run_max.p, s.run_sum.p, s.tgt.p, b.targets.p + r0, kIgnore, rows, b.lse.p + r0, b.logp.p + r0, stream);
        b.finish_pairs(q, c.first, c.second, stream);
        const bool narrow = r.dtype != LEANPO_DTYPE_F32;
        leanpo_cuda_tile_grad(s.tile.p, rows, r.V, r.V, 0, nullptr, b.targets.p + r0, kIgnore, b.lse.p + r0, b.weight.p + r0,
                              narrow ? static_cast<void*>(s.g16.p) : static_cast<void*>(s.tile.p), r.dtype, r.V, b.status.dev.p,
                              stream);
        const void* g = narrow ? static_cast<const void*>(s.g16.p) : static_cast<const void*>(s.tile.p);
        gemm.run(false, false, rows, r.d, r.V, g, r.V, r.weight, r.d, r.dtype, 0.0f, s.dh.p, r.d, stream);
        leanpo_cuda_convert(s.dh.p, LEANPO_DTYPE_F32, static_cast<unsigned char*>(r.grad_hidden) + r0 * r.d * es, r.dtype, rows * r.d,
                            stream);
        gemm.run(true, false, r.V, r.d, rows, g, r.V, h, r.d, r.dtype, 1.0f, r.grad_weight, r.d, stream);
    }
}

void check_linear_step(Report& rep, Rng& rng, Gemm& gemm) {
    for (int dtype : {LEANPO_DTYPE_F32, LEANPO_DTYPE_BF16}) {
        const int64_t d = 24, V = 77;
        const Layout L = random_layout(rng, 4, 6, false, V);
        std::vector<float> h0(L.T * d), w0(V * d);
        for (auto& v : h0) v = static_cast<float>(rng.normal(1.0));
        for (auto& v : w0) v = static_cast<float>(rng.normal(0.4));
        const Typed H = make_typed(dtype, h0), W = make_typed(dtype, w0);
        // fp64 reference on the rounded inputs
        std::vector<double> x(L.T * V, 0.0);
        for (int64_t t = 0; t < L.T; ++t)
            for (int64_t v = 0; v < V; ++v) {
                double s = 0;
                for (int64_t k = 0; k < d; ++k) s += double(H.values[t * d + k]) * W.values[v * d + k];
                x[t * V + v] = s;
            }
        const leanpo::PairParams q = leanpo_params(L.P);
        const StepRef ref = step_reference(x, V, L, q);
        std::vector<double> dh(L.T * d, 0.0), dw(V * d, 0.0);
        for (int64_t t = 0; t < L.T; ++t)
            for (int64_t v = 0; v < V; ++v) {
                const double g = ref.grad[t * V + v];
                if (g == 0.0) continue;
                for (int64_t k = 0; k < d; ++k) {
                    dh[t * d + k] += g * W.values[v * d + k];
                    dw[v * d + k] += g * H.values[t * d + k];
                }
            }
        BatchState b(L);
        DevBuf<unsigned char> hd(H.raw.size()), wd(W.raw.size()), ghd(H.raw.size());
        DevBuf<float> gwd(V * d);
        hd.upload(H.raw);
        wd.upload(W.raw);
        ghd.poison();
        gwd.poison();
        // chunks: pairs {0}, {1, 2}, {3}
        LinearRun r{L.T, d, V, dtype, hd.p, wd.p, ghd.p, gwd.p, {{0, 1}, {1, 3}, {3, 4}}, L.offsets};
        int64_t chunk_rows = 0;
        for (const auto& c : r.chunks) chunk_rows = std::max(chunk_rows, L.offsets[2 * c.second] - L.offsets[2 * c.first]);
        LinearScratch s(chunk_rows, d, V, dtype);
        linear_step(r, b, s, gemm, q, nullptr);
        const std::string tag = std::string(dtype_name(dtype)) + " T=" + std::to_string(L.T) + " d=24 V=77, 3 chunks";
        Compare cl("fused-linear loss " + tag, 1e-6, dtype == LEANPO_DTYPE_F32 ? 2e-5 : 1e-4);
        cl.add(0, b.loss(q), ref.loss);
        rep.take(cl);
        // bf16: G is rounded to bf16 before the two backward products (as autograd in bf16 would)
        auto scale = [](const std::vector<double>& v) {
            double m = 0;
            for (double a : v) m = std::max(m, std::fabs(a));
            return m;
        };
        const bool f32 = dtype == LEANPO_DTYPE_F32;
        const std::vector<float> ghv = widen(dtype, ghd.download().data(), static_cast<size_t>(L.T * d));
        Compare ch("fused-linear grad_hidden " + tag, (f32 ? 1e-5 : 8e-3) * scale(dh), f32 ? 1e-4 : 1.6e-2);
        for (size_t i = 0; i < ghv.size(); ++i) ch.add(static_cast<int64_t>(i), ghv[i], dh[i]);
        rep.take(ch);
        const auto gwv = gwd.download();
        Compare cw("fused-linear grad_weight " + tag, (f32 ? 1e-5 : 8e-3) * scale(dw), f32 ? 1e-4 : 1.6e-2);
        for (size_t i = 0; i < gwv.size(); ++i) cw.add(static_cast<int64_t>(i), gwv[i], dw[i]);
        rep.take(cw);
        rep.expect(fmt_status(b.status.read()) == "{none,none,none}", "fused-linear step leaves the status clear " + tag);
    }
}

// ---------------------------------------------------------------- timing (GPU only)

#if !defined(LEANPO_CUDA_EMULATE)

#define CK(expr)                                                                                              \
    do {                                                                                                      \
        const cudaError_t e_ = (expr);                                                                        \
        if (e_ != cudaSuccess) throw std::runtime_error(std::string(#expr) + ": " + cudaGetErrorString(e_)); \
    } while (0)

// Median and minimum milliseconds of fn over `reps` timed runs after `warm` untimed ones.
std::pair<double, double> time_ms(const std::function<void(int)>& fn, int warm, int reps) {
    for (int i = 0; i < warm; ++i) fn(i);
    CK(cudaDeviceSynchronize());
    std::vector<cudaEvent_t> ev(2 * reps);
    for (auto& e : ev) CK(cudaEventCreate(&e));
    for (int i = 0; i < reps; ++i) {
        CK(cudaEventRecord(ev[2 * i], nullptr));
        fn(warm + i);
        CK(cudaEventRecord(ev[2 * i + 1], nullptr));
    }
    CK(cudaDeviceSynchronize());
    std::vector<double> ms(reps);
    for (int i = 0; i < reps; ++i) {
        float m = 0;
        CK(cudaEventElapsedTime(&m, ev[2 * i], ev[2 * i + 1]));
        ms[i] = m;
    }
    for (auto& e : ev) cudaEventDestroy(e);
    std::sort(ms.begin(), ms.end());
    return {ms[reps / 2], ms[0]};
}

// Fills n elements of dtype with N(0, sigma) values: a 16 Mi-element random block copied along.
void fill_random(void* dst, int dtype, int64_t n, double sigma, Rng& rng) {
    const int64_t block = std::min<int64_t>(n, int64_t(1) << 24);
    std::vector<float> h(block);
    for (auto& v : h) v = static_cast<float>(rng.normal(sigma));
    const Typed t = make_typed(dtype, h);
    const size_t es = dtype_bytes(dtype);
    DevBuf<unsigned char> src(t.raw.size());
    src.upload(t.raw);
    for (int64_t i = 0; i < n; i += block) {
        const int64_t m = std::min(block, n - i);
        const int64_t rot = (i / block * 7919) % block;  // shift each copy so rows do not repeat exactly
        const int64_t first = std::min(m, block - rot);
        CK(cudaMemcpy(static_cast<unsigned char*>(dst) + i * es, src.p + rot * es, first * es, cudaMemcpyDeviceToDevice));
        if (first < m) CK(cudaMemcpy(static_cast<unsigned char*>(dst) + (i + first) * es, src.p, (m - first) * es, cudaMemcpyDeviceToDevice));
    }
}

Layout even_layout(int64_t P, int64_t T, int64_t V, Rng& rng) {
    Layout L;
    L.P = P;
    L.T = T;
    for (int64_t s = 0; s <= 2 * P; ++s) L.offsets.push_back(s * T / (2 * P));
    L.targets.resize(T);
    for (auto& y : L.targets) y = rng.integer(0, V - 1);
    return L;
}

struct Row {
    std::string what, time, rate, ceiling, fraction;
};

void timing(const Options& opt, Rng& rng, Gemm& gemm, std::vector<Row>& rows) {
    cudaDeviceProp prop{};
    CK(cudaGetDeviceProperties(&prop, 0));
    std::printf("\ndevice: %s, %d SMs, L2 %d MiB, %.0f GiB\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize >> 20,
                prop.totalGlobalMem / 1073741824.0);
    char buf[256];
    auto fmt = [&](const char* f, double v) {
        std::snprintf(buf, sizeof buf, f, v);
        return std::string(buf);
    };
    // ceiling 1: device copy bandwidth, bytes read + written
    double copy_gbps = 0;
    {
        const int64_t bytes = int64_t(4) << 30;
        DevBuf<unsigned char> a(bytes), b(bytes);
        fill_random(a.p, LEANPO_DTYPE_BF16, bytes / 2, 1.0, rng);
        const auto t = time_ms([&](int) { CK(cudaMemcpyAsync(b.p, a.p, bytes, cudaMemcpyDeviceToDevice, nullptr)); }, 3, 20);
        copy_gbps = 2.0 * bytes / (t.first * 1e-3) / 1e9;
        rows.push_back({"ceiling: device copy, 4 GiB", fmt("%.3f ms", t.first), fmt("%.0f GB/s", copy_gbps), "", ""});
    }
    // ceiling 2: cuBLAS bf16 GEMM on random data, fp32 accumulation
    double gemm_tflops = 0;
    {
        const int64_t n = 8192;
        DevBuf<unsigned char> a(n * n * 2), b(n * n * 2);
        DevBuf<float> c(n * n);
        fill_random(a.p, LEANPO_DTYPE_BF16, n * n, 1.0, rng);
        fill_random(b.p, LEANPO_DTYPE_BF16, n * n, 1.0, rng);
        const auto t = time_ms([&](int) { gemm.run(false, true, n, n, n, a.p, n, b.p, n, LEANPO_DTYPE_BF16, 0.0f, c.p, n, nullptr); }, 3, 20);
        gemm_tflops = 2.0 * n * n * n / (t.first * 1e-3) / 1e12;
        rows.push_back({"ceiling: cuBLAS bf16 GEMM 8192^3 (fp32 out)", fmt("%.3f ms", t.first), fmt("%.0f TFLOP/s", gemm_tflops), "", ""});
    }
    // logits-in: T × V in bf16 and f32, 8 pairs
    for (int dtype : {LEANPO_DTYPE_BF16, LEANPO_DTYPE_F32}) {
        const int64_t T = dtype == LEANPO_DTYPE_BF16 ? 16384 : 8192, V = 152064;
        const size_t es = dtype_bytes(dtype);
        const Layout L = even_layout(8, T, V, rng);
        BatchState b(L);
        DevBuf<unsigned char> x(T * V * es), g(T * V * es);
        fill_random(x.p, dtype, T * V, 3.0, rng);
        const leanpo::PairParams q = leanpo_params(L.P);
        const double ideal = 2.0 * T * V * es;  // read the logits once, write the gradient once
        const std::string shape = std::string(dtype_name(dtype)) + " T=" + std::to_string(T) + " V=152064";
        auto fwd = time_ms([&](int) {
            leanpo_cuda_row_lse_target(x.p, dtype, V, 0, T, b.targets.p, kIgnore, b.lse.p, b.logp.p, b.status.dev.p, nullptr);
            b.finish_pairs(q, 0, b.P, nullptr);
        }, 3, 20);
        rows.push_back({"logits-in forward " + shape, fmt("%.3f ms", fwd.first), fmt("%.0f GB/s", T * V * es / (fwd.first * 1e-3) / 1e9),
                        "read once", fmt("%.2f of copy", T * V * es / (fwd.first * 1e-3) / 1e9 / copy_gbps)});
        auto step = time_ms([&](int) { logits_step(b, x.p, dtype, V, g.p, q, nullptr); }, 3, 20);
        rows.push_back({"logits-in step " + shape, fmt("%.3f ms", step.first), fmt("%.0f GB/s", ideal / (step.first * 1e-3) / 1e9),
                        "1 read + 1 write", fmt("%.2f of copy", ideal / (step.first * 1e-3) / 1e9 / copy_gbps)});
        // in place over a scratch copy each time would time the copy too; the in-place step overwrites
        // the logits with gradients, which are finite logits for the next run.
        auto inplace = time_ms([&](int) { logits_step(b, g.p, dtype, V, g.p, q, nullptr); }, 3, 20);
        rows.push_back({"logits-in step in place " + shape, fmt("%.3f ms", inplace.first),
                        fmt("%.0f GB/s", ideal / (inplace.first * 1e-3) / 1e9), "1 read + 1 write",
                        fmt("%.2f of copy", ideal / (inplace.first * 1e-3) / 1e9 / copy_gbps)});
        const auto s = b.status.read();
        if (fmt_status(s) != "{none,none,none}") throw std::runtime_error("timed logits-in runs reported " + fmt_status(s));
    }
    // fused-linear bf16: T = 16384 rows in 16 pairs of 512 + 512, d = 4096, V = 152064; one pair per chunk, as the
    // Java engine's GPU default (1 GiB of fp32 logits per chunk: 1765 rows) groups them
    {
        const int64_t T = 16384, d = 4096, V = 152064, P = 16;
        const int dtype = LEANPO_DTYPE_BF16;
        const Layout L = even_layout(P, T, V, rng);
        BatchState b(L);
        int64_t free_before[2];
        leanpo_cuda_mem_info(free_before);
        DevBuf<unsigned char> h(T * d * 2), w(V * d * 2), gh(T * d * 2);
        DevBuf<float> gw(V * d);
        fill_random(h.p, dtype, T * d, 1.0, rng);
        fill_random(w.p, dtype, V * d, 0.02, rng);
        LinearRun r{T, d, V, dtype, h.p, w.p, gh.p, gw.p, {}, L.offsets};
        for (int64_t p = 0; p < L.P; ++p) r.chunks.push_back({p, p + 1});
        LinearScratch s(T / P, d, V, dtype);
        const double scratch = static_cast<double>(s.tile.bytes() + s.g16.bytes() + s.dh.bytes() + 3 * s.run_max.bytes());
        int64_t free_after[2];
        leanpo_cuda_mem_info(free_after);
        const leanpo::PairParams q = leanpo_params(L.P);
        const double useful = 6.0 * T * d * V;
        auto step = time_ms([&](int) { linear_step(r, b, s, gemm, q, nullptr); }, 2, 5);
        // the three products alone on the same shapes (G from the step above: real values), the ceiling this head can reach
        auto prods = time_ms([&](int) {
            for (const auto& c : r.chunks) {
                const int64_t r0 = L.offsets[2 * c.first], rows_ = L.offsets[2 * c.second] - r0;
                const void* hh = h.p + r0 * d * 2;
                gemm.run(false, true, rows_, V, d, hh, d, w.p, d, dtype, 0.0f, s.tile.p, V, nullptr);
                gemm.run(false, false, rows_, d, V, s.g16.p, V, w.p, d, dtype, 0.0f, s.dh.p, d, nullptr);
                gemm.run(true, false, V, d, rows_, s.g16.p, V, hh, d, dtype, 1.0f, gw.p, d, nullptr);
            }
        }, 2, 5);
        const double tf = useful / (step.first * 1e-3) / 1e12, tf_prod = useful / (prods.first * 1e-3) / 1e12;
        rows.push_back({"fused-linear: its 3 cuBLAS products alone", fmt("%.2f ms", prods.first), fmt("%.0f TFLOP/s", tf_prod), "", ""});
        rows.push_back({"fused-linear step bf16 T=16384 d=4096 V=152064", fmt("%.2f ms", step.first), fmt("%.0f TFLOP/s", tf),
                        fmt("%.0f TFLOP/s", gemm_tflops), fmt("%.2f of cuBLAS 8192^3", tf / gemm_tflops) + fmt(", %.2f of its products", tf / tf_prod)});
        rows.push_back({"fused-linear device memory (inputs, grads, chunk scratch)", "", fmt("%.2f GiB", (free_before[0] - free_after[0]) / 1073741824.0),
                        "", ""});
        rows.push_back({"fused-linear scratch beyond inputs and gradients (one chunk)", "", fmt("%.2f GiB", scratch / 1073741824.0), "", ""});
        const auto st = b.status.read();
        if (fmt_status(st) != "{none,none,none}") throw std::runtime_error("timed fused-linear runs reported " + fmt_status(st));
    }
    (void)opt;
}
#endif

void usage() {
    std::printf(
        "usage: leanpo_cuda_check [--checks-only] [--large] [--seed N] [--verbose] [--markdown FILE]\n"
        "  checks every CUDA kernel against a CPU reference on fresh random inputs; on a GPU it then times\n"
        "  the heads next to the copy bandwidth and cuBLAS bf16 rate it measures. Exit status 0 only when\n"
        "  every check passed.\n");
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    opt.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#if defined(LEANPO_CUDA_EMULATE)
    opt.timing = false;
#endif
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--checks-only") opt.timing = false;
        else if (a == "--large") opt.large = true;
        else if (a == "--verbose") opt.verbose = true;
        else if (a == "--seed" && i + 1 < argc) opt.seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--markdown" && i + 1 < argc) opt.markdown = argv[++i];
        else {
            usage();
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    try {
        const int devices = leanpo_cuda_device_count();
        std::printf("leanpo_cuda_check: %s; seed %" PRIu64 "\n", leanpo_cuda_status(), opt.seed);
        if (devices < 1) {
            std::printf("no usable GPU: nothing to check\n");
            return 3;
        }
        Rng rng(opt.seed);
        Report rep;
        rep.verbose = opt.verbose;
        std::unique_ptr<Gemm> gemm = make_gemm();
        std::printf("GEMM: %s\n", gemm->name());
        const std::pair<const char*, std::function<void()>> groups[] = {
            {"targets", [&] { check_targets(rep, rng); }},
            {"row passes", [&] { check_row_passes(rep, rng, opt.large); }},
            {"pair math", [&] { check_pair_math(rep, rng); }},
            {"fused-linear tiles", [&] { check_tiles(rep, rng); }},
            {"convert", [&] { check_convert(rep, rng); }},
            {"row copies", [&] { check_row_copies(rep, rng); }},
            {"logits-in step", [&] { check_logits_step(rep, rng); }},
            {"fused-linear step", [&] { check_linear_step(rep, rng, *gemm); }},
        };
        for (const auto& g : groups) {
            const int before = rep.failures, n = rep.checks;
            const auto t0 = std::chrono::steady_clock::now();
            g.second();
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::printf("%-20s %4d checks, %d failed (%.1f s)\n", g.first, rep.checks - n, rep.failures - before, s);
        }
        std::printf("checks: %d, failed: %d\n", rep.checks, rep.failures);
        if (rep.failures > 0) return 1;
#if !defined(LEANPO_CUDA_EMULATE)
        if (opt.timing) {
            std::vector<Row> rows;
            timing(opt, rng, *gemm, rows);
            std::string md = "| what | median | rate | ceiling | fraction |\n|---|---|---|---|---|\n";
            for (const Row& r : rows) md += "| " + r.what + " | " + r.time + " | " + r.rate + " | " + r.ceiling + " | " + r.fraction + " |\n";
            std::printf("\n%s", md.c_str());
            if (!opt.markdown.empty()) {
                FILE* f = std::fopen(opt.markdown.c_str(), "w");
                if (!f) throw std::runtime_error("cannot write " + opt.markdown);
                std::fputs(md.c_str(), f);
                std::fclose(f);
            }
        }
#endif
        return 0;
    } catch (const std::exception& e) {
        std::printf("ERROR %s\n", e.what());
        return 1;
    }
}
