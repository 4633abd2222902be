// Shared device helpers of the Braid kernels. float32 throughout, no fast-math (see build.sh).
#pragma once
#include <cuda_runtime.h>
#include <stdint.h>
#include "braid_abi.h"

#define BRAID_KERNEL extern "C" __global__

// Clamp to [lo, hi] with NaN passing through, as Activation.apply and the CPU kernels do
// (fminf/fmaxf would turn NaN into a bound).
__device__ __forceinline__ float braid_clamp(float x, float lo, float hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

// Index of the problem owning flattened block `block`: the last entry whose First <= block.
// The table is sorted by First with First[0] == 0 (the Java table builders build it so); the same
// search is TileMap.problemOf on the Java side.
template <class P, int32_t P::*First>
__device__ __forceinline__ int braid_find_first(const P* table, int count, int block) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) >> 1;
    if (table[mid].*First <= block) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// The GEMM and convolution tables' search, over firstTile.
template <class P>
__device__ __forceinline__ int braid_find_problem(const P* table, int count, int tile) {
  return braid_find_first<P, &P::firstTile>(table, count, tile);
}

// Copies this block's problem (found over First) from the device table into shared `s`, 4 bytes
// per thread, and returns the block's index within the problem. Every thread must call it; the
// trailing barrier makes `s` visible to all. P's size is a multiple of 4 (braid_abi.h asserts).
template <class P, int32_t P::*First>
__device__ __forceinline__ int braid_stage_problem(const P* __restrict__ table, int count, P& s, int& found) {
  if (threadIdx.x == 0) found = braid_find_first<P, First>(table, count, blockIdx.x);
  __syncthreads();
  const int32_t* src = reinterpret_cast<const int32_t*>(table + found);
  int32_t* dst = reinterpret_cast<int32_t*>(&s);
  for (int i = threadIdx.x; i < (int)(sizeof(P) / 4); i += blockDim.x) dst[i] = src[i];
  __syncthreads();
  return blockIdx.x - s.*First;
}

// Block-wide sum of one float per thread; every thread gets the result. `scratch` holds one float
// per warp. Only the first `warps` warps' sums count (the rest of the block passes through the
// barriers): the grouped row kernel runs a problem on fewer threads than its block has, and sums
// exactly as the single-problem kernel, whose block is that problem's size.
__device__ __forceinline__ float braid_block_sum(float v, float* scratch, int warps) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float s = 0.f;
  for (int i = 0; i < warps; i++) s += scratch[i];
  return s;
}

__device__ __forceinline__ float braid_block_max(float v, float* scratch, int warps) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float m = -INFINITY;
  for (int i = 0; i < warps; i++) m = fmaxf(m, scratch[i]);
  return m;
}

__device__ __forceinline__ float braid_block_sum(float v, float* scratch) {
  return braid_block_sum(v, scratch, blockDim.x >> 5);
}

__device__ __forceinline__ float braid_block_max(float v, float* scratch) {
  return braid_block_max(v, scratch, blockDim.x >> 5);
}
