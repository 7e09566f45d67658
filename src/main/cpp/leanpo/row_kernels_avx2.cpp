// Row kernels built for AVX2 + FMA + F16C (selected at run time when the CPU has them).
#define LEANPO_ISA avx2
#define LEANPO_WITH_F16C 1
#include "row_kernels.inc"
