// row_grad.cu — pass 2 of the logits-in head on the GPU (CPU twin: leanpo_cpu_row_grad).
//
//   grad_tv = w_t · ([v = y_t] − exp(x_tv − lse_t))          for t in [row_begin, row_end)
//
// logits and grad [T, V] in one dtype (f32, bf16, f16); lse and row_weight [T] fp32 from pass 1 and
// the pair kernels. One thread block per row, 16-byte loads and stores, two vectors in flight; the
// value is formed in fp32 and rounded once into the dtype. grad may be the logits themselves (each
// element is read and then written by the same thread). Rows with w_t = 0 (ignored rows, rejected
// rows under SFT) are written as zeros without reading the logits. Stores are streaming (evict-first):
// the gradient is not read again by this pass.
// When status records any error, nothing is written: the call is about to fail, and logits being
// overwritten in place stay intact.
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <int D>
__global__ __launch_bounds__(kThreads) void row_grad_kernel(const void* logits, int64_t V, int64_t row_begin,
                                                            const int64_t* __restrict__ targets, int64_t ignore_index,
                                                            const float* __restrict__ lse,
                                                            const float* __restrict__ row_weight, void* grad,
                                                            const uint64_t* status) {
    using T = typename io<D>::T;
    constexpr int N = io<D>::N;
    if (!status_clear(status)) return;
    const int64_t t = row_begin + static_cast<int64_t>(blockIdx.x);
    const int tid = static_cast<int>(threadIdx.x);
    const T* x = static_cast<const T*>(logits) + t * V;
    T* g = static_cast<T*>(grad) + t * V;
    const int64_t y = targets[t];
    const float w = y == ignore_index ? 0.0f : row_weight[t];
    const float l = lse[t];
    // One element: fp32 value, then one rounding.
    auto value = [&](int64_t v, float xv) { return w * ((v == y ? 1.0f : 0.0f) - exp2f((xv - l) * kLog2e)); };

    const RowSplit<D> sp(g, V);
    // Vectors only when logits and grad share their offset within 16 bytes (always, in place).
    const bool vectors = ((reinterpret_cast<uintptr_t>(x) ^ reinterpret_cast<uintptr_t>(g)) & 15u) == 0;
    const int64_t head = vectors ? sp.head : V;
    for (int64_t v = tid; v < head; v += kThreads) io<D>::store1(g + v, w == 0.0f ? 0.0f : value(v, io<D>::load1(x + v)));
    if (!vectors) return;
    const uint4* xv = reinterpret_cast<const uint4*>(x + sp.head);
    uint4* gv = reinterpret_cast<uint4*>(g + sp.head);
    if (w == 0.0f) {
        float z[N];
#pragma unroll
        for (int k = 0; k < N; ++k) z[k] = 0.0f;
        const uint4 zero = io<D>::pack(z);
        for (int64_t i = tid; i < sp.vecs; i += kThreads) __stcs(gv + i, zero);
    } else {
        int64_t i = tid;
        for (; i + kThreads < sp.vecs; i += 2 * kThreads) {
            const uint4 a = xv[i], b = xv[i + kThreads];
            float fa[N], fb[N];
            io<D>::unpack(a, fa);
            io<D>::unpack(b, fb);
            const int64_t va = sp.head + i * N, vb = sp.head + (i + kThreads) * N;
#pragma unroll
            for (int k = 0; k < N; ++k) {
                fa[k] = value(va + k, fa[k]);
                fb[k] = value(vb + k, fb[k]);
            }
            __stcs(gv + i, io<D>::pack(fa));
            __stcs(gv + i + kThreads, io<D>::pack(fb));
        }
        if (i < sp.vecs) {
            float f[N];
            io<D>::unpack(xv[i], f);
            const int64_t v0 = sp.head + i * N;
#pragma unroll
            for (int k = 0; k < N; ++k) f[k] = value(v0 + k, f[k]);
            __stcs(gv + i, io<D>::pack(f));
        }
    }
    for (int64_t v = sp.head + sp.vecs * N + tid; v < V; v += kThreads)
        io<D>::store1(g + v, w == 0.0f ? 0.0f : value(v, io<D>::load1(x + v)));
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_row_grad(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                                     const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight,
                                     void* grad, const uint64_t* status, void* stream) {
    LEANPO_CHECK(logits && targets && lse && row_weight && grad && status, "null pointer argument");
    check_rows(V, row_begin, row_end);
    if (row_end == row_begin) return;
    const dim3 grid(static_cast<unsigned>(row_end - row_begin));
    with_dtype(dtype, [&](auto d) {
        launch(row_grad_kernel<decltype(d)::value>, grid, kThreads, stream, logits, V, row_begin, targets, ignore_index, lse,
               row_weight, grad, status);
    });
}
