// Row reductions: one block per row (Softmax fibre, LayerNorm row, ReduceMean output) with
// blockDim = clamp(nextPow2(rowLength), 32, 256); GlobalAveragePool one warp per row, 8 rows per
// 256-thread block. Sums are float32 (the CPU sums in double: expect ~1e-6 relative differences).
//
// The bodies take the row and the number of threads T that work on it (threads >= T of the block
// only pass the barriers): the single-problem kernels run them with T = blockDim.x, the grouped
// row kernel (grouped.cuh) with each problem's own T, so both sum in the same order.
#pragma once
#include "common.cuh"

// Mean of row `row` of `spatial` values by one warp (lane 0 writes).
__device__ __forceinline__ void braid_gap_row(const float* __restrict__ x, float* __restrict__ y, long long row,
                                              int spatial, int lane) {
  const float* X = x + row * spatial;
  float s = 0.f;
  for (int i = lane; i < spatial; i += 32) s += X[i];
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (lane == 0) y[row] = s / spatial;
}

// Mean of each of `channels` rows of `spatial` values. Grid ceil(channels / 8), block 256.
BRAID_KERNEL void __launch_bounds__(256)
braid_global_avg_pool_f32(const float* __restrict__ x, float* __restrict__ y, int32_t channels, int32_t spatial) {
  int row = blockIdx.x * 8 + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (row >= channels) return;
  braid_gap_row(x, y, row, spatial, lane);
}

// Softmax of fibre f of the [outer, axis, inner] view: elements base + i * inner,
// base = (f / inner) * axis * inner + f % inner; T threads work.
__device__ __forceinline__ void braid_softmax_row(const float* __restrict__ x, float* __restrict__ y, long long f,
                                                  int axis, int inner, int T, float* scratch) {
  long long base = (f / inner) * axis * inner + f % inner;
  int first = threadIdx.x < T ? threadIdx.x : axis;  // idle threads skip the loops
  float m = -INFINITY;
  for (int i = first; i < axis; i += T) m = fmaxf(m, x[base + (long long)i * inner]);
  m = braid_block_max(m, scratch, T >> 5);
  float s = 0.f;
  for (int i = first; i < axis; i += T) {
    float e = expf(x[base + (long long)i * inner] - m);
    y[base + (long long)i * inner] = e;
    s += e;
  }
  s = braid_block_sum(s, scratch, T >> 5);
  float inv = 1.f / s;
  for (int i = first; i < axis; i += T) y[base + (long long)i * inner] *= inv;
}

// Grid outer * inner, one fibre per block.
BRAID_KERNEL void __launch_bounds__(256)
braid_softmax_f32(const float* __restrict__ x, float* __restrict__ y, int32_t axis, int32_t inner) {
  __shared__ float scratch[8];
  braid_softmax_row(x, y, blockIdx.x, axis, inner, blockDim.x, scratch);
}

// LayerNorm of row `row`: (x - mean) / sqrt(var + eps) * scale + bias, population variance by two
// passes (mean first), bias may be null; T threads work.
__device__ __forceinline__ void braid_layernorm_row(const float* __restrict__ x, const float* __restrict__ scale,
                                                    const float* __restrict__ bias, float* __restrict__ y,
                                                    long long row, int cols, float epsilon, int T, float* scratch) {
  const float* X = x + row * cols;
  float* Y = y + row * cols;
  int first = threadIdx.x < T ? threadIdx.x : cols;
  float s = 0.f;
  for (int i = first; i < cols; i += T) s += X[i];
  float mean = braid_block_sum(s, scratch, T >> 5) / cols;
  float q = 0.f;
  for (int i = first; i < cols; i += T) { float d = X[i] - mean; q = fmaf(d, d, q); }
  float inv = 1.f / sqrtf(braid_block_sum(q, scratch, T >> 5) / cols + epsilon);
  for (int i = first; i < cols; i += T) {
    float v = (X[i] - mean) * inv * scale[i];
    Y[i] = bias ? v + bias[i] : v;
  }
}

// Grid rows.
BRAID_KERNEL void __launch_bounds__(256)
braid_layernorm_f32(const float* __restrict__ x, const float* __restrict__ scale, const float* __restrict__ bias,
                    float* __restrict__ y, int32_t cols, float epsilon) {
  __shared__ float scratch[8];
  braid_layernorm_row(x, scale, bias, y, blockIdx.x, cols, epsilon, blockDim.x, scratch);
}

// Mean over the reduced axes for output `out`. shape.dims/strideA (rank) are the kept axes
// (row-major order of the output), shape.dims2/strideB (rank2) the reduced ones; count is the
// product of dims2; T threads work.
__device__ __forceinline__ void braid_reduce_mean_row(const float* __restrict__ x, float* __restrict__ y,
                                                      long long out, const BraidShape& shape, long long count, int T,
                                                      float* scratch) {
  long long rem = out, base = 0;
  for (int d = shape.rank - 1; d >= 0; d--) {
    base += (rem % shape.dims[d]) * (long long)shape.strideA[d];
    rem /= shape.dims[d];
  }
  float s = 0.f;
  long long first = threadIdx.x < T ? (long long)threadIdx.x : count;
  for (long long i = first; i < count; i += T) {
    long long r = i, p = base;
    for (int d = shape.rank2 - 1; d >= 0; d--) {
      p += (r % shape.dims2[d]) * (long long)shape.strideB[d];
      r /= shape.dims2[d];
    }
    s += x[p];
  }
  s = braid_block_sum(s, scratch, T >> 5);
  if (threadIdx.x == 0) y[out] = s / (float)count;
}

// Grid = output elements.
BRAID_KERNEL void __launch_bounds__(256)
braid_reduce_mean_f32(const float* __restrict__ x, float* __restrict__ y, BraidShape shape, long long count) {
  __shared__ float scratch[8];
  braid_reduce_mean_row(x, y, blockIdx.x, shape, count, blockDim.x, scratch);
}
