// row_bench.cpp — times the two CPU row passes of the logits-in head on their own, without Java:
// pass 1 (leanpo_cpu_row_lse_target: reads T×V once) and pass 2 (leanpo_cpu_row_grad: reads T×V,
// writes T×V). Used to measure each kernel change in isolation (benchmarks/RESULTS.md).
//   cmake --build target/native --target leanpo_row_bench && target/native/leanpo_row_bench [dtype] [T] [V] [reps]
//   dtype: 0 = f32, 1 = bf16, 2 = f16. Prints per-repetition times and the median.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "leanpo/leanpo.h"

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char** argv) {
    const int dtype = argc > 1 ? std::atoi(argv[1]) : 0;
    const int64_t T = argc > 2 ? std::atoll(argv[2]) : 4096;
    const int64_t V = argc > 3 ? std::atoll(argv[3]) : 32768;
    const int reps = argc > 4 ? std::atoi(argv[4]) : 7;
    const size_t es = dtype == 0 ? 4 : 2;
    const size_t bytes = static_cast<size_t>(T * V) * es;
    char* x = static_cast<char*>(std::aligned_alloc(64, bytes));
    char* g = static_cast<char*>(std::aligned_alloc(64, bytes));
    if (!x || !g) {
        std::fprintf(stderr, "out of memory for T=%lld V=%lld\n", (long long)T, (long long)V);
        return 1;
    }
    uint32_t s = 1;
    for (int64_t i = 0; i < T * V; i++) {
        s = s * 1664525u + 1013904223u;
        float f = ((s >> 8) * (1.0f / 16777216.0f) - 0.5f) * 8.0f;
        if (dtype == 0) {
            reinterpret_cast<float*>(x)[i] = f;
        } else {
            uint32_t u;
            std::memcpy(&u, &f, 4);
            reinterpret_cast<uint16_t*>(x)[i] = static_cast<uint16_t>(u >> 16);  // bf16 pattern (valid f16 too for the timing)
        }
    }
    std::memset(g, 0, bytes);
    std::vector<int64_t> y(T);
    for (auto& v : y) v = std::rand() % V;
    std::vector<float> lse(T), logp(T), w(T, 1e-3f);
    std::vector<double> p1, p2;
    for (int r = 0; r < reps; r++) {
        const double t0 = now();
        leanpo_cpu_row_lse_target(x, dtype, V, 0, T, y.data(), -100, lse.data(), logp.data());
        const double t1 = now();
        leanpo_cpu_row_grad(x, dtype, V, 0, T, y.data(), -100, lse.data(), w.data(), g);
        const double t2 = now();
        p1.push_back(t1 - t0);
        p2.push_back(t2 - t1);
        std::printf("pass1 %.1f ms  pass2 %.1f ms  total %.1f ms\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t2 - t0) * 1e3);
    }
    std::sort(p1.begin(), p1.end());
    std::sort(p2.begin(), p2.end());
    const double m1 = p1[reps / 2], m2 = p2[reps / 2];
    std::printf("median: pass1 %.1f ms (%.1f GB/s read), pass2 %.1f ms (%.1f GB/s read+write), sum %.1f ms = %.2f GB/s over ideal bytes; %d threads, %s\n",
                m1 * 1e3, bytes / m1 / 1e9, m2 * 1e3, 2.0 * bytes / m2 / 1e9, (m1 + m2) * 1e3, 2.0 * bytes / (m1 + m2) / 1e9,
                leanpo_get_num_threads(), leanpo_cpu_isa());
    std::free(x);
    std::free(g);
    return 0;
}
