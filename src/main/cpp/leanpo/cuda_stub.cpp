// cuda_stub.cpp — compiled instead of src/main/cuda when the library is built without CUDA: the
// probes answer "none", and every CUDA entry point throws, so the JNI glue links either way.
#include <string>

#include "common.hpp"
#include "leanpo.h"

namespace {
[[noreturn]] void not_compiled(const char* fn) {
    throw leanpo::error(__FILE__, __LINE__,
                        std::string(fn) + ": this libleanpo was built without its CUDA part (no nvcc, or -Dleanpo.cuda=OFF); "
                                          "rebuild with the CUDA toolkit installed to use the GPU");
}
}  // namespace

extern "C" int leanpo_cuda_compiled(void) { return 0; }
extern "C" int leanpo_cuda_emulated(void) { return 0; }
extern "C" int leanpo_cuda_device_count(void) { return 0; }
extern "C" const char* leanpo_cuda_status(void) { return "not compiled in (built without nvcc or with -Dleanpo.cuda=OFF)"; }

extern "C" void leanpo_cuda_set_device(int) { not_compiled(__func__); }
extern "C" int leanpo_cuda_get_device(void) { not_compiled(__func__); }
extern "C" void* leanpo_cuda_malloc(int64_t, void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_free(void*, void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_memcpy(void*, const void*, int64_t, void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_memset(void*, int, int64_t, void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_fill_f32(float*, float, int64_t, void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_synchronize(void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_mem_info(int64_t*) { not_compiled(__func__); }
extern "C" int64_t leanpo_cuda_pool_peak(int) { not_compiled(__func__); }
extern "C" void leanpo_cuda_targets(const void*, int, int64_t, int64_t, int64_t, int64_t*, uint64_t*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_row_lse_target(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, float*, float*,
                                           uint64_t*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_row_grad(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, const float*,
                                     const float*, void*, const uint64_t*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_seq_reduce(const float*, const int64_t*, int64_t, const int64_t*, int64_t, int64_t, float*, float*,
                                       int64_t*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_pair_loss(int, float, float, int, float, float, double, const float*, const float*, const int64_t*,
                                      const float*, int64_t, int64_t, float*, float*, float*, float*, float*, uint64_t*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_row_weights(const int64_t*, const float*, const int64_t*, int64_t, int64_t, int64_t, float*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_tile_lse_merge(const float*, int64_t, int64_t, int64_t, int64_t, const float*, const int64_t*,
                                           int64_t, float*, float*, float*, int64_t, uint64_t*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_lse_finish(const float*, const float*, const float*, const int64_t*, int64_t, int64_t, float*, float*,
                                       void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_tile_grad(float*, int64_t, int64_t, int64_t, int64_t, const float*, const int64_t*, int64_t,
                                      const float*, const float*, void*, int, int64_t, const uint64_t*, void*) {
    not_compiled(__func__);
}
extern "C" void leanpo_cuda_convert(const void*, int, void*, int, int64_t, void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_gather_rows(const void*, int64_t, const int64_t*, int64_t, void*, void*) { not_compiled(__func__); }
extern "C" void leanpo_cuda_scatter_rows(const void*, int64_t, const int64_t*, int64_t, void*, void*) { not_compiled(__func__); }
