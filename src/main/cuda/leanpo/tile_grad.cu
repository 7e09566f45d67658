// tile_grad.cu — the fused-linear head's gradient on an fp32 logits tile (CPU twin: leanpo_cpu_tile_grad).
//
//   G_rc = w_r · ([col_begin + c = y_r] − exp(x_rc + b_c − lse_r))
//   written in place over the tile (fp32), or, when out is given (not NULL, not the tile), rounded once
//   into out [rows, out_ld] of out_dtype instead, the tile left as it was
//
// The target element is w·(−expm1(x − lse)), as on the CPU, so 1 − p keeps its precision when p → 1.
// One block per tile row; the tile is read once, and G written once: in fp32 over the tile, or in the
// bf16/f16 that cuBLAS's tensor-core products dH = G·W and dW = Gᵀ·H read (nobody reads an fp32 copy
// then, and skipping it saves a third of the bytes this kernel moves).
// Ignored rows and rows with w = 0 become zeros. Nothing is written when status records an error.
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <int OD>
__global__ __launch_bounds__(kThreads) void tile_grad_kernel(float* tile, int64_t cols, int64_t ld, int64_t col_begin,
                                                             const float* __restrict__ bias,
                                                             const int64_t* __restrict__ targets, int64_t ignore_index,
                                                             const float* __restrict__ lse,
                                                             const float* __restrict__ row_weight, void* out,
                                                             int64_t out_ld, const uint64_t* status) {
    using O = typename io<OD>::T;
    if (!status_clear(status)) return;
    const int64_t r = blockIdx.x;
    const int tid = static_cast<int>(threadIdx.x);
    float* x = tile + r * ld;
    O* o = out ? static_cast<O*>(out) + r * out_ld : nullptr;
    const float* b = bias ? bias + col_begin : nullptr;
    const int64_t y = targets[r];
    const float w = y == ignore_index ? 0.0f : row_weight[r];
    const float l = lse[r];
    const int64_t yc = y - col_begin;  // the target's column in this tile, if it is in range
    auto value = [&](int64_t c, float v) {
        if (w == 0.0f) return 0.0f;
        const float z = v + (b ? b[c] : 0.0f) - l;
        return c == yc ? w * -expm1f(z) : -w * exp2f(z * kLog2e);
    };
    // The fp32 tile comes from our own allocation (16-byte aligned rows when ld is a multiple of 4);
    // vectors where the row allows them, scalars elsewhere.
    const RowSplit<LEANPO_DTYPE_F32> sp(x, cols);
    for (int64_t c = tid; c < sp.head; c += kThreads) {
        const float g = value(c, x[c]);
        if (o)
            io<OD>::store1(o + c, g);
        else
            x[c] = g;
    }
    float4* xv = reinterpret_cast<float4*>(x + sp.head);
    for (int64_t i = tid; i < sp.vecs; i += kThreads) {
        const float4 q = xv[i];
        const int64_t c = sp.head + i * 4;
        const float4 g{value(c, q.x), value(c + 1, q.y), value(c + 2, q.z), value(c + 3, q.w)};
        if (o) {
            io<OD>::store1(o + c, g.x);
            io<OD>::store1(o + c + 1, g.y);
            io<OD>::store1(o + c + 2, g.z);
            io<OD>::store1(o + c + 3, g.w);
        } else {
            xv[i] = g;
        }
    }
    for (int64_t c = sp.head + sp.vecs * 4 + tid; c < cols; c += kThreads) {
        const float g = value(c, x[c]);
        if (o)
            io<OD>::store1(o + c, g);
        else
            x[c] = g;
    }
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_tile_grad(float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin, const float* bias,
                                      const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight,
                                      void* out, int out_dtype, int64_t out_ld, const uint64_t* status, void* stream) {
    LEANPO_CHECK(tile && targets && lse && row_weight && status, "null pointer argument");
    check_tile(rows, cols, ld, col_begin);
    if (out == tile) {
        LEANPO_CHECK(out_dtype == LEANPO_DTYPE_F32 && out_ld == ld, "an in-place gradient tile stays f32 with the tile's ld");
        out = nullptr;
    }
    LEANPO_CHECK(out == nullptr || out_ld >= cols, "out_ld " + std::to_string(out_ld) + " is smaller than cols " + std::to_string(cols));
    if (rows == 0) return;
    with_dtype(out_dtype, [&](auto d) {
        launch(tile_grad_kernel<decltype(d)::value>, dim3(static_cast<unsigned>(rows)), kThreads, stream, tile, cols, ld,
               col_begin, bias, targets, ignore_index, lse, row_weight, out, out_ld, status);
    });
}
