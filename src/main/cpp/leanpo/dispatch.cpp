// dispatch.cpp — library information, thread settings, and the run-time choice of the CPU row
// kernels' instruction set (AVX2+FMA+F16C when the CPU has them, baseline x86-64 otherwise).
#include <atomic>
#include <cstring>
#include <string>

#include "common.hpp"
#include "leanpo.h"

#ifndef LEANPO_VERSION
#define LEANPO_VERSION "unknown"
#endif

namespace leanpo {
namespace avx2 {
int64_t row_lse_target(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, float*, float*);
void row_grad(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, const float*, const float*, void*);
}  // namespace avx2
namespace generic {
int64_t row_lse_target(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, float*, float*);
void row_grad(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, const float*, const float*, void*);
}  // namespace generic

namespace {
bool cpu_has_avx2() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return false;
#endif
}
std::atomic<bool> g_use_avx2{cpu_has_avx2()};

void check_rows(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end, const int64_t* targets) {
    check_dtype(dtype);
    LEANPO_CHECK(logits != nullptr && targets != nullptr, "null logits or targets pointer");
    LEANPO_CHECK(V > 0, "V must be positive, got " + std::to_string(V));
    LEANPO_CHECK(row_begin >= 0 && row_begin <= row_end, "bad row range [" + std::to_string(row_begin) + ", " + std::to_string(row_end) + ")");
}
}  // namespace
}  // namespace leanpo

using namespace leanpo;

extern "C" const char* leanpo_version(void) { return LEANPO_VERSION; }

extern "C" const char* leanpo_cpu_isa(void) { return g_use_avx2.load() ? "avx2+fma+f16c" : "generic"; }

extern "C" int leanpo_cpu_select_isa(const char* name) {
    LEANPO_CHECK(name != nullptr, "null ISA name");
    if (std::strcmp(name, "generic") == 0) {
        g_use_avx2.store(false);
        return 1;
    }
    if (std::strcmp(name, "avx2") == 0) {
        if (!cpu_has_avx2()) return 0;
        g_use_avx2.store(true);
        return 1;
    }
    throw leanpo::error(__FILE__, __LINE__, std::string("unknown ISA '") + name + "' (use avx2 or generic)");
}

extern "C" void leanpo_set_num_threads(int n) { set_num_threads(n); }
extern "C" int leanpo_get_num_threads(void) { return get_num_threads(); }

extern "C" int64_t leanpo_cpu_row_lse_target(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                                             const int64_t* targets, int64_t ignore_index, float* lse, float* logp) {
    check_rows(logits, dtype, V, row_begin, row_end, targets);
    LEANPO_CHECK(lse != nullptr && logp != nullptr, "null lse or logp pointer");
    return g_use_avx2.load() ? avx2::row_lse_target(logits, dtype, V, row_begin, row_end, targets, ignore_index, lse, logp)
                             : generic::row_lse_target(logits, dtype, V, row_begin, row_end, targets, ignore_index, lse, logp);
}

extern "C" void leanpo_cpu_row_grad(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                                    const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight,
                                    void* grad) {
    check_rows(logits, dtype, V, row_begin, row_end, targets);
    LEANPO_CHECK(lse != nullptr && row_weight != nullptr && grad != nullptr, "null lse, row_weight or grad pointer");
    if (g_use_avx2.load())
        avx2::row_grad(logits, dtype, V, row_begin, row_end, targets, ignore_index, lse, row_weight, grad);
    else
        generic::row_grad(logits, dtype, V, row_begin, row_end, targets, ignore_index, lse, row_weight, grad);
}
