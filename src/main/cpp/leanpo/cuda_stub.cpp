// cuda_stub.cpp — compiled instead of src/main/cuda when the library is built without CUDA.
#include "leanpo.h"

extern "C" int leanpo_cuda_compiled(void) { return 0; }
extern "C" int leanpo_cuda_device_count(void) { return 0; }
extern "C" const char* leanpo_cuda_status(void) { return "not compiled in (built without nvcc or with -Dleanpo.cuda=OFF)"; }
