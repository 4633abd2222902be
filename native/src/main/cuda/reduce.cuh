// Row kernels: one block per row (Softmax fibre, LayerNorm row, ReduceMean output, Reduce output,
// AlongAxis fibre) with blockDim = clamp(nextPow2(rowLength), 32, 256); GlobalAveragePool one
// warp per row, 8 rows per 256-thread block. Reduce and AlongAxis carry integers as float32 when
// the model's tensor is integral: a result beyond 2^24 then sets *status (output / fibre + 1) and
// the host fails the launch. Sums are float32 (the CPU sums in double: expect ~1e-6 relative
// differences).
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

#define BRAID_EXACT_INTEGER 16777216.0f

// ReduceOp ordinals (dev.braid.device.kernel.ReduceOp).
#define BRAID_R_SUM 0
#define BRAID_R_MEAN 1
#define BRAID_R_MAX 2
#define BRAID_R_MIN 3
#define BRAID_R_PROD 4
#define BRAID_R_L1 5
#define BRAID_R_L2 6
#define BRAID_R_LOG_SUM 7
#define BRAID_R_LOG_SUM_EXP 8
#define BRAID_R_SUM_SQUARE 9
#define BRAID_R_ARG_MAX 10
#define BRAID_R_ARG_MIN 11
#define BRAID_R_ARG_MAX_LAST 12
#define BRAID_R_ARG_MIN_LAST 13

// AxisOp ordinals (dev.braid.device.kernel.AxisOp).
#define BRAID_A_LOG_SOFTMAX 0
#define BRAID_A_HARDMAX 1
#define BRAID_A_CUMSUM 2
#define BRAID_A_CUMSUM_EXCLUSIVE 3
#define BRAID_A_CUMSUM_REVERSE 4
#define BRAID_A_CUMSUM_EXCLUSIVE_REVERSE 5

// Max and min where NaN wins, as the CPU reference (Double.NaN propagates through Math.max).
__device__ __forceinline__ float braid_nan_max(float a, float b) { return a != a ? a : (b != b ? b : fmaxf(a, b)); }
__device__ __forceinline__ float braid_nan_min(float a, float b) { return a != a ? a : (b != b ? b : fminf(a, b)); }

// How the per-thread partials of reduction `op` combine (sum-like ops add; PROD multiplies).
__device__ __forceinline__ float braid_reduce_combine(int op, float a, float b) {
  switch (op) {
    case BRAID_R_MAX: return braid_nan_max(a, b);
    case BRAID_R_MIN: return braid_nan_min(a, b);
    case BRAID_R_PROD: return a * b;
    default: return a + b;
  }
}

__device__ __forceinline__ float braid_reduce_identity(int op) {
  switch (op) {
    case BRAID_R_MAX: return -INFINITY;
    case BRAID_R_MIN: return INFINITY;
    case BRAID_R_PROD: return 1.f;
    default: return 0.f;
  }
}

// Block-wide combine of one float per thread under `op` (first `warps` warps count).
__device__ __forceinline__ float braid_block_reduce(int op, float v, float* scratch, int warps) {
  for (int o = 16; o > 0; o >>= 1) v = braid_reduce_combine(op, v, __shfl_xor_sync(0xffffffffu, v, o));
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float s = scratch[0];
  for (int i = 1; i < warps; i++) s = braid_reduce_combine(op, s, scratch[i]);
  return s;
}

// Whether (a, ia) beats (b, ib) for an arg reduction; index -1 marks "no element".
__device__ __forceinline__ bool braid_arg_better(bool max, bool last, float a, int ia, float b, int ib) {
  if (ia < 0) return false;
  if (ib < 0) return true;
  if (max ? a > b : a < b) return true;
  return a == b && (last ? ia > ib : ia < ib);
}

