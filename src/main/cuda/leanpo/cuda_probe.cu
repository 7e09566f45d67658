// cuda_probe.cu — run-time detection of CUDA devices. The CUDA runtime is linked statically, so the
// library loads on machines with no GPU and no driver; cudaGetDeviceCount then reports an error,
// which we turn into "0 devices" plus a status line, never an exception or an abort.
#include <cuda_runtime.h>

#include <mutex>
#include <string>

#include "leanpo/leanpo.h"

namespace {
std::once_flag g_once;
int g_devices = 0;
std::string g_status;

void probe() {
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
        g_devices = 0;
        g_status = std::string("no usable GPU: ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
        cudaGetLastError();  // clear the sticky-free error state
        return;
    }
    g_devices = n;
    if (n == 0) {
        g_status = "CUDA runtime found no device";
        return;
    }
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        g_status = std::to_string(n) + " device(s); device 0: " + prop.name + " (sm_" + std::to_string(prop.major) +
                   std::to_string(prop.minor) + ")";
    else
        g_status = std::to_string(n) + " device(s)";
}
}  // namespace

extern "C" int leanpo_cuda_compiled(void) { return 1; }
extern "C" int leanpo_cuda_emulated(void) { return 0; }
extern "C" int leanpo_cuda_device_count(void) {
    std::call_once(g_once, probe);
    return g_devices;
}
extern "C" const char* leanpo_cuda_status(void) {
    std::call_once(g_once, probe);
    return g_status.c_str();
}
