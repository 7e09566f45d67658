// gemm_cublas.cpp — cuBLAS for leanpo_cuda_check, loaded at run time (the build machine's toolkit
// may have no cuBLAS; the GPU machine's does, or PyTorch's wheel carries it): set LEANPO_CUBLAS to
// the library's path, or let the dynamic loader find libcublas.so.13 / .12.
//
// Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands swap, m and n swap,
// and each keeps its own transpose flag. fp32 accumulation (CUBLAS_COMPUTE_32F) for every dtype;
// f32 operands stay full fp32 (no TF32: cuBLAS's default math mode).
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstdlib>

#include "check_support.hpp"

namespace check {
namespace {

// The few cuBLAS declarations used, with the values of its public enums.
constexpr int kOpN = 0, kOpT = 1;
constexpr int kR32F = 0, kR16F = 2, kR16BF = 14;  // cudaDataType_t
constexpr int kCompute32F = 68;                    // CUBLAS_COMPUTE_32F
constexpr int kGemmDefault = -1;                   // CUBLAS_GEMM_DEFAULT
using CreateFn = int (*)(void**);
using SetStreamFn = int (*)(void*, cudaStream_t);
using GemmExFn = int (*)(void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int, const void*,
                         void*, int, int, int, int);

struct CublasGemm : Gemm {
    void* lib = nullptr;
    void* handle = nullptr;
    SetStreamFn set_stream = nullptr;
    GemmExFn gemm_ex = nullptr;
    std::string from;

    CublasGemm() {
        const char* env = std::getenv("LEANPO_CUBLAS");
        for (const char* name : {env, "libcublas.so.13", "libcublas.so.12", "libcublas.so"}) {
            if (!name) continue;
            lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
            if (lib) {
                from = name;
                break;
            }
        }
        if (!lib)
            throw std::runtime_error("cuBLAS not found (" + std::string(dlerror()) +
                                     "); set LEANPO_CUBLAS to libcublas.so's path or add its folder to LD_LIBRARY_PATH");
        auto create = reinterpret_cast<CreateFn>(dlsym(lib, "cublasCreate_v2"));
        set_stream = reinterpret_cast<SetStreamFn>(dlsym(lib, "cublasSetStream_v2"));
        gemm_ex = reinterpret_cast<GemmExFn>(dlsym(lib, "cublasGemmEx"));
        if (!create || !set_stream || !gemm_ex) throw std::runtime_error("cuBLAS at " + from + " lacks cublasGemmEx");
        if (create(&handle) != 0) throw std::runtime_error("cublasCreate failed");
    }

    void run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* b, int64_t ldb,
             int dtype, float beta, float* c, int64_t ldc, void* stream) override {
        const int t = dtype == LEANPO_DTYPE_F32 ? kR32F : dtype == LEANPO_DTYPE_BF16 ? kR16BF : kR16F;
        const float alpha = 1.0f;
        set_stream(handle, static_cast<cudaStream_t>(stream));
        const int st = gemm_ex(handle, trans_b ? kOpT : kOpN, trans_a ? kOpT : kOpN, static_cast<int>(n), static_cast<int>(m),
                               static_cast<int>(k), &alpha, b, t, static_cast<int>(ldb), a, t, static_cast<int>(lda), &beta, c,
                               kR32F, static_cast<int>(ldc), kCompute32F, kGemmDefault);
        if (st != 0) throw std::runtime_error("cublasGemmEx failed with status " + std::to_string(st));
    }
    const char* name() const override { return from.c_str(); }
};

}  // namespace

std::unique_ptr<Gemm> make_gemm() { return std::make_unique<CublasGemm>(); }

}  // namespace check
