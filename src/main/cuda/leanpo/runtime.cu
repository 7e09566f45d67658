// runtime.cu — device selection, stream-ordered memory, copies and synchronisation for the Java
// backend, through the statically linked CUDA runtime (so the library loads where there is no driver).
// Every failure is a leanpo::error carrying the CUDA error name and string.
#include "cuda_common.cuh"

using leanpo::cuda::as_stream;

extern "C" void leanpo_cuda_set_device(int device) { LEANPO_CUDA_CHECK(cudaSetDevice(device)); }

extern "C" int leanpo_cuda_get_device(void) {
    int d = 0;
    LEANPO_CUDA_CHECK(cudaGetDevice(&d));
    return d;
}

extern "C" void* leanpo_cuda_malloc(int64_t bytes, void* stream) {
    LEANPO_CHECK(bytes > 0, "allocation size must be positive, got " + std::to_string(bytes));
    void* p = nullptr;
    const cudaError_t err = cudaMallocAsync(&p, static_cast<size_t>(bytes), as_stream(stream));
    if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();  // not sticky: clear it so the caller can free memory and retry
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        throw leanpo::error(__FILE__, __LINE__,
                            "out of GPU memory allocating " + std::to_string(bytes) + " bytes (" + std::to_string(free_b) +
                                " of " + std::to_string(total_b) +
                                " free); use smaller chunks (LinearOptions) or a smaller batch");
    }
    LEANPO_CUDA_CHECK(err);
    return p;
}

extern "C" void leanpo_cuda_free(void* p, void* stream) {
    if (p != nullptr) LEANPO_CUDA_CHECK(cudaFreeAsync(p, as_stream(stream)));
}

extern "C" void leanpo_cuda_memcpy(void* dst, const void* src, int64_t bytes, void* stream) {
    LEANPO_CHECK(bytes >= 0 && (bytes == 0 || (dst && src)), "null pointer argument");
    if (bytes > 0) LEANPO_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDefault, as_stream(stream)));
}

extern "C" void leanpo_cuda_memset(void* p, int byte_value, int64_t bytes, void* stream) {
    LEANPO_CHECK(bytes >= 0 && (bytes == 0 || p), "null pointer argument");
    if (bytes > 0) LEANPO_CUDA_CHECK(cudaMemsetAsync(p, byte_value, static_cast<size_t>(bytes), as_stream(stream)));
}

extern "C" void leanpo_cuda_synchronize(void* stream) { LEANPO_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream))); }

extern "C" void leanpo_cuda_mem_info(int64_t* host_out) {
    LEANPO_CHECK(host_out != nullptr, "null pointer argument");
    size_t free_b = 0, total_b = 0;
    LEANPO_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    host_out[0] = static_cast<int64_t>(free_b);
    host_out[1] = static_cast<int64_t>(total_b);
}

extern "C" int64_t leanpo_cuda_pool_peak(int reset) {
    int dev = 0;
    LEANPO_CUDA_CHECK(cudaGetDevice(&dev));
    cudaMemPool_t pool;
    LEANPO_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, dev));
    uint64_t high = 0;  // cuuint64_t
    LEANPO_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &high));
    if (reset) {
        uint64_t zero = 0;  // the only value the attribute may be set to: it restarts from what is in use now
        LEANPO_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &zero));
    }
    return static_cast<int64_t>(high);
}
