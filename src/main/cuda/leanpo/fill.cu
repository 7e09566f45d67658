// fill.cu — p[i] = value for i < n (the fused-linear head's running maxima start at −inf).
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__global__ __launch_bounds__(kThreads) void fill_kernel(float* p, float value, int64_t n) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * kThreads;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride) p[i] = value;
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_fill_f32(float* p, float value, int64_t n, void* stream) {
    LEANPO_CHECK(n >= 0 && (n == 0 || p), "null pointer argument");
    if (n == 0) return;
    launch(fill_kernel, dim3(grid_for(n < (int64_t(1) << 22) ? n : (int64_t(1) << 22), kThreads)), kThreads, stream, p, value, n);
}
