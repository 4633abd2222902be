// The emulator's stand-in for <cuda_runtime.h>: just enough of CUDA C++ for braid_kernels.cu to
// compile unchanged as host C++ (g++), with every CUDA thread a fiber (see ../fiber.h). Only the
// idioms the Braid kernels use are here; a kernel that needs more fails to compile, loudly.
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "../fiber.h"

#ifdef BRAID_EMU_SCAN
#define __global__ __braid_emu_global__  // marks kernels for gen_trampolines.py
#else
#define __global__
#endif
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Shared memory: one object per worker thread, so every fiber of the running block (all on that
// thread) sees the same one; blocks run one after another, so it is block-local.
#define __shared__ static thread_local
#define __constant__ static

#define threadIdx (::braid_emu::current_fiber()->tid)
#define blockIdx (::braid_emu::current_exec()->block)
#define blockDim (::braid_emu::current_exec()->block_dim)
#define gridDim (::braid_emu::current_exec()->grid_dim)
#define warpSize 32

#define __syncthreads() ::braid_emu::sync_block(__FILE__, __LINE__)
#define __syncwarp(...) ::braid_emu::warp_exchange(0xffffffffu, 0, ::braid_emu::SHFL_NONE, 0, 32, __FILE__, __LINE__)

namespace braid_emu {
template <class T>
__forceinline__ T shfl(unsigned mask, T v, ShflKind kind, int arg, int width, const char* file, int line) {
  static_assert(sizeof(T) <= 8, "shuffle of more than 8 bytes");
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof(T));
  uint64_t out = warp_exchange(mask, bits, kind, arg, width, file, line);
  T r;
  memcpy(&r, &out, sizeof(T));
  return r;
}
}  // namespace braid_emu

#define __shfl_xor_sync(mask, v, o, ...) ::braid_emu::shfl(mask, v, ::braid_emu::SHFL_XOR, o, ::braid_emu::width_or_32(__VA_ARGS__), __FILE__, __LINE__)
#define __shfl_down_sync(mask, v, o, ...) ::braid_emu::shfl(mask, v, ::braid_emu::SHFL_DOWN, o, ::braid_emu::width_or_32(__VA_ARGS__), __FILE__, __LINE__)
#define __shfl_up_sync(mask, v, o, ...) ::braid_emu::shfl(mask, v, ::braid_emu::SHFL_UP, o, ::braid_emu::width_or_32(__VA_ARGS__), __FILE__, __LINE__)
#define __shfl_sync(mask, v, o, ...) ::braid_emu::shfl(mask, v, ::braid_emu::SHFL_IDX, o, ::braid_emu::width_or_32(__VA_ARGS__), __FILE__, __LINE__)

// Device intrinsics with host equivalents (IEEE, no fast approximations, as build.sh's nvcc flags).
__forceinline__ float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
__forceinline__ int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
__forceinline__ float __uint_as_float(unsigned i) { float f; memcpy(&f, &i, 4); return f; }
__forceinline__ unsigned __float_as_uint(float f) { unsigned i; memcpy(&i, &f, 4); return i; }
__forceinline__ int __popc(unsigned x) { return __builtin_popcount(x); }
__forceinline__ int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
__forceinline__ int __ffs(int x) { return __builtin_ffs(x); }
__forceinline__ float rsqrtf(float x) { return 1.f / sqrtf(x); }
template <class T> __forceinline__ T __ldg(const T* p) { return *p; }
__forceinline__ int min(int a, int b) { return a < b ? a : b; }
__forceinline__ int max(int a, int b) { return a > b ? a : b; }
__forceinline__ unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
__forceinline__ unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
__forceinline__ long long min(long long a, long long b) { return a < b ? a : b; }
__forceinline__ long long max(long long a, long long b) { return a > b ? a : b; }
__forceinline__ float min(float a, float b) { return fminf(a, b); }
__forceinline__ float max(float a, float b) { return fmaxf(a, b); }
