// dispatch.cpp — library information, thread settings, and the run-time choice of the CPU row
// kernels' instruction set (AVX2+FMA+F16C when the CPU has them, baseline x86-64 otherwise).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>

#include "common.hpp"
#include "leanpo.h"

#ifndef LEANPO_VERSION
#define LEANPO_VERSION "unknown"
#endif

namespace leanpo {
#define LEANPO_DECLARE_ISA_KERNELS                                                                                   \
    int64_t row_lse_target(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, float*, float*);    \
    void row_grad(const void*, int, int64_t, int64_t, int64_t, const int64_t*, int64_t, const float*, const float*, \
                  void*);                                                                                          \
    int64_t tile_lse_merge(const float*, int64_t, int64_t, int64_t, int64_t, const float*, const int64_t*, int64_t, \
                           float*, float*, float*);                                                                 \
    void tile_grad(float*, int64_t, int64_t, int64_t, int64_t, const float*, const int64_t*, int64_t, const float*, \
                   const float*);                                                                                  \
    void convert(const void*, int, void*, int, int64_t);
namespace avx2 {
LEANPO_DECLARE_ISA_KERNELS
}  // namespace avx2
namespace generic {
LEANPO_DECLARE_ISA_KERNELS
}  // namespace generic
#undef LEANPO_DECLARE_ISA_KERNELS

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

// The kernels of the ISA selected now; one place decides for every entry point below.
#define LEANPO_ISA_CALL(fn, ...) (g_use_avx2.load() ? avx2::fn(__VA_ARGS__) : generic::fn(__VA_ARGS__))

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
    return LEANPO_ISA_CALL(row_lse_target, logits, dtype, V, row_begin, row_end, targets, ignore_index, lse, logp);
}

extern "C" void leanpo_cpu_row_grad(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                                    const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight,
                                    void* grad) {
    check_rows(logits, dtype, V, row_begin, row_end, targets);
    LEANPO_CHECK(lse != nullptr && row_weight != nullptr && grad != nullptr, "null lse, row_weight or grad pointer");
    LEANPO_ISA_CALL(row_grad, logits, dtype, V, row_begin, row_end, targets, ignore_index, lse, row_weight, grad);
}


extern "C" int64_t leanpo_cpu_tile_lse_merge(const float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin,
                                             const float* bias, const int64_t* targets, int64_t ignore_index, float* run_max,
                                             float* run_sum, float* tgt_logit) {
    LEANPO_CHECK(tile && targets && run_max && run_sum && tgt_logit, "null pointer argument");
    LEANPO_CHECK(rows >= 0 && cols > 0 && ld >= cols && col_begin >= 0, "bad tile shape");
    return LEANPO_ISA_CALL(tile_lse_merge, tile, rows, cols, ld, col_begin, bias, targets, ignore_index, run_max, run_sum,
                           tgt_logit);
}

extern "C" void leanpo_cpu_lse_finish(const float* run_max, const float* run_sum, const float* tgt_logit, const int64_t* targets,
                                      int64_t ignore_index, int64_t rows, float* lse, float* logp) {
    LEANPO_CHECK(run_max && run_sum && tgt_logit && targets && lse && logp, "null pointer argument");
    for (int64_t r = 0; r < rows; ++r) {
        if (targets[r] == ignore_index) {
            lse[r] = 0.0f;
            logp[r] = 0.0f;
            continue;
        }
        lse[r] = run_max[r] + std::log(run_sum[r]);
        logp[r] = tgt_logit[r] - lse[r];
    }
}

extern "C" void leanpo_cpu_tile_grad(float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin, const float* bias,
                                     const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight) {
    LEANPO_CHECK(tile && targets && lse && row_weight, "null pointer argument");
    LEANPO_CHECK(rows >= 0 && cols > 0 && ld >= cols && col_begin >= 0, "bad tile shape");
    LEANPO_ISA_CALL(tile_grad, tile, rows, cols, ld, col_begin, bias, targets, ignore_index, lse, row_weight);
}

extern "C" void leanpo_cpu_convert(const void* src, int src_dtype, void* dst, int dst_dtype, int64_t n) {
    check_dtype(src_dtype);
    check_dtype(dst_dtype);
    LEANPO_CHECK(n >= 0 && (n == 0 || (src && dst)), "null pointer argument");
    LEANPO_ISA_CALL(convert, src, src_dtype, dst, dst_dtype, n);
}

extern "C" void leanpo_cpu_gather_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst) {
    LEANPO_CHECK(n == 0 || (src && index && dst), "null pointer argument");
    const char* s = static_cast<const char*>(src);
    char* d = static_cast<char*>(dst);
    parallel_for(n, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(row_bytes, 1)), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) std::memcpy(d + i * row_bytes, s + index[i] * row_bytes, static_cast<size_t>(row_bytes));
    });
}

extern "C" void leanpo_cpu_scatter_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst) {
    LEANPO_CHECK(n == 0 || (src && index && dst), "null pointer argument");
    const char* s = static_cast<const char*>(src);
    char* d = static_cast<char*>(dst);
    parallel_for(n, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(row_bytes, 1)), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) std::memcpy(d + index[i] * row_bytes, s + i * row_bytes, static_cast<size_t>(row_bytes));
    });
}
