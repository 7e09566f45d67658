// pair_math.cpp — per-sequence reduction, the per-pair loss of every objective and its gradient,
// and the expansion of per-sequence coefficients to per-row weights. O(T + P) work: fp64 inside,
// fp32 out.
//
//   mean_s = (1/n_s) Σ_{t∈R_s} logp_t           sum_s = Σ_{t∈R_s} logp_t
//   LEANPO/SIMPO: r_s = β·mean_s, z = r_w − r_l − γ      DPO: r_s = β·(sum_s − ref_s), z = r_w − r_l
//   ε = 0 | ε | ε0·[mean_w < mean_l];  L = −(1−ε)logσ(z) − ε logσ(−z) − λ·mean_w;   SFT: L = −mean_w
//   dL/dz = σ(z) − (1−ε);  dL/dlogp_t = dL/dsum_s + dL/dmean_s / n_s, all divided by N.
#include <cmath>
#include <string>

#include "common.hpp"
#include "leanpo.h"

namespace {
// log σ(z) = −softplus(−z), stable for any finite z.
double log_sigmoid(double z) { return -(std::fmax(-z, 0.0) + std::log1p(std::exp(-std::fabs(z)))); }
double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
    const double e = std::exp(z);
    return e / (1.0 + e);
}
}  // namespace

extern "C" void leanpo_seq_reduce(const float* logp, const int64_t* targets, int64_t ignore_index, const int64_t* offsets,
                                  int64_t seq_begin, int64_t seq_end, float* seq_sum, float* seq_mean, int64_t* seq_tokens) {
    LEANPO_CHECK(logp && targets && offsets && seq_sum && seq_mean && seq_tokens, "null pointer argument");
    for (int64_t s = seq_begin; s < seq_end; ++s) {
        double sum = 0.0;
        int64_t n = 0;
        for (int64_t t = offsets[s]; t < offsets[s + 1]; ++t) {
            if (targets[t] == ignore_index) continue;
            sum += logp[t];
            ++n;
        }
        seq_sum[s] = static_cast<float>(sum);
        seq_mean[s] = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
        seq_tokens[s] = n;
    }
}

extern "C" void leanpo_pair_loss(int objective, float beta, float gamma, int smoothing, float epsilon, float nll_weight,
                                 double normalizer, const float* seq_mean, const float* seq_sum, const int64_t* seq_tokens,
                                 const float* ref_sum, int64_t pair_begin, int64_t pair_end, float* pair_loss,
                                 float* reward_chosen, float* reward_rejected, float* pair_epsilon, float* seq_coef) {
    LEANPO_CHECK(objective >= LEANPO_OBJECTIVE_LEANPO && objective <= LEANPO_OBJECTIVE_SFT,
                 "unknown objective code " + std::to_string(objective));
    LEANPO_CHECK(smoothing >= LEANPO_SMOOTHING_NONE && smoothing <= LEANPO_SMOOTHING_DYNAMIC,
                 "unknown smoothing code " + std::to_string(smoothing));
    LEANPO_CHECK(normalizer > 0, "normalizer must be positive");
    LEANPO_CHECK(objective != LEANPO_OBJECTIVE_DPO || ref_sum != nullptr, "DPO needs ref_sum");
    LEANPO_CHECK(seq_mean && seq_sum && seq_tokens && pair_loss && reward_chosen && reward_rejected && pair_epsilon && seq_coef,
                 "null pointer argument");
    const double b = beta, lam = nll_weight, inv_n = 1.0 / normalizer;
    for (int64_t p = pair_begin; p < pair_end; ++p) {
        const int64_t w = 2 * p, l = 2 * p + 1;
        const int64_t nw = seq_tokens[w], nl = seq_tokens[l];
        LEANPO_CHECK(nw > 0, "pair " + std::to_string(p) + ": chosen response has no tokens");
        LEANPO_CHECK(nl > 0 || objective == LEANPO_OBJECTIVE_SFT, "pair " + std::to_string(p) + ": rejected response has no tokens");
        const double mean_w = seq_mean[w], mean_l = seq_mean[l];
        if (objective == LEANPO_OBJECTIVE_SFT) {
            reward_chosen[p] = static_cast<float>(b * mean_w);
            reward_rejected[p] = static_cast<float>(b * mean_l);
            pair_epsilon[p] = 0.0f;
            pair_loss[p] = static_cast<float>(-mean_w);
            seq_coef[w] = static_cast<float>(-inv_n / static_cast<double>(nw));
            seq_coef[l] = 0.0f;
            continue;
        }
        double rw, rl, z;
        if (objective == LEANPO_OBJECTIVE_DPO) {
            rw = b * (static_cast<double>(seq_sum[w]) - ref_sum[w]);
            rl = b * (static_cast<double>(seq_sum[l]) - ref_sum[l]);
            z = rw - rl;
        } else {
            rw = b * mean_w;
            rl = b * mean_l;
            z = rw - rl - gamma;
        }
        double eps = 0.0;
        if (smoothing == LEANPO_SMOOTHING_FIXED) eps = epsilon;
        if (smoothing == LEANPO_SMOOTHING_DYNAMIC && mean_w < mean_l) eps = epsilon;
        const double loss = -(1.0 - eps) * log_sigmoid(z) - eps * log_sigmoid(-z) - lam * mean_w;
        const double g = sigmoid(z) - (1.0 - eps);  // dL/dz
        reward_chosen[p] = static_cast<float>(rw);
        reward_rejected[p] = static_cast<float>(rl);
        pair_epsilon[p] = static_cast<float>(eps);
        pair_loss[p] = static_cast<float>(loss);
        const double nll_per_token = -lam / static_cast<double>(nw);
        if (objective == LEANPO_OBJECTIVE_DPO) {
            seq_coef[w] = static_cast<float>((b * g + nll_per_token) * inv_n);
            seq_coef[l] = static_cast<float>(-b * g * inv_n);
        } else {
            seq_coef[w] = static_cast<float>((b * g / static_cast<double>(nw) + nll_per_token) * inv_n);
            seq_coef[l] = static_cast<float>(-b * g / static_cast<double>(nl) * inv_n);
        }
    }
}

extern "C" void leanpo_row_weights(const int64_t* offsets, const float* seq_coef, const int64_t* targets, int64_t ignore_index,
                                   int64_t seq_begin, int64_t seq_end, float* row_weight) {
    LEANPO_CHECK(offsets && seq_coef && targets && row_weight, "null pointer argument");
    for (int64_t s = seq_begin; s < seq_end; ++s)
        for (int64_t t = offsets[s]; t < offsets[s + 1]; ++t)
            row_weight[t] = targets[t] == ignore_index ? 0.0f : seq_coef[s];
}
