// cuda_common.cuh — what every leanpo CUDA kernel file shares: error checks that throw leanpo::error
// with file, line and the CUDA error string; element access per dtype with 16-byte vector loads;
// block reductions; the launch helper; the status block. Compiled by nvcc for the library, and by
// the host compiler with LEANPO_CUDA_EMULATE for the CPU emulation of the kernels (src/test/cuda).
#ifndef LEANPO_CUDA_COMMON_CUH
#define LEANPO_CUDA_COMMON_CUH

#include <stdint.h>

#include <string>

#include "leanpo/common.hpp"
#include "leanpo/leanpo.h"

#if defined(LEANPO_CUDA_EMULATE)
#include "cuda_emu.hpp"
#define LEANPO_DEV inline
#else
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define LEANPO_DEV __device__ __forceinline__
#endif

namespace leanpo {
namespace cuda {

#if !defined(LEANPO_CUDA_EMULATE)
#define LEANPO_CUDA_CHECK(expr)                                                                                 \
    do {                                                                                                        \
        const cudaError_t leanpo_err_ = (expr);                                                                 \
        if (leanpo_err_ != cudaSuccess)                                                                         \
            throw ::leanpo::error(__FILE__, __LINE__, std::string(#expr) + " failed: " +                        \
                                                          cudaGetErrorName(leanpo_err_) + " (" +                \
                                                          cudaGetErrorString(leanpo_err_) + ")");               \
    } while (0)
#endif

inline cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

// Launches kernel<<<grid, block, 0, stream>>>(args...) and checks the launch. Kernels use static
// shared memory only.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, void* stream, Args... args) {
#if defined(LEANPO_CUDA_EMULATE)
    (void)stream;
    emu::launch(grid, block, [&] { kernel(static_cast<Params>(args)...); });
#else
    kernel<<<grid, block, 0, as_stream(stream)>>>(static_cast<Params>(args)...);
    LEANPO_CUDA_CHECK(cudaGetLastError());
#endif
}

// Calls f(dtype_tag<D>{}) for the LEANPO_DTYPE_* code D, so a launch site names its kernel once:
//   with_dtype(dtype, [&](auto d) { launch(kernel<decltype(d)::value>, ...); });
template <int D>
struct dtype_tag {
    static constexpr int value = D;
};
template <class F>
void with_dtype(int dtype, F&& f) {
    ::leanpo::check_dtype(dtype);
    switch (dtype) {
        case LEANPO_DTYPE_F32: f(dtype_tag<LEANPO_DTYPE_F32>{}); break;
        case LEANPO_DTYPE_BF16: f(dtype_tag<LEANPO_DTYPE_BF16>{}); break;
        default: f(dtype_tag<LEANPO_DTYPE_F16>{}); break;
    }
}

// Most blocks a 1-D launch uses: the x dimension allows 2^31 − 1.
constexpr int64_t kMaxGrid = 2147483647;

inline unsigned grid_for(int64_t items, int per_block) {
    const int64_t g = (items + per_block - 1) / per_block;
    return static_cast<unsigned>(g < 1 ? 1 : (g > kMaxGrid ? kMaxGrid : g));
}

inline void check_rows(int64_t V, int64_t row_begin, int64_t row_end) {
    LEANPO_CHECK(V > 0, "V must be positive, got " + std::to_string(V));
    LEANPO_CHECK(row_begin >= 0 && row_begin <= row_end && row_end - row_begin <= kMaxGrid,
                 "bad row range [" + std::to_string(row_begin) + ", " + std::to_string(row_end) + ")");
}

inline void check_tile(int64_t rows, int64_t cols, int64_t ld, int64_t col_begin) {
    LEANPO_CHECK(rows >= 0 && rows <= kMaxGrid && cols > 0 && ld >= cols && col_begin >= 0,
                 "bad tile shape: rows " + std::to_string(rows) + ", cols " + std::to_string(cols) + ", ld " +
                     std::to_string(ld) + ", col_begin " + std::to_string(col_begin));
}

// ---- element access: fp32 math for every dtype ----

LEANPO_DEV float bf16_to_f32(uint16_t h) { return __uint_as_float(static_cast<unsigned>(h) << 16); }

// Round to nearest even, as the CPU kernels do; a NaN stays a NaN.
LEANPO_DEV uint16_t f32_to_bf16(float f) {
#if defined(LEANPO_CUDA_EMULATE)
    const unsigned u = __float_as_uint(f);
    if (f != f) return static_cast<uint16_t>((u >> 16) | 0x40);
    return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
#else
    return __bfloat16_as_ushort(__float2bfloat16_rn(f));
#endif
}

LEANPO_DEV float f16_to_f32(uint16_t h) {
#if defined(LEANPO_CUDA_EMULATE)
    _Float16 v;
    std::memcpy(&v, &h, 2);
    return static_cast<float>(v);
#else
    return __half2float(__ushort_as_half(h));
#endif
}

LEANPO_DEV uint16_t f32_to_f16(float f) {
#if defined(LEANPO_CUDA_EMULATE)
    const _Float16 v = static_cast<_Float16>(f);
    uint16_t h;
    std::memcpy(&h, &v, 2);
    return h;
#else
    return __half_as_ushort(__float2half_rn(f));
#endif
}

// Per dtype: the stored element type, N elements per 16-byte vector, and widening/narrowing.
template <int D>
struct io;
template <>
struct io<LEANPO_DTYPE_F32> {
    using T = float;
    static constexpr int N = 4;
    static LEANPO_DEV float load1(const T* p) { return *p; }
    static LEANPO_DEV void store1(T* p, float v) { *p = v; }
    static LEANPO_DEV void unpack(const uint4& u, float* f) {
        f[0] = __uint_as_float(u.x);
        f[1] = __uint_as_float(u.y);
        f[2] = __uint_as_float(u.z);
        f[3] = __uint_as_float(u.w);
    }
    static LEANPO_DEV uint4 pack(const float* f) {
        uint4 u;
        u.x = __float_as_uint(f[0]);
        u.y = __float_as_uint(f[1]);
        u.z = __float_as_uint(f[2]);
        u.w = __float_as_uint(f[3]);
        return u;
    }
};
template <int D>
struct io16 {
    using T = uint16_t;
    static constexpr int N = 8;
    static LEANPO_DEV float widen(uint16_t h) { return D == LEANPO_DTYPE_BF16 ? bf16_to_f32(h) : f16_to_f32(h); }
    static LEANPO_DEV uint16_t narrow(float f) { return D == LEANPO_DTYPE_BF16 ? f32_to_bf16(f) : f32_to_f16(f); }
    static LEANPO_DEV float load1(const T* p) { return widen(*p); }
    static LEANPO_DEV void store1(T* p, float v) { *p = narrow(v); }
    static LEANPO_DEV void unpack(const uint4& u, float* f) {
        const unsigned w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            f[2 * i] = widen(static_cast<uint16_t>(w[i] & 0xFFFFu));
            f[2 * i + 1] = widen(static_cast<uint16_t>(w[i] >> 16));
        }
    }
    static LEANPO_DEV uint4 pack(const float* f) {
        unsigned w[4];
#pragma unroll
        for (int i = 0; i < 4; ++i)
            w[i] = static_cast<unsigned>(narrow(f[2 * i])) | (static_cast<unsigned>(narrow(f[2 * i + 1])) << 16);
        uint4 u;
        u.x = w[0];
        u.y = w[1];
        u.z = w[2];
        u.w = w[3];
        return u;
    }
};
template <>
struct io<LEANPO_DTYPE_BF16> : io16<LEANPO_DTYPE_BF16> {};
template <>
struct io<LEANPO_DTYPE_F16> : io16<LEANPO_DTYPE_F16> {};

// A row of n elements at p split for 16-byte access: `head` scalars up to the first 16-byte boundary,
// `vecs` whole vectors, then `n − head − vecs·N` scalars. Rows of odd length (V = 32001) or odd
// offsets into an allocation are therefore fine; an element that is not even aligned to its own size
// cannot be read by any GPU kernel and is rejected by the Java layer before the call.
template <int D>
struct RowSplit {
    int64_t head, vecs;
    LEANPO_DEV RowSplit(const void* p, int64_t n) {
        constexpr int E = sizeof(typename io<D>::T);
        const int64_t mis = static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) & 15u);
        head = mis == 0 ? 0 : (16 - mis) / E;
        if (head > n) head = n;
        vecs = (n - head) / io<D>::N;
    }
};

