// row_lse_target.cu — pass 1 of the logits-in head on the GPU (CPU twin: leanpo_cpu_row_lse_target).
//
//   lse_t  = log Σ_v exp(x_tv)          logp_t = x_{t,y_t} − lse_t          for t in [row_begin, row_end)
//
// logits [T, V] row-major, f32, bf16 or f16; targets [T] int64; lse, logp [T] fp32.
// One thread block per row. Each thread walks the row in 16-byte vectors (4 f32 or 8 bf16/f16
// values), two vectors in flight, keeping a running (max, Σ exp) in fp32; the block merges the
// threads' states in a fixed order. Each logit is read from memory exactly once; nothing but the two
// floats per row is written: no softmax or log-softmax row ever exists.
// Ignored rows (target = ignore_index) are not read: lse = logp = 0. A row holding NaN or ±inf is
// recorded in status[LEANPO_STATUS_NONFINITE_ROW] (the smallest such row wins).
// Row offsets are 64-bit: T·V passes 2^31 at realistic shapes (16384 × 152064 = 2.5e9).
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <int D>
__global__ __launch_bounds__(kThreads) void row_lse_target_kernel(const void* __restrict__ logits, int64_t V,
                                                                  int64_t row_begin, const int64_t* __restrict__ targets,
                                                                  int64_t ignore_index, float* __restrict__ lse,
                                                                  float* __restrict__ logp, uint64_t* status) {
    using T = typename io<D>::T;
    constexpr int N = io<D>::N;
    const int64_t t = row_begin + static_cast<int64_t>(blockIdx.x);
    const int64_t y = targets[t];
    if (y == ignore_index || y < 0 || y >= V) {
        if (threadIdx.x == 0) {
            lse[t] = 0.0f;
            logp[t] = 0.0f;
            // Host inputs were checked in Java; device targets by leanpo_cuda_targets. Never read out of the row.
            if (y != ignore_index) status_record(status, LEANPO_STATUS_BAD_TARGET_ROW, t);
        }
        return;
    }
    const T* row = static_cast<const T*>(logits) + t * V;
    const RowSplit<D> sp(row, V);
    const int tid = static_cast<int>(threadIdx.x);
    Lse st{-INFINITY, 0.0f};
    float chk = 0.0f;
    for (int64_t i = tid; i < sp.head; i += kThreads) {
        const float x = io<D>::load1(row + i);
        lse_add<1>(st, &x);
        finite_track<1>(chk, &x);
    }
    const uint4* vec = reinterpret_cast<const uint4*>(row + sp.head);
    int64_t i = tid;
    for (; i + kThreads < sp.vecs; i += 2 * kThreads) {
        const uint4 a = __ldg(vec + i), b = __ldg(vec + i + kThreads);
        float x[2 * N];
        io<D>::unpack(a, x);
        io<D>::unpack(b, x + N);
        lse_add<2 * N>(st, x);
        finite_track<2 * N>(chk, x);
    }
    if (i < sp.vecs) {
        float x[N];
        io<D>::unpack(__ldg(vec + i), x);
        lse_add<N>(st, x);
        finite_track<N>(chk, x);
    }
    for (int64_t j = sp.head + sp.vecs * N + tid; j < V; j += kThreads) {
        const float x = io<D>::load1(row + j);
        lse_add<1>(st, &x);
        finite_track<1>(chk, &x);
    }
    st = block_allreduce(st, [](Lse a, Lse b) { return lse_merge(a, b); });
    chk = block_allreduce(chk, [](float a, float b) { return a + b; });
    if (tid == 0) {
        const float l = st.m + logf(st.s);
        lse[t] = l;
        logp[t] = io<D>::load1(row + y) - l;
        if (chk != 0.0f) status_record(status, LEANPO_STATUS_NONFINITE_ROW, t);
    }
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_row_lse_target(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                                           const int64_t* targets, int64_t ignore_index, float* lse, float* logp,
                                           uint64_t* status, void* stream) {
    LEANPO_CHECK(logits && targets && lse && logp && status, "null pointer argument");
    check_rows(V, row_begin, row_end);
    if (row_end == row_begin) return;
    const dim3 grid(static_cast<unsigned>(row_end - row_begin));
    with_dtype(dtype, [&](auto d) {
        launch(row_lse_target_kernel<decltype(d)::value>, grid, kThreads, stream, logits, V, row_begin, targets, ignore_index,
               lse, logp, status);
    });
}
