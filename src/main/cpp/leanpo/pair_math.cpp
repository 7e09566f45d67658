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
#include "pair_math.hpp"

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
    const leanpo::PairParams q = leanpo::pair_params(objective, beta, gamma, smoothing, epsilon, nll_weight, normalizer, ref_sum);
    LEANPO_CHECK(seq_mean && seq_sum && seq_tokens && pair_loss && reward_chosen && reward_rejected && pair_epsilon && seq_coef,
                 "null pointer argument");
    for (int64_t p = pair_begin; p < pair_end; ++p) {
        const int64_t w = 2 * p, l = 2 * p + 1;
        const int64_t nw = seq_tokens[w], nl = seq_tokens[l];
        LEANPO_CHECK(nw > 0, "pair " + std::to_string(p) + ": chosen response has no tokens");
        LEANPO_CHECK(nl > 0 || objective == LEANPO_OBJECTIVE_SFT, "pair " + std::to_string(p) + ": rejected response has no tokens");
        const bool dpo = objective == LEANPO_OBJECTIVE_DPO;
        const leanpo::PairOut o = leanpo::pair_function(q, seq_mean[w], seq_mean[l], seq_sum[w], seq_sum[l], nw, nl,
                                                        dpo ? ref_sum[w] : 0.0, dpo ? ref_sum[l] : 0.0);
        leanpo::store_pair(o, p, pair_loss, reward_chosen, reward_rejected, pair_epsilon, seq_coef);
    }
}

extern "C" void leanpo_row_weights(const int64_t* offsets, const float* seq_coef, const int64_t* targets, int64_t ignore_index,
                                   int64_t seq_begin, int64_t seq_end, float* row_weight) {
    LEANPO_CHECK(offsets && seq_coef && targets && row_weight, "null pointer argument");
    for (int64_t s = seq_begin; s < seq_end; ++s)
        for (int64_t t = offsets[s]; t < offsets[s + 1]; ++t)
            row_weight[t] = targets[t] == ignore_index ? 0.0f : seq_coef[s];
}