// Block-wide arg reduction of one (value, index) pair per thread; every thread gets the index.
__device__ __forceinline__ int braid_block_arg(bool max, bool last, float v, int idx, float* scratch, int* iscratch,
                                               int warps) {
  for (int o = 16; o > 0; o >>= 1) {
    float ov = __shfl_xor_sync(0xffffffffu, v, o);
    int oi = __shfl_xor_sync(0xffffffffu, idx, o);
    if (braid_arg_better(max, last, ov, oi, v, idx)) {
      v = ov;
      idx = oi;
    }
  }
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = v;
    iscratch[warp] = idx;
  }
  __syncthreads();
  float bv = scratch[0];
  int bi = iscratch[0];
  for (int i = 1; i < warps; i++) {
    if (braid_arg_better(max, last, scratch[i], iscratch[i], bv, bi)) {
      bv = scratch[i];
      bi = iscratch[i];
    }
  }
  return bi;
}

// Position in x of reduced element i of output `base` (dims2/strideB are the reduced axes).
__device__ __forceinline__ long long braid_reduced_at(const BraidShape& shape, long long base, long long i) {
  long long p = base;
  for (int d = shape.rank2 - 1; d >= 0; d--) {
    p += (i % shape.dims2[d]) * (long long)shape.strideB[d];
    i /= shape.dims2[d];
  }
  return p;
}

// Reduce `op` of output `out`: shape as braid_reduce_mean_f32's (kept axes dims/strideA, reduced
// dims2/strideB); count = reduced elements; T threads work; status is null unless integral.
__device__ __forceinline__ void braid_reduce_row(const float* __restrict__ x, float* __restrict__ y, long long out,
                                                 const BraidShape& shape, long long count, int op, int T,
                                                 float* scratch, int* iscratch, int32_t* __restrict__ status) {
  long long rem = out, base = 0;
  for (int d = shape.rank - 1; d >= 0; d--) {
    base += (rem % shape.dims[d]) * (long long)shape.strideA[d];
    rem /= shape.dims[d];
  }
  int warps = T >> 5;
  long long first = threadIdx.x < T ? (long long)threadIdx.x : count;  // idle threads skip the loops
  float result;
  if (op >= BRAID_R_ARG_MAX) {
    bool max = op == BRAID_R_ARG_MAX || op == BRAID_R_ARG_MAX_LAST;
    bool last = op == BRAID_R_ARG_MAX_LAST || op == BRAID_R_ARG_MIN_LAST;
    float bv = 0.f;
    int bi = -1;
    for (long long i = first; i < count; i += T) {
      float v = x[braid_reduced_at(shape, base, i)];
      if (braid_arg_better(max, last, v, (int)i, bv, bi)) {
        bv = v;
        bi = (int)i;
      }
    }
    result = (float)braid_block_arg(max, last, bv, bi, scratch, iscratch, warps);
  } else if (op == BRAID_R_LOG_SUM_EXP) {
    float m = -INFINITY;
    for (long long i = first; i < count; i += T) m = fmaxf(m, x[braid_reduced_at(shape, base, i)]);
    m = braid_block_max(m, scratch, warps);
    float s = 0.f;
    if (m != -INFINITY && m != INFINITY) {
      for (long long i = first; i < count; i += T) s += expf(x[braid_reduced_at(shape, base, i)] - m);
    }
    s = braid_block_sum(s, scratch, warps);
    result = (m == -INFINITY || m == INFINITY) ? m : m + logf(s);
  } else {
    int combine = op == BRAID_R_MAX || op == BRAID_R_MIN || op == BRAID_R_PROD ? op : BRAID_R_SUM;
    float s = braid_reduce_identity(combine);
    for (long long i = first; i < count; i += T) {
      float v = x[braid_reduced_at(shape, base, i)];
      switch (op) {
        case BRAID_R_L1: v = fabsf(v); break;
        case BRAID_R_L2:
        case BRAID_R_SUM_SQUARE: v = v * v; break;
        default: break;
      }
      s = braid_reduce_combine(combine, s, v);
    }
    s = braid_block_reduce(combine, s, scratch, warps);
    switch (op) {
      case BRAID_R_MEAN: result = s / (float)count; break;
      case BRAID_R_L2: result = sqrtf(s); break;
      case BRAID_R_LOG_SUM: result = logf(s); break;
      default: result = s; break;
    }
  }
  if (threadIdx.x == 0) {
    y[out] = result;
    if (status && fabsf(result) > BRAID_EXACT_INTEGER) *status = (int32_t)(out + 1);
  }
}

