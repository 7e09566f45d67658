// tile_lse.cu — the fused-linear head's forward on fp32 logits tiles (CPU twins:
// leanpo_cpu_tile_lse_merge, leanpo_cpu_lse_finish).
//
//   merge:  for each tile row r (not ignored), over columns [col_begin, col_begin + cols):
//             (run_max_r, run_sum_r) ← online merge of x_rc + b_c into max and Σ exp(· − max)
//             tgt_logit_r = x_{r, y_r} + b_{y_r}   when y_r falls in this tile
//   finish: lse_r = run_max_r + log(run_sum_r),  logp_r = tgt_logit_r − lse_r   (0 for ignored rows)
//
// tile [rows, ld] fp32 (the product h·Wᵀ of one chunk and one vocabulary tile, made by cuBLAS);
// bias [V] fp32 or NULL; run_max/run_sum/tgt_logit [rows]. One block per tile row, 16-byte loads of
// the tile; each tile element is read once. A tile row holding NaN or ±inf is recorded as row
// row_base + r in status (and its running state is left as it was).
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__global__ __launch_bounds__(kThreads) void tile_lse_merge_kernel(const float* __restrict__ tile, int64_t cols, int64_t ld,
                                                                  int64_t col_begin, const float* __restrict__ bias,
                                                                  const int64_t* __restrict__ targets, int64_t ignore_index,
                                                                  float* run_max, float* run_sum, float* tgt_logit,
                                                                  int64_t row_base, uint64_t* status) {
    constexpr int N = 4;
    const int64_t r = blockIdx.x;
    const int64_t y = targets[r];
    if (y == ignore_index) return;
    const float* x = tile + r * ld;
    const float* b = bias ? bias + col_begin : nullptr;
    const int tid = static_cast<int>(threadIdx.x);
    const RowSplit<LEANPO_DTYPE_F32> sp(x, cols);
    Lse st{-INFINITY, 0.0f};
    float chk = 0.0f;
    auto scalar = [&](int64_t c) {
        const float v = x[c] + (b ? b[c] : 0.0f);
        lse_add<1>(st, &v);
        finite_track<1>(chk, &v);
    };
    for (int64_t c = tid; c < sp.head; c += kThreads) scalar(c);
    const float4* xv = reinterpret_cast<const float4*>(x + sp.head);
    for (int64_t i = tid; i < sp.vecs; i += kThreads) {
        const float4 q = xv[i];
        float v[N] = {q.x, q.y, q.z, q.w};
        if (b) {
            const int64_t c = sp.head + i * N;
#pragma unroll
            for (int k = 0; k < N; ++k) v[k] += b[c + k];
        }
        lse_add<N>(st, v);
        finite_track<N>(chk, v);
    }
    for (int64_t c = sp.head + sp.vecs * N + tid; c < cols; c += kThreads) scalar(c);
    st = block_allreduce(st, [](Lse p, Lse q) { return lse_merge(p, q); });
    chk = block_allreduce(chk, [](float p, float q) { return p + q; });
    if (tid != 0) return;
    if (chk != 0.0f || !(st.m > -INFINITY)) {
        status_record(status, LEANPO_STATUS_NONFINITE_ROW, row_base + r);
        return;
    }
    // The running state starts at (−inf, 0); lse_merge lets an empty state contribute nothing.
    const Lse merged = lse_merge(Lse{run_max[r], run_sum[r]}, st);
    run_max[r] = merged.m;
    run_sum[r] = merged.s;
    if (y >= col_begin && y < col_begin + cols) tgt_logit[r] = x[y - col_begin] + (b ? b[y - col_begin] : 0.0f);
}

__global__ __launch_bounds__(kThreads) void lse_finish_kernel(const float* __restrict__ run_max,
                                                              const float* __restrict__ run_sum,
                                                              const float* __restrict__ tgt_logit,
                                                              const int64_t* __restrict__ targets, int64_t ignore_index,
                                                              int64_t rows, float* lse, float* logp) {
    const int64_t r = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    if (r >= rows) return;
    if (targets[r] == ignore_index) {
        lse[r] = 0.0f;
        logp[r] = 0.0f;
        return;
    }
    const float l = run_max[r] + logf(run_sum[r]);
    lse[r] = l;
    logp[r] = tgt_logit[r] - l;
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_tile_lse_merge(const float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin,
                                           const float* bias, const int64_t* targets, int64_t ignore_index, float* run_max,
                                           float* run_sum, float* tgt_logit, int64_t row_base, uint64_t* status,
                                           void* stream) {
    LEANPO_CHECK(tile && targets && run_max && run_sum && tgt_logit && status, "null pointer argument");
    check_tile(rows, cols, ld, col_begin);
    if (rows == 0) return;
    launch(tile_lse_merge_kernel, dim3(static_cast<unsigned>(rows)), kThreads, stream, tile, cols, ld, col_begin, bias, targets,
           ignore_index, run_max, run_sum, tgt_logit, row_base, status);
}

extern "C" void leanpo_cuda_lse_finish(const float* run_max, const float* run_sum, const float* tgt_logit,
                                       const int64_t* targets, int64_t ignore_index, int64_t rows, float* lse, float* logp,
                                       void* stream) {
    LEANPO_CHECK(run_max && run_sum && tgt_logit && targets && lse && logp, "null pointer argument");
    LEANPO_CHECK(rows >= 0, "negative row count");
    if (rows == 0) return;
    launch(lse_finish_kernel, dim3(grid_for(rows, kThreads)), kThreads, stream, run_max, run_sum, tgt_logit, targets,
           ignore_index, rows, lse, logp);
}
