// targets.cu — targets that live on the device, widened and checked there (no host round trip).
//
//   out[t] = int64(targets[t]) for t < n;  a target outside [0, V) that is not ignore_index is
//   recorded as status[LEANPO_STATUS_BAD_TARGET_ROW] (the smallest such row)
//
// targets int32 or int64 [n]; out int64 [n]. Host targets are checked in Java instead and copied.
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <class I>
__global__ __launch_bounds__(kThreads) void targets_kernel(const I* __restrict__ in, int64_t n, int64_t V, int64_t ignore_index,
                                                           int64_t* __restrict__ out, uint64_t* status) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * kThreads;
    for (int64_t t = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; t < n; t += stride) {
        const int64_t y = static_cast<int64_t>(in[t]);
        out[t] = y;
        if (y != ignore_index && (y < 0 || y >= V)) status_record(status, LEANPO_STATUS_BAD_TARGET_ROW, t);
    }
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

using namespace leanpo::cuda;

extern "C" void leanpo_cuda_targets(const void* targets, int index_bytes, int64_t n, int64_t V, int64_t ignore_index,
                                    int64_t* targets_out, uint64_t* status, void* stream) {
    LEANPO_CHECK(index_bytes == 4 || index_bytes == 8, "targets are int32 or int64, got " + std::to_string(index_bytes) + "-byte ids");
    LEANPO_CHECK(n >= 0 && (n == 0 || (targets && targets_out && status)), "null pointer argument");
    if (n == 0) return;
    const dim3 grid(grid_for(n < (int64_t(1) << 22) ? n : (int64_t(1) << 22), kThreads));
    if (index_bytes == 4)
        launch(targets_kernel<int32_t>, grid, kThreads, stream, static_cast<const int32_t*>(targets), n, V, ignore_index,
               targets_out, status);
    else
        launch(targets_kernel<int64_t>, grid, kThreads, stream, static_cast<const int64_t*>(targets), n, V, ignore_index,
               targets_out, status);
}
