// pair_math.hpp — the per-pair loss of every objective and its gradient coefficients, written once
// for the CPU (pair_math.cpp) and the GPU (src/main/cuda/leanpo/pair_math.cu). fp64 throughout.
//
//   LEANPO/SIMPO: r_s = β·mean_s, z = r_w − r_l − γ          DPO: r_s = β·(sum_s − ref_s), z = r_w − r_l
//   ε = 0 | ε | ε0·[mean_w < mean_l]                           (none | fixed | dynamic; no gradient through ε)
//   L = −(1−ε)·logσ(z) − ε·logσ(−z) − λ·mean_w                SFT: L = −mean_w
//   dL/dz = σ(z) − (1−ε);  coef_s = dL/dlogp_t for every response row t of sequence s, divided by N
//   (and by n_s for the mean-based terms).
#ifndef LEANPO_PAIR_MATH_HPP
#define LEANPO_PAIR_MATH_HPP

#include <math.h>
#include <stdint.h>

#include <string>

#include "common.hpp"
#include "leanpo.h"

#if defined(__CUDACC__)
#define LEANPO_HD __host__ __device__ inline
#else
#define LEANPO_HD inline
#endif

namespace leanpo {

// log σ(z) = −softplus(−z), stable for any finite z.
LEANPO_HD double log_sigmoid(double z) { return -(fmax(-z, 0.0) + log1p(exp(-fabs(z)))); }

LEANPO_HD double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}

struct PairParams {
    int objective;
    double beta, gamma;
    int smoothing;
    double epsilon, nll_weight;
    double inv_normalizer;  // 1/N
};

struct PairOut {
    double loss, reward_w, reward_l, eps, coef_w, coef_l;
};

// The checks of leanpo_pair_loss's arguments, for its CPU and GPU entry points (host code).
inline PairParams pair_params(int objective, float beta, float gamma, int smoothing, float epsilon, float nll_weight,
                              double normalizer, const float* ref_sum) {
    LEANPO_CHECK(objective >= LEANPO_OBJECTIVE_LEANPO && objective <= LEANPO_OBJECTIVE_SFT,
                 "unknown objective code " + std::to_string(objective));
    LEANPO_CHECK(smoothing >= LEANPO_SMOOTHING_NONE && smoothing <= LEANPO_SMOOTHING_DYNAMIC,
                 "unknown smoothing code " + std::to_string(smoothing));
    LEANPO_CHECK(normalizer > 0, "normalizer must be positive");
    LEANPO_CHECK(objective != LEANPO_OBJECTIVE_DPO || ref_sum != nullptr, "DPO needs ref_sum");
    return PairParams{objective, beta, gamma, smoothing, epsilon, nll_weight, 1.0 / normalizer};
}

// One pair. nw > 0 always; nl > 0 unless the objective is SFT (the caller checks both).
LEANPO_HD PairOut pair_function(const PairParams& q, double mean_w, double mean_l, double sum_w, double sum_l, int64_t nw,
                                int64_t nl, double ref_w, double ref_l) {
    PairOut o;
    const double b = q.beta, inv_n = q.inv_normalizer;
    if (q.objective == LEANPO_OBJECTIVE_SFT) {
        o.reward_w = b * mean_w;
        o.reward_l = b * mean_l;
        o.eps = 0.0;
        o.loss = -mean_w;
        o.coef_w = -inv_n / static_cast<double>(nw);
        o.coef_l = 0.0;
        return o;
    }
    double z;
    if (q.objective == LEANPO_OBJECTIVE_DPO) {
        o.reward_w = b * (sum_w - ref_w);
        o.reward_l = b * (sum_l - ref_l);
        z = o.reward_w - o.reward_l;
    } else {
        o.reward_w = b * mean_w;
        o.reward_l = b * mean_l;
        z = o.reward_w - o.reward_l - q.gamma;
    }
    double eps = 0.0;
    if (q.smoothing == LEANPO_SMOOTHING_FIXED) eps = q.epsilon;
    if (q.smoothing == LEANPO_SMOOTHING_DYNAMIC && mean_w < mean_l) eps = q.epsilon;
    o.eps = eps;
    o.loss = -(1.0 - eps) * log_sigmoid(z) - eps * log_sigmoid(-z) - q.nll_weight * mean_w;
    const double g = sigmoid(z) - (1.0 - eps);  // dL/dz
    const double nll_per_token = -q.nll_weight / static_cast<double>(nw);
    if (q.objective == LEANPO_OBJECTIVE_DPO) {
        o.coef_w = (b * g + nll_per_token) * inv_n;
        o.coef_l = -b * g * inv_n;
    } else {
        o.coef_w = (b * g / static_cast<double>(nw) + nll_per_token) * inv_n;
        o.coef_l = -b * g / static_cast<double>(nl) * inv_n;
    }
    return o;
}

// Stores pair p's results: its loss, rewards and ε, and the coefficients of sequences 2p and 2p + 1.
LEANPO_HD void store_pair(const PairOut& o, int64_t p, float* pair_loss, float* reward_chosen, float* reward_rejected,
                          float* pair_epsilon, float* seq_coef) {
    pair_loss[p] = static_cast<float>(o.loss);
    reward_chosen[p] = static_cast<float>(o.reward_w);
    reward_rejected[p] = static_cast<float>(o.reward_l);
    pair_epsilon[p] = static_cast<float>(o.eps);
    seq_coef[2 * p] = static_cast<float>(o.coef_w);
    seq_coef[2 * p + 1] = static_cast<float>(o.coef_l);
}

}  // namespace leanpo

#endif
