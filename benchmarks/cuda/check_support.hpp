// check_support.hpp — what leanpo_cuda_check needs around the kernels: device buffers through the
// library's own runtime entry points, fp32/bf16/f16 host conversions, random inputs, the comparison
// with tolerances, and the row-major GEMM the fused-linear step uses (cuBLAS, loaded at run time, on
// a GPU; a plain fp64-accumulating loop under the CPU emulation).
#ifndef LEANPO_CHECK_SUPPORT_HPP
#define LEANPO_CHECK_SUPPORT_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "leanpo/leanpo.h"

namespace check {

inline size_t dtype_bytes(int dtype) { return dtype == LEANPO_DTYPE_F32 ? 4 : 2; }
inline const char* dtype_name(int dtype) {
    return dtype == LEANPO_DTYPE_F32 ? "f32" : dtype == LEANPO_DTYPE_BF16 ? "bf16" : "f16";
}

// Device memory owned for the length of a check. Copies synchronise, so host data is ready after them.
template <class T>
struct DevBuf {
    T* p = nullptr;
    size_t n = 0;
    DevBuf() = default;
    explicit DevBuf(size_t count) : n(count) { p = static_cast<T*>(leanpo_cuda_malloc(static_cast<int64_t>(bytes() ? bytes() : 1), nullptr)); }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    ~DevBuf() {
        if (p) leanpo_cuda_free(p, nullptr);
    }
    size_t bytes() const { return n * sizeof(T); }
    void upload(const T* host, size_t count) {
        leanpo_cuda_memcpy(p, host, static_cast<int64_t>(count * sizeof(T)), nullptr);
        leanpo_cuda_synchronize(nullptr);
    }
    void upload(const std::vector<T>& host) { upload(host.data(), host.size()); }
    std::vector<T> download(size_t count) const {
        std::vector<T> h(count);
        leanpo_cuda_synchronize(nullptr);
        leanpo_cuda_memcpy(h.data(), p, static_cast<int64_t>(count * sizeof(T)), nullptr);
        leanpo_cuda_synchronize(nullptr);
        return h;
    }
    std::vector<T> download() const { return download(n); }
    void poison() { leanpo_cuda_memset(p, 0xFF, static_cast<int64_t>(bytes()), nullptr); }  // NaN in every float type
};

// Host values in a dtype, as raw bytes, with their exact fp32 (and so fp64) values.
struct Typed {
    int dtype;
    std::vector<unsigned char> raw;
    std::vector<float> values;  // exactly what the raw elements hold
};

inline Typed make_typed(int dtype, const std::vector<float>& src) {
    Typed t{dtype, std::vector<unsigned char>(src.size() * dtype_bytes(dtype)), std::vector<float>(src.size())};
    leanpo_cpu_convert(src.data(), LEANPO_DTYPE_F32, t.raw.data(), dtype, static_cast<int64_t>(src.size()));
    leanpo_cpu_convert(t.raw.data(), dtype, t.values.data(), LEANPO_DTYPE_F32, static_cast<int64_t>(src.size()));
    return t;
}

inline std::vector<float> widen(int dtype, const void* raw, size_t n) {
    std::vector<float> out(n);
    leanpo_cpu_convert(raw, dtype, out.data(), LEANPO_DTYPE_F32, static_cast<int64_t>(n));
    return out;
}

struct Rng {
    std::mt19937_64 g;
    explicit Rng(uint64_t seed) : g(seed) {}
    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(g); }
    double normal(double s) { return std::normal_distribution<double>(0.0, s)(g); }
    int64_t integer(int64_t a, int64_t b) { return std::uniform_int_distribution<int64_t>(a, b)(g); }  // [a, b]
    bool chance(double p) { return uniform(0.0, 1.0) < p; }
};

// |got − ref| ≤ atol + rtol·|ref| for every element; NaN in either side fails unless both are NaN
// and NaN was expected. Keeps the worst errors for the report.
struct Compare {
    std::string what;
    double atol, rtol;
    double max_abs = 0, max_rel = 0;
    int64_t bad = 0, count = 0, first_bad = -1;
    double first_got = 0, first_ref = 0;
    Compare(std::string w, double a, double r) : what(std::move(w)), atol(a), rtol(r) {}
    void add(int64_t i, double got, double ref, double extra_atol = 0.0) {
        ++count;
        const double err = std::fabs(got - ref);
        const bool ok = std::isfinite(got) && std::isfinite(ref) ? err <= atol + extra_atol + rtol * std::fabs(ref)
                                                                 : (std::isnan(got) && std::isnan(ref)) || got == ref;
        if (std::isfinite(err)) {
            max_abs = std::max(max_abs, err);
            if (std::fabs(ref) > 1e-3) max_rel = std::max(max_rel, err / std::fabs(ref));
        }
        if (!ok) {
            if (bad == 0) {
                first_bad = i;
                first_got = got;
                first_ref = ref;
            }
            ++bad;
        }
    }
};

struct Report {
    int failures = 0;
    int checks = 0;
    bool verbose = false;
    void take(const Compare& c) {
        ++checks;
        if (c.bad > 0) {
            ++failures;
            std::printf("FAIL %-58s %lld of %lld off (first at %lld: got %.9g, want %.9g); max abs %.3g, max rel %.3g\n",
                        c.what.c_str(), static_cast<long long>(c.bad), static_cast<long long>(c.count),
                        static_cast<long long>(c.first_bad), c.first_got, c.first_ref, c.max_abs, c.max_rel);
        } else if (verbose) {
            std::printf("ok   %-58s n=%-9lld max abs %.3g, max rel %.3g\n", c.what.c_str(), static_cast<long long>(c.count),
                        c.max_abs, c.max_rel);
        }
    }
    void expect(bool cond, const std::string& what) {
        ++checks;
        if (!cond) {
            ++failures;
            std::printf("FAIL %s\n", what.c_str());
        } else if (verbose) {
            std::printf("ok   %s\n", what.c_str());
        }
    }
};

// Row-major C[m×n] (fp32, ldc) = α·op(A)[m×k]·op(B)[k×n] + β·C, A and B of one dtype; fp32 accumulation.
struct Gemm {
    virtual ~Gemm() = default;
    virtual void run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* b,
                     int64_t ldb, int dtype, float beta, float* c, int64_t ldc, void* stream) = 0;
    virtual const char* name() const = 0;
};

std::unique_ptr<Gemm> make_gemm();  // cuBLAS on a GPU; the emulation's reference loop otherwise

}  // namespace check

#endif
