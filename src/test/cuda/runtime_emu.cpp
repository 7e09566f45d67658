// runtime_emu.cpp — the runtime entry points of runtime.cu and cuda_probe.cu for the CPU emulation:
// "device memory" is host memory, every stream is the caller's thread, and one emulated device exists.
// Live allocations are counted, so leanpo_cuda_mem_info's free memory falls with a leak, as a GPU's does.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "leanpo/common.hpp"
#include "leanpo/leanpo.h"

extern "C" int leanpo_cuda_compiled(void) { return 1; }
extern "C" int leanpo_cuda_emulated(void) { return 1; }
extern "C" int leanpo_cuda_device_count(void) { return 1; }
extern "C" const char* leanpo_cuda_status(void) { return "1 device(s); device 0: CPU emulation of the CUDA kernels"; }
extern "C" void leanpo_cuda_set_device(int device) { LEANPO_CHECK(device == 0, "the emulation has one device, 0"); }
extern "C" int leanpo_cuda_get_device(void) { return 0; }

namespace {
constexpr int64_t kTotal = int64_t(1) << 34;  // an emulated 16 GiB card
std::mutex g_mu;
std::unordered_map<void*, int64_t> g_live;
int64_t g_live_bytes = 0;
int64_t g_high = 0;
}  // namespace

extern "C" void* leanpo_cuda_malloc(int64_t bytes, void*) {
    LEANPO_CHECK(bytes > 0, "allocation size must be positive, got " + std::to_string(bytes));
    const int64_t size = (bytes + 255) / 256 * 256;  // cudaMalloc's alignment
    void* p = std::aligned_alloc(256, static_cast<size_t>(size));
    LEANPO_CHECK(p != nullptr, "out of memory");
    std::lock_guard<std::mutex> lock(g_mu);
    g_live[p] = size;
    g_live_bytes += size;
    if (g_live_bytes > g_high) g_high = g_live_bytes;
    return p;
}
extern "C" void leanpo_cuda_free(void* p, void*) {
    if (p == nullptr) return;
    {
        std::lock_guard<std::mutex> lock(g_mu);
        auto it = g_live.find(p);
        LEANPO_CHECK(it != g_live.end(), "emulated cudaFree of memory that was not allocated, or freed twice");
        g_live_bytes -= it->second;
        g_live.erase(it);
    }
    std::free(p);
}
extern "C" void leanpo_cuda_memcpy(void* dst, const void* src, int64_t bytes, void*) {
    if (bytes > 0) std::memmove(dst, src, static_cast<size_t>(bytes));
}
extern "C" void leanpo_cuda_memset(void* p, int byte_value, int64_t bytes, void*) {
    if (bytes > 0) std::memset(p, byte_value, static_cast<size_t>(bytes));
}
extern "C" void leanpo_cuda_synchronize(void*) {}
extern "C" void leanpo_cuda_mem_info(int64_t* host_out) {
    std::lock_guard<std::mutex> lock(g_mu);
    host_out[0] = kTotal - g_live_bytes;
    host_out[1] = kTotal;
}
extern "C" int64_t leanpo_cuda_pool_peak(int reset) {
    std::lock_guard<std::mutex> lock(g_mu);
    const int64_t high = g_high;
    if (reset) g_high = g_live_bytes;
    return high;
}
