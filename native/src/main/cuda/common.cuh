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

// Index of the problem owning flattened tile `tile`: the last entry whose firstTile <= tile.
// The table is sorted by firstTile with firstTile[0] == 0 (GroupedGemmTable/GroupedConvTable
// build it so); the same search is TileMap.problemOf on the Java side.
template <class P>
__device__ __forceinline__ int braid_find_problem(const P* table, int count, int tile) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) >> 1;
    if (table[mid].firstTile <= tile) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// Block-wide sum of one float per thread; every thread gets the result. `scratch` holds one float
// per warp. blockDim.x is a multiple of 32, at most 1024.
__device__ __forceinline__ float braid_block_sum(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float s = 0.f;
  for (int i = 0; i < warps; i++) s += scratch[i];
  return s;
}

__device__ __forceinline__ float braid_block_max(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float m = -INFINITY;
  for (int i = 0; i < warps; i++) m = fmaxf(m, scratch[i]);
  return m;
}
