// Row kernels built for baseline x86-64 (SSE2): the fallback on CPUs without AVX2.
#define LEANPO_ISA generic
#include "row_kernels.inc"
