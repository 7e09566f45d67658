// convert.cu — element type conversion on the GPU (CPU twin: leanpo_cpu_convert).
//
//   dst[i] = src[i] for i < n, between f32, bf16 and f16; fp32 in between, one rounding (nearest even)
//
// Used to widen a bias to fp32 and to narrow fp32 gradient accumulators (dH, dW, db) into the
// caller's dtype. A grid-stride loop, four elements per thread per step; memory-bound.
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <int S, int D>
__global__ __launch_bounds__(kThreads) void convert_kernel(const void* __restrict__ src, void* __restrict__ dst, int64_t n) {
    const auto* x = static_cast<const typename io<S>::T*>(src);
    auto* y = static_cast<typename io<D>::T*>(dst);
    const int64_t stride = static_cast<int64_t>(gridDim.x) * kThreads;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride)
        io<D>::store1(y + i, io<S>::load1(x + i));
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_convert(const void* src, int src_dtype, void* dst, int dst_dtype, int64_t n, void* stream) {
    LEANPO_CHECK(n >= 0 && (n == 0 || (src && dst)), "null pointer argument");
    if (n == 0) return;
    // A few waves of blocks; the loop covers the rest.
    const dim3 grid(grid_for(n < (int64_t(1) << 26) ? n : (int64_t(1) << 26), kThreads));
    with_dtype(src_dtype, [&](auto s) {
        with_dtype(dst_dtype, [&](auto d) {
            launch(convert_kernel<decltype(s)::value, decltype(d)::value>, grid, kThreads, stream, src, dst, n);
        });
    });
}
