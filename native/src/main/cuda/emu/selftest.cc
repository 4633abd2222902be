// The fiber runtime's own checks, run by build.sh after every build: barriers and shuffles give
// CUDA's results, shared memory is per block, and divergence (which CUDA leaves undefined) fails
// the launch with a message instead of running on.
#include <stdio.h>
#include <string.h>

#include "shim/cuda_runtime.h"

static int failures = 0;
#define CHECK(cond, ...)                         \
  do {                                           \
    if (!(cond)) {                               \
      fprintf(stderr, "selftest: " __VA_ARGS__); \
      fprintf(stderr, "\n");                     \
      failures++;                                \
    }                                            \
  } while (0)

// Block sum through shared memory and a warp reduction; thread 0 writes the block's sum.
__global__ void block_sum(const float* x, float* y) {
  __shared__ float warpSums[32];
  float v = x[blockIdx.x * blockDim.x + threadIdx.x];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if ((threadIdx.x & 31) == 0) warpSums[threadIdx.x >> 5] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    float s = 0;
    for (unsigned w = 0; w < blockDim.x / 32; w++) s += warpSums[w];
    y[blockIdx.x] = s;
  }
}

// Half the block leaves before a barrier the other half waits at.
__global__ void early_exit(float* y) {
  if (threadIdx.x < 16) return;
  __syncthreads();
  y[threadIdx.x] = 1;
}

// Two barriers on two paths.
__global__ void two_barriers(float* y) {
  if (threadIdx.x & 1) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  y[threadIdx.x] = 2;
}

// A shuffle that half a warp skips.
__global__ void half_warp_shuffle(float* y) {
  float v = (float)threadIdx.x;
  if (threadIdx.x < 16) v = __shfl_xor_sync(0xffffffffu, v, 1);
  y[threadIdx.x] = v;
}

static void t_block_sum(void* const* a) { block_sum(*(const float* const*)a[0], *(float* const*)a[1]); }
static void t_early_exit(void* const* a) { early_exit(*(float* const*)a[0]); }
static void t_two_barriers(void* const* a) { two_barriers(*(float* const*)a[0]); }
static void t_half_warp(void* const* a) { half_warp_shuffle(*(float* const*)a[0]); }

int main() {
  braid_emu::Exec exec;
  {
    const int blocks = 3, threads = 128;
    static float x[blocks * threads], y[blocks];
    for (int i = 0; i < blocks * threads; i++) x[i] = (float)(i % 7);
    const float* px = x;
    float* py = y;
    void* args[] = {&px, &py};
    bool ok = braid_emu::run_grid(exec, t_block_sum, args, uint3{blocks, 1, 1}, uint3{threads, 1, 1}, "block_sum");
    CHECK(ok, "block_sum failed: %s", exec.error);
    for (int b = 0; b < blocks; b++) {
      float want = 0;
      for (int i = 0; i < threads; i++) want += x[b * threads + i];
      CHECK(y[b] == want, "block_sum block %d: %g, expected %g", b, y[b], want);
    }
  }
  static float out[64];
  float* po = out;
  void* args[] = {&po};
  struct Case {
    braid_emu::Trampoline t;
    const char* name;
    const char* expect;
  } divergent[] = {
      {t_early_exit, "early_exit", "have exited"},
      {t_two_barriers, "two_barriers", "barrier divergence"},
      {t_half_warp, "half_warp_shuffle", "warp divergence"},
  };
  for (const Case& c : divergent) {
    bool ok = braid_emu::run_grid(exec, c.t, args, uint3{1, 1, 1}, uint3{32, 1, 1}, c.name);
    CHECK(!ok, "%s: divergence went unnoticed", c.name);
    CHECK(strstr(exec.error, c.expect) != nullptr && strstr(exec.error, c.name) != nullptr,
          "%s: expected a message with '%s', got '%s'", c.name, c.expect, exec.error);
  }
  if (failures == 0) printf("braid emulated GPU: fiber runtime self-test passed\n");
  return failures == 0 ? 0 : 1;
}
