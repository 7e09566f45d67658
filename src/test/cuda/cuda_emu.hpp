// cuda_emu.hpp — runs leanpo's CUDA kernels on the CPU, so that their logic (indexing, masking,
// reductions, barriers, shuffles, alignment handling) is checked against the CPU reference on
// machines without a GPU, in CI. It is not a GPU model: it says nothing about speed, memory
// ordering between blocks, or the device's floating-point intrinsics, which the device run covers.
//
// How it runs a launch: blocks one after another; inside a block every CUDA thread is a fiber
// (ucontext) on the calling OS thread, scheduled round-robin. __syncthreads parks a fiber until every
// live thread of the block has arrived; warp shuffles exchange through per-lane slots behind a warp
// barrier. A barrier that can never complete (a __syncthreads inside a branch that some threads skip,
// a shuffle whose partner lane has exited) is reported as an error instead of hanging.
//
// Because blocks run one at a time, a function-scope `static` is exactly one block's shared memory,
// which is what __shared__ becomes here. Kernels must not wait on other blocks (no grid-wide sync).
//
// Only what leanpo's kernels use is provided; a kernel that needs more fails to compile here first.
#ifndef LEANPO_CUDA_EMU_HPP
#define LEANPO_CUDA_EMU_HPP

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct alignas(16) uint4 {
    unsigned x, y, z, w;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
typedef void* cudaStream_t;

namespace leanpo {
namespace emu {
const dim3& thread_idx();
const dim3& block_idx();
const dim3& block_dim();
const dim3& grid_dim();
void sync_threads();
// Writes this lane's 8-byte slot, waits for the warp, reads lane src's slot, waits again.
uint64_t warp_exchange(uint64_t mine, int src_lane);
int lane_id();
// Runs body once per thread of every block of the grid. Throws leanpo::error on a deadlock or when
// a thread throws.
void launch(dim3 grid, dim3 block, const std::function<void()>& body);

template <class T>
uint64_t to_bits(T v) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffled values are at most 8 bytes");
    uint64_t u = 0;
    std::memcpy(&u, &v, sizeof(T));
    return u;
}
template <class T>
T from_bits(uint64_t u) {
    T v;
    std::memcpy(&v, &u, sizeof(T));
    return v;
}
}  // namespace emu
}  // namespace leanpo

#define threadIdx (::leanpo::emu::thread_idx())
#define blockIdx (::leanpo::emu::block_idx())
#define blockDim (::leanpo::emu::block_dim())
#define gridDim (::leanpo::emu::grid_dim())

inline void __syncthreads() { ::leanpo::emu::sync_threads(); }

template <class T>
T __shfl_xor_sync(unsigned, T v, int lane_mask) {
    return ::leanpo::emu::from_bits<T>(::leanpo::emu::warp_exchange(::leanpo::emu::to_bits(v), ::leanpo::emu::lane_id() ^ lane_mask));
}

// Fibers share one OS thread and switch only at barriers, so a plain read-modify-write is atomic here.
inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
    const unsigned long long old = *p;
    if (v < old) *p = v;
    return old;
}

inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline unsigned __float_as_uint(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}
template <class T>
T __ldg(const T* p) {
    return *p;
}
template <class T>
void __stcs(T* p, T v) {
    *p = v;
}

#endif
