// runtime_emu.cpp — the runtime entry points of runtime.cu and cuda_probe.cu for the CPU emulation:
// "device memory" is host memory, every stream is the caller's thread, and one emulated device exists.
#include <cstdlib>
#include <cstring>
#include <string>

#include "leanpo/common.hpp"
#include "leanpo/leanpo.h"

extern "C" int leanpo_cuda_compiled(void) { return 1; }
extern "C" int leanpo_cuda_emulated(void) { return 1; }
extern "C" int leanpo_cuda_device_count(void) { return 1; }
extern "C" const char* leanpo_cuda_status(void) { return "1 device(s); device 0: CPU emulation of the CUDA kernels"; }
extern "C" void leanpo_cuda_set_device(int device) { LEANPO_CHECK(device == 0, "the emulation has one device, 0"); }
extern "C" int leanpo_cuda_get_device(void) { return 0; }

extern "C" void* leanpo_cuda_malloc(int64_t bytes, void*) {
    LEANPO_CHECK(bytes > 0, "allocation size must be positive, got " + std::to_string(bytes));
    void* p = std::aligned_alloc(256, static_cast<size_t>((bytes + 255) / 256 * 256));  // cudaMalloc's alignment
    LEANPO_CHECK(p != nullptr, "out of memory");
    return p;
}
extern "C" void leanpo_cuda_free(void* p, void*) { std::free(p); }
extern "C" void leanpo_cuda_memcpy(void* dst, const void* src, int64_t bytes, void*) {
    if (bytes > 0) std::memmove(dst, src, static_cast<size_t>(bytes));
}
extern "C" void leanpo_cuda_memset(void* p, int byte_value, int64_t bytes, void*) {
    if (bytes > 0) std::memset(p, byte_value, static_cast<size_t>(bytes));
}
extern "C" void leanpo_cuda_synchronize(void*) {}
extern "C" void leanpo_cuda_mem_info(int64_t* host_out) {
    host_out[0] = int64_t(1) << 34;
    host_out[1] = int64_t(1) << 34;
}
