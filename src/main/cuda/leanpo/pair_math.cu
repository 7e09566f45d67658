// pair_math.cu — per-sequence reduction, the per-pair loss and the per-row weights on the GPU, so a
// step needs no host round trip between its two row passes (CPU twins in pair_math.cpp; the pair
// formulas themselves are shared, in pair_math.hpp).
//
//   seq_reduce:  sum_s = Σ_{t∈R_s} logp_t (fp64), n_s = |R_s|, mean_s = sum_s / n_s
//                one block per sequence, threads over its rows, a fixed-order reduction (deterministic)
//   pair_loss:   one thread per pair: rewards, ε, L and the coefficient of each sequence (÷ N, ÷ n_s)
//   row_weights: w_t = coef_s for response rows t of s, 0 for ignored rows; one block per sequence
// O(T + P) work next to the O(T·V) row passes.
#include "cuda_common.cuh"
#include "leanpo/pair_math.hpp"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__global__ __launch_bounds__(kThreads) void seq_reduce_kernel(const float* __restrict__ logp,
                                                              const int64_t* __restrict__ targets, int64_t ignore_index,
                                                              const int64_t* __restrict__ offsets, int64_t seq_begin,
                                                              float* seq_sum, float* seq_mean, int64_t* seq_tokens) {
    const int64_t s = seq_begin + static_cast<int64_t>(blockIdx.x);
    double sum = 0.0;
    double n = 0.0;  // a count below 2^53, carried as a double so one reduction serves both
    for (int64_t t = offsets[s] + threadIdx.x; t < offsets[s + 1]; t += kThreads) {
        if (targets[t] == ignore_index) continue;
        sum += static_cast<double>(logp[t]);
        n += 1.0;
    }
    sum = block_allreduce(sum, [](double a, double b) { return a + b; });
    n = block_allreduce(n, [](double a, double b) { return a + b; });
    if (threadIdx.x == 0) {
        const int64_t count = static_cast<int64_t>(n);
        seq_sum[s] = static_cast<float>(sum);
        seq_mean[s] = count > 0 ? static_cast<float>(sum / n) : 0.0f;
        seq_tokens[s] = count;
    }
}

__global__ __launch_bounds__(kThreads) void pair_loss_kernel(PairParams q, const float* __restrict__ seq_mean,
                                                             const float* __restrict__ seq_sum,
                                                             const int64_t* __restrict__ seq_tokens,
                                                             const float* __restrict__ ref_sum, int64_t pair_begin,
                                                             int64_t pair_end, float* pair_loss, float* reward_chosen,
                                                             float* reward_rejected, float* pair_epsilon, float* seq_coef,
                                                             uint64_t* status) {
    const int64_t p = pair_begin + static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    if (p >= pair_end) return;
    const int64_t w = 2 * p, l = 2 * p + 1;
    const int64_t nw = seq_tokens[w], nl = seq_tokens[l];
    const bool sft = q.objective == LEANPO_OBJECTIVE_SFT;
    if (nw <= 0 || (nl <= 0 && !sft)) {
        status_record(status, LEANPO_STATUS_EMPTY_SEQUENCE, nw <= 0 ? w : l);
        pair_loss[p] = reward_chosen[p] = reward_rejected[p] = pair_epsilon[p] = 0.0f;
        seq_coef[w] = seq_coef[l] = 0.0f;
        return;
    }
    const bool dpo = q.objective == LEANPO_OBJECTIVE_DPO;
    const PairOut o = pair_function(q, seq_mean[w], seq_mean[l], seq_sum[w], seq_sum[l], nw, nl, dpo ? ref_sum[w] : 0.0,
                                    dpo ? ref_sum[l] : 0.0);
    store_pair(o, p, pair_loss, reward_chosen, reward_rejected, pair_epsilon, seq_coef);
}

__global__ __launch_bounds__(kThreads) void row_weights_kernel(const int64_t* __restrict__ offsets,
                                                               const float* __restrict__ seq_coef,
                                                               const int64_t* __restrict__ targets, int64_t ignore_index,
                                                               int64_t seq_begin, float* row_weight) {
    const int64_t s = seq_begin + static_cast<int64_t>(blockIdx.x);
    const float c = seq_coef[s];
    for (int64_t t = offsets[s] + threadIdx.x; t < offsets[s + 1]; t += kThreads)
        row_weight[t] = targets[t] == ignore_index ? 0.0f : c;
}

void check_seq_range(int64_t seq_begin, int64_t seq_end) {
    LEANPO_CHECK(seq_begin >= 0 && seq_begin <= seq_end && seq_end - seq_begin <= kMaxGrid,
                 "bad sequence range [" + std::to_string(seq_begin) + ", " + std::to_string(seq_end) + ")");
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_seq_reduce(const float* logp, const int64_t* targets, int64_t ignore_index, const int64_t* offsets,
                                       int64_t seq_begin, int64_t seq_end, float* seq_sum, float* seq_mean,
                                       int64_t* seq_tokens, void* stream) {
    LEANPO_CHECK(logp && targets && offsets && seq_sum && seq_mean && seq_tokens, "null pointer argument");
    check_seq_range(seq_begin, seq_end);
    if (seq_end == seq_begin) return;
    launch(seq_reduce_kernel, dim3(static_cast<unsigned>(seq_end - seq_begin)), kThreads, stream, logp, targets, ignore_index,
           offsets, seq_begin, seq_sum, seq_mean, seq_tokens);
}

extern "C" void leanpo_cuda_pair_loss(int objective, float beta, float gamma, int smoothing, float epsilon, float nll_weight,
                                      double normalizer, const float* seq_mean, const float* seq_sum, const int64_t* seq_tokens,
                                      const float* ref_sum, int64_t pair_begin, int64_t pair_end, float* pair_loss,
                                      float* reward_chosen, float* reward_rejected, float* pair_epsilon, float* seq_coef,
                                      uint64_t* status, void* stream) {
    const leanpo::PairParams q = leanpo::pair_params(objective, beta, gamma, smoothing, epsilon, nll_weight, normalizer, ref_sum);
    LEANPO_CHECK(seq_mean && seq_sum && seq_tokens && pair_loss && reward_chosen && reward_rejected && pair_epsilon &&
                     seq_coef && status,
                 "null pointer argument");
    LEANPO_CHECK(pair_begin >= 0 && pair_begin <= pair_end, "bad pair range");
    if (pair_end == pair_begin) return;
    launch(pair_loss_kernel, dim3(grid_for(pair_end - pair_begin, kThreads)), kThreads, stream, q, seq_mean, seq_sum,
           seq_tokens, ref_sum, pair_begin, pair_end, pair_loss, reward_chosen, reward_rejected, pair_epsilon, seq_coef, status);
}

extern "C" void leanpo_cuda_row_weights(const int64_t* offsets, const float* seq_coef, const int64_t* targets,
                                        int64_t ignore_index, int64_t seq_begin, int64_t seq_end, float* row_weight,
                                        void* stream) {
    LEANPO_CHECK(offsets && seq_coef && targets && row_weight, "null pointer argument");
    check_seq_range(seq_begin, seq_end);
    if (seq_end == seq_begin) return;
    launch(row_weights_kernel, dim3(static_cast<unsigned>(seq_end - seq_begin)), kThreads, stream, offsets, seq_coef, targets,
           ignore_index, seq_begin, row_weight);
}