// One Reduce: grid = output elements; status is null unless integral.
BRAID_KERNEL void __launch_bounds__(256)
braid_reduce_f32(const float* __restrict__ x, float* __restrict__ y, BraidShape shape, long long count, int32_t op,
                 int32_t* __restrict__ status) {
  __shared__ float scratch[8];
  __shared__ int iscratch[8];
  braid_reduce_row(x, y, blockIdx.x, shape, count, op, blockDim.x, scratch, iscratch, status);
}

// AxisOp `op` of fibre f of the [outer, axis, inner] view; T threads work. CUMSUM runs its scan on
// thread 0 (the order of the CPU reference); status is null unless integral.
__device__ __forceinline__ void braid_along_axis_row(const float* __restrict__ x, float* __restrict__ y, long long f,
                                                     int axis, int inner, int op, int T, float* scratch,
                                                     int* iscratch, int32_t* __restrict__ status) {
  long long base = (f / inner) * axis * inner + f % inner;
  int warps = T >> 5;
  int first = threadIdx.x < T ? threadIdx.x : axis;  // idle threads skip the loops
  if (op == BRAID_A_LOG_SOFTMAX) {
    float m = -INFINITY;
    for (int i = first; i < axis; i += T) m = fmaxf(m, x[base + (long long)i * inner]);
    m = braid_block_max(m, scratch, warps);
    float s = 0.f;
    for (int i = first; i < axis; i += T) s += expf(x[base + (long long)i * inner] - m);
    float lse = m + logf(braid_block_sum(s, scratch, warps));
    for (int i = first; i < axis; i += T) y[base + (long long)i * inner] = x[base + (long long)i * inner] - lse;
  } else if (op == BRAID_A_HARDMAX) {
    float bv = 0.f;
    int bi = -1;
    for (int i = first; i < axis; i += T) {
      float v = x[base + (long long)i * inner];
      if (braid_arg_better(true, false, v, i, bv, bi)) {
        bv = v;
        bi = i;
      }
    }
    int best = braid_block_arg(true, false, bv, bi, scratch, iscratch, warps);
    for (int i = first; i < axis; i += T) y[base + (long long)i * inner] = i == best ? 1.f : 0.f;
  } else if (threadIdx.x == 0) {
    bool exclusive = op == BRAID_A_CUMSUM_EXCLUSIVE || op == BRAID_A_CUMSUM_EXCLUSIVE_REVERSE;
    bool reverse = op == BRAID_A_CUMSUM_REVERSE || op == BRAID_A_CUMSUM_EXCLUSIVE_REVERSE;
    float s = 0.f;
    for (int step = 0; step < axis; step++) {
      long long p = base + (long long)(reverse ? axis - 1 - step : step) * inner;
      float v = x[p];
      if (!exclusive) s += v;
      if (status && fabsf(s) > BRAID_EXACT_INTEGER) *status = (int32_t)(f + 1);
      y[p] = s;
      if (exclusive) s += v;
    }
  }
}

// One AlongAxis: grid = outer * inner fibres, one per block; status is null unless integral.
BRAID_KERNEL void __launch_bounds__(256)
braid_along_axis_f32(const float* __restrict__ x, float* __restrict__ y, int32_t axis, int32_t inner, int32_t op,
                     int32_t* __restrict__ status) {
  __shared__ float scratch[8];
  __shared__ int iscratch[8];
  braid_along_axis_row(x, y, blockIdx.x, axis, inner, op, blockDim.x, scratch, iscratch, status);
}