// Running log-sum-exp state: max m and Σ exp(x − m) over the values seen.
struct Lse {
    float m, s;
};

// ---- reductions over a block (blockDim.x a multiple of 32, at most 1024 threads) ----

template <class T>
LEANPO_DEV T shfl_xor(T v, int m) {
    return __shfl_xor_sync(0xFFFFFFFFu, v, m);
}

template <class T, class Op>
LEANPO_DEV T warp_allreduce(T v, Op op) {
#pragma unroll
    for (int m = 16; m >= 1; m >>= 1) v = op(v, shfl_xor(v, m));
    return v;
}

// Every thread gets op over all threads' values, combined in a fixed order (deterministic).
template <class T, class Op>
LEANPO_DEV T block_allreduce(T v, Op op) {
    __shared__ T partial[32];
    const int lane = static_cast<int>(threadIdx.x & 31u), warp = static_cast<int>(threadIdx.x >> 5);
    const int warps = static_cast<int>((blockDim.x + 31u) >> 5);
    v = warp_allreduce(v, op);
    __syncthreads();  // the previous use of `partial` is complete
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    T r = partial[0];
    for (int w = 1; w < warps; ++w) r = op(r, partial[w]);
    return r;
}

// Shuffles only take built-in types: move a state as its two floats.
template <>
LEANPO_DEV Lse shfl_xor<Lse>(Lse v, int m) {
    return Lse{__shfl_xor_sync(0xFFFFFFFFu, v.m, m), __shfl_xor_sync(0xFFFFFFFFu, v.s, m)};
}

