// rows.cu — response-row compaction for the Hugging Face adapter on the GPU (CPU twins:
// leanpo_cpu_gather_rows, leanpo_cpu_scatter_rows).
//
//   gather:  dst row i = src row index[i]          scatter: dst row index[i] = src row i      (i < n)
//
// Rows are row_bytes each; index [n] int64 in device memory. One block per row; 16-byte copies when
// both rows are 16-byte aligned and row_bytes is a multiple of 16, else 4-byte or single bytes.
// Video and prompt rows never reach the loss head: only the response rows are gathered.
#include "cuda_common.cuh"

namespace leanpo {
namespace cuda {
namespace {

constexpr int kThreads = 128;

template <class W>
LEANPO_DEV void copy_words(const char* s, char* d, int64_t bytes) {
    const W* sw = reinterpret_cast<const W*>(s);
    W* dw = reinterpret_cast<W*>(d);
    for (int64_t i = threadIdx.x; i < bytes / static_cast<int64_t>(sizeof(W)); i += kThreads) dw[i] = sw[i];
}

// gather: src row index[i] → dst row i;  scatter: src row i → dst row index[i]
template <bool Gather>
__global__ __launch_bounds__(kThreads) void rows_kernel(const char* __restrict__ src, int64_t row_bytes,
                                                        const int64_t* __restrict__ index, char* __restrict__ dst) {
    const int64_t i = blockIdx.x;
    const char* s = src + (Gather ? index[i] : i) * row_bytes;
    char* d = dst + (Gather ? i : index[i]) * row_bytes;
    const uintptr_t align = reinterpret_cast<uintptr_t>(s) | reinterpret_cast<uintptr_t>(d) | static_cast<uintptr_t>(row_bytes);
    if ((align & 15u) == 0)
        copy_words<uint4>(s, d, row_bytes);
    else if ((align & 3u) == 0)
        copy_words<unsigned>(s, d, row_bytes);
    else
        copy_words<char>(s, d, row_bytes);
}

void rows(bool gather, const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst, void* stream) {
    LEANPO_CHECK(n >= 0 && n <= kMaxGrid && row_bytes >= 0, "bad row count or size");
    LEANPO_CHECK(n == 0 || (src && index && dst), "null pointer argument");
    if (n == 0 || row_bytes == 0) return;
    const char* s = static_cast<const char*>(src);
    char* d = static_cast<char*>(dst);
    if (gather)
        launch(rows_kernel<true>, dim3(static_cast<unsigned>(n)), kThreads, stream, s, row_bytes, index, d);
    else
        launch(rows_kernel<false>, dim3(static_cast<unsigned>(n)), kThreads, stream, s, row_bytes, index, d);
}

}  // namespace
}  // namespace cuda
}  // namespace leanpo

extern "C" void leanpo_cuda_gather_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst,
                                        void* stream) {
    leanpo::cuda::rows(true, src, row_bytes, index, n, dst, stream);
}

extern "C" void leanpo_cuda_scatter_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst,
                                         void* stream) {
    leanpo::cuda::rows(false, src, row_bytes, index, n, dst, stream);
}
