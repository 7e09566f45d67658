// gemm_emu.cpp — the GEMM of leanpo_cuda_check under the CPU emulation: "device" memory is host
// memory, so a plain loop with fp64 accumulation stands in for cuBLAS (small shapes only).
#include "check_support.hpp"

namespace check {
namespace {

struct LoopGemm : Gemm {
    void run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* b, int64_t ldb,
             int dtype, float beta, float* c, int64_t ldc, void*) override {
        const int64_t a_rows = trans_a ? k : m, b_rows = trans_b ? n : k;
        const std::vector<float> A = widen(dtype, a, static_cast<size_t>(a_rows * lda));
        const std::vector<float> B = widen(dtype, b, static_cast<size_t>(b_rows * ldb));
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
                double s = 0;
                for (int64_t q = 0; q < k; ++q) {
                    const double av = trans_a ? A[q * lda + i] : A[i * lda + q];
                    const double bv = trans_b ? B[j * ldb + q] : B[q * ldb + j];
                    s += av * bv;
                }
                float& out = c[i * ldc + j];
                out = static_cast<float>(s + (beta != 0.0f ? static_cast<double>(beta) * out : 0.0));
            }
    }
    const char* name() const override { return "emulation loop (fp64 accumulation)"; }
};

}  // namespace

std::unique_ptr<Gemm> make_gemm() { return std::make_unique<LoopGemm>(); }

}  // namespace check