// Merges two states. An empty state (s = 0) contributes nothing, so −inf maxima never meet.
LEANPO_DEV Lse lse_merge(Lse a, Lse b) {
    if (b.s == 0.0f) return a;
    if (a.s == 0.0f) return b;
    if (b.m > a.m) {
        const Lse t = a;
        a = b;
        b = t;
    }
    return Lse{a.m, a.s + b.s * exp2f((b.m - a.m) * 1.4426950408889634f)};
}

constexpr float kLog2e = 1.4426950408889634f;

// Adds k values to a running state. The differences x − m are taken before scaling by log2(e), so
// the exponent carries only the rounding of a small number, not of the logit's magnitude.
template <int K>
LEANPO_DEV void lse_add(Lse& st, const float* x) {
    float vm = x[0];
#pragma unroll
    for (int i = 1; i < K; ++i) vm = fmaxf(vm, x[i]);
    const float m = fmaxf(st.m, vm);
    float s = st.s == 0.0f ? 0.0f : st.s * exp2f((st.m - m) * kLog2e);
#pragma unroll
    for (int i = 0; i < K; ++i) s += exp2f((x[i] - m) * kLog2e);
    st.m = m;
    st.s = s;
}

// x·0 is NaN exactly when x is NaN or ±inf: one FMA per value tracks finiteness.
template <int K>
LEANPO_DEV void finite_track(float& acc, const float* x) {
#pragma unroll
    for (int i = 0; i < K; ++i) acc = fmaf(x[i], 0.0f, acc);
}

LEANPO_DEV bool status_clear(const uint64_t* status) {
    return status[LEANPO_STATUS_NONFINITE_ROW] == ~0ull && status[LEANPO_STATUS_BAD_TARGET_ROW] == ~0ull &&
           status[LEANPO_STATUS_EMPTY_SEQUENCE] == ~0ull;
}

LEANPO_DEV void status_record(uint64_t* status, int word, int64_t index) {
    atomicMin(reinterpret_cast<unsigned long long*>(status + word), static_cast<unsigned long long>(index));
}

}  // namespace cuda
}  // namespace leanpo

#endif
