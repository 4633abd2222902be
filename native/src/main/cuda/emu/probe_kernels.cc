// Kernels that exist only in the emulator, so that tests can reach its checks from Java through
// the driver API: Braid's kernels are convergent by design, so none of them can show what a
// divergent barrier does to a launch. A module reaches these only when its image names them (a
// test builds such an image); Braid's fatbin never does, and they are not in the signature table
// (kernel_signatures.txt), which lists Braid's kernels.
#include <cuda_runtime.h>

#include "kernels.h"

// Threads from n on leave before the barrier the others wait at: divergence when n < blockDim.x.
extern "C" __global__ void braid_emu_probe_divergent_barrier(float* y, int n) {
  if ((int)threadIdx.x >= n) return;
  __syncthreads();
  y[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f;
}

// The same work with the barrier reached by every thread: the control case.
extern "C" __global__ void braid_emu_probe_uniform_barrier(float* y, int n) {
  __syncthreads();
  if ((int)threadIdx.x < n) y[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f;
}

namespace {
void t_divergent(void* const* a) { braid_emu_probe_divergent_barrier(*(float* const*)a[0], *(const int*)a[1]); }
void t_uniform(void* const* a) { braid_emu_probe_uniform_barrier(*(float* const*)a[0], *(const int*)a[1]); }
const braid_emu::Param kParams[] = {{sizeof(float*), alignof(float*), "ptr", "float*"},
                                    {sizeof(int), alignof(int), "i32", "int"}};
}  // namespace

extern const braid_emu::KernelEntry braid_emu_probe_kernels[] = {
    {"braid_emu_probe_divergent_barrier", t_divergent, 2, kParams},
    {"braid_emu_probe_uniform_barrier", t_uniform, 2, kParams},
};
extern const int braid_emu_probe_kernel_count = 2;
