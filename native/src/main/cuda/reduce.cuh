// Row reductions: one block per row (Softmax fibre, LayerNorm row, ReduceMean output) with
// blockDim = clamp(nextPow2(rowLength), 32, 256); GlobalAveragePool one warp per row, 8 rows per
// 256-thread block. Sums are float32 (the CPU sums in double: expect ~1e-6 relative differences).
#pragma once
#include "common.cuh"

// Mean of each of `channels` rows of `spatial` values. Grid ceil(channels / 8), block 256.
BRAID_KERNEL void __launch_bounds__(256)
braid_global_avg_pool_f32(const float* __restrict__ x, float* __restrict__ y, int32_t channels, int32_t spatial) {
  int row = blockIdx.x * 8 + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (row >= channels) return;
  const float* X = x + (long long)row * spatial;
  float s = 0.f;
  for (int i = lane; i < spatial; i += 32) s += X[i];
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (lane == 0) y[row] = s / spatial;
}

// Softmax of fibre f = blockIdx.x of the [outer, axis, inner] view: elements
// base + i * inner, base = (f / inner) * axis * inner + f % inner. Grid outer * inner.
BRAID_KERNEL void __launch_bounds__(256)
braid_softmax_f32(const float* __restrict__ x, float* __restrict__ y, int32_t axis, int32_t inner) {
  __shared__ float scratch[8];
  long long f = blockIdx.x;
  long long base = (f / inner) * axis * inner + f % inner;
  float m = -INFINITY;
  for (int i = threadIdx.x; i < axis; i += blockDim.x) m = fmaxf(m, x[base + (long long)i * inner]);
  m = braid_block_max(m, scratch);
  float s = 0.f;
  for (int i = threadIdx.x; i < axis; i += blockDim.x) {
    float e = expf(x[base + (long long)i * inner] - m);
    y[base + (long long)i * inner] = e;
    s += e;
  }
  s = braid_block_sum(s, scratch);
  float inv = 1.f / s;
  for (int i = threadIdx.x; i < axis; i += blockDim.x) y[base + (long long)i * inner] *= inv;
}

// LayerNorm of row blockIdx.x: (x - mean) / sqrt(var + eps) * scale + bias, population variance
// by two passes (mean first), bias may be 0 (null). Grid rows.
BRAID_KERNEL void __launch_bounds__(256)
braid_layernorm_f32(const float* __restrict__ x, const float* __restrict__ scale, const float* __restrict__ bias,
                    float* __restrict__ y, int32_t cols, float epsilon) {
  __shared__ float scratch[8];
  const float* X = x + (long long)blockIdx.x * cols;
  float* Y = y + (long long)blockIdx.x * cols;
  float s = 0.f;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) s += X[i];
  float mean = braid_block_sum(s, scratch) / cols;
  float q = 0.f;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) { float d = X[i] - mean; q = fmaf(d, d, q); }
  float inv = 1.f / sqrtf(braid_block_sum(q, scratch) / cols + epsilon);
  for (int i = threadIdx.x; i < cols; i += blockDim.x) {
    float v = (X[i] - mean) * inv * scale[i];
    Y[i] = bias ? v + bias[i] : v;
  }
}

// Mean over the reduced axes for output blockIdx.x. shape.dims/strideA (rank) are the kept axes
// (row-major order of the output), shape.dims2/strideB (rank2) the reduced ones; count is the
// product of dims2. Grid = output elements.
BRAID_KERNEL void __launch_bounds__(256)
braid_reduce_mean_f32(const float* __restrict__ x, float* __restrict__ y, BraidShape shape, long long count) {
  __shared__ float scratch[8];
  long long rem = blockIdx.x, base = 0;
  for (int d = shape.rank - 1; d >= 0; d--) {
    base += (rem % shape.dims[d]) * (long long)shape.strideA[d];
    rem /= shape.dims[d];
  }
  float s = 0.f;
  for (long long i = threadIdx.x; i < count; i += blockDim.x) {
    long long r = i, p = base;
    for (int d = shape.rank2 - 1; d >= 0; d--) {
      p += (r % shape.dims2[d]) * (long long)shape.strideB[d];
      r /= shape.dims2[d];
    }
    s += x[p];
  }
  s = braid_block_sum(s, scratch);
  if (threadIdx.x == 0) y[blockIdx.x] = s / (float)count;
}
