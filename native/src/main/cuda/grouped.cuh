// Grouped kernels of the fusion classes beyond GEMM and convolution (issue 10): depthwise
// convolution, elementwise (Unary, Binary, BatchNorm), pooling (Pool2d, GlobalAveragePool) and
// rows (Softmax, LayerNorm, ReduceMean, Reduce, AlongAxis), TopK fibres and N-d pooling (PoolNd).
// Each reads a table of problems in device memory; block b
// stages the entry of the last problem with firstBlock (firstTile) <= b in shared memory and runs
// block b - firstBlock of it with the single-problem kernel's body, so the outputs are the same
// as launching each problem alone.
#pragma once
#include "conv.cuh"
#include "elementwise.cuh"
#include "reduce.cuh"
#include "tensor.cuh"

// Grid = total blocks (ceil(n * k * outH * outW / 256) per problem), block 256. Table entries are
// BraidConvProblem with firstTile = first block (braid_abi.h).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_conv2d_depthwise_grouped_f32(const BraidConvProblem* __restrict__ table, int32_t count) {
  __shared__ BraidConvProblem p;
  __shared__ int found;
  int b = braid_stage_problem<BraidConvProblem, &BraidConvProblem::firstTile>(table, count, p, found);
  long long total = (long long)p.n * p.k * p.outH * p.outW;
  long long o = (long long)b * BRAID_EW_THREADS + threadIdx.x;
  if (o >= total) return;
  reinterpret_cast<float*>(p.y)[o] = braid_depthwise_at(p, o);
}

// Grid = total blocks (ceil(n / 1024) per problem), block 256, 4 elements per thread as
// BRAID_EW_FOR. The kind is uniform over a block, so the branch does not diverge.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_elementwise_grouped_f32(const BraidElementwiseProblem* __restrict__ table, int32_t count) {
  __shared__ BraidElementwiseProblem p;
  __shared__ int found;
  int b = braid_stage_problem<BraidElementwiseProblem, &BraidElementwiseProblem::firstBlock>(table, count, p, found);
  const float* x = reinterpret_cast<const float*>(p.x);
  float* y = reinterpret_cast<float*>(p.y);
  long long first = (long long)b * BRAID_EW_BLOCK + threadIdx.x;
  if (p.kind == BRAID_EW_UNARY) {
    for (int j = 0; j < BRAID_EW_PER_THREAD; j++) {
      long long i = first + (long long)j * BRAID_EW_THREADS;
      if (i < p.n) y[i] = braid_unary(p.op, x[i], p.lo, p.hi);
    }
  } else if (p.kind == BRAID_EW_BINARY) {
    const float* bv = reinterpret_cast<const float*>(p.b);
    for (int j = 0; j < BRAID_EW_PER_THREAD; j++) {
      long long i = first + (long long)j * BRAID_EW_THREADS;
      if (i < p.n) {
        long long pa, pb;
        braid_broadcast(i, p.shape, pa, pb);
        y[i] = braid_binary(p.op, x[pa], bv[pb]);
      }
    }
  } else {
    const float* scale = reinterpret_cast<const float*>(p.b);
    const float* shift = reinterpret_cast<const float*>(p.c);
    for (int j = 0; j < BRAID_EW_PER_THREAD; j++) {
      long long i = first + (long long)j * BRAID_EW_THREADS;
      if (i < p.n) y[i] = braid_batchnorm(x, scale, shift, i, p.channels, p.spatial);
    }
  }
}

// Grid = total blocks (Pool2d: ceil(n * c * outH * outW / 256); global average: ceil(c / 8)),
// block 256.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_pool_grouped_f32(const BraidPoolProblem* __restrict__ table, int32_t count) {
  __shared__ BraidPoolProblem p;
  __shared__ int found;
  int b = braid_stage_problem<BraidPoolProblem, &BraidPoolProblem::firstBlock>(table, count, p, found);
  const float* x = reinterpret_cast<const float*>(p.x);
  float* y = reinterpret_cast<float*>(p.y);
  if (p.mode == BRAID_POOL_GLOBAL_AVERAGE) {
    int row = b * 8 + (threadIdx.x >> 5);
    if (row < p.c) braid_gap_row(x, y, row, p.h * p.w, threadIdx.x & 31);
    return;
  }
  long long total = (long long)p.n * p.c * p.outH * p.outW;
  long long o = (long long)b * BRAID_EW_THREADS + threadIdx.x;
  if (o < total) y[o] = braid_pool_at(x, o, p);
}

// Grid = total rows, block = the largest `threads` of the table (at most 256); each row runs on its
// problem's own `threads` (see BraidRowProblem). The kind and op are uniform over a block, so the
// branches do not diverge. Reduce and AlongAxis entries are not integral: no status word.
BRAID_KERNEL void __launch_bounds__(256)
braid_rows_grouped_f32(const BraidRowProblem* __restrict__ table, int32_t count) {
  __shared__ BraidRowProblem p;
  __shared__ int found;
  __shared__ float scratch[8];
  __shared__ int iscratch[8];
  int row = braid_stage_problem<BraidRowProblem, &BraidRowProblem::firstBlock>(table, count, p, found);
  const float* x = reinterpret_cast<const float*>(p.x);
  float* y = reinterpret_cast<float*>(p.y);
  if (p.kind == BRAID_ROWS_SOFTMAX) {
    braid_softmax_row(x, y, row, p.len, p.inner, p.threads, scratch);
  } else if (p.kind == BRAID_ROWS_LAYERNORM) {
    braid_layernorm_row(x, reinterpret_cast<const float*>(p.scale), reinterpret_cast<const float*>(p.bias), y, row,
                        p.len, p.epsilon, p.threads, scratch);
  } else if (p.kind == BRAID_ROWS_REDUCE_MEAN) {
    braid_reduce_mean_row(x, y, row, p.shape, p.count, p.threads, scratch);
  } else if (p.kind == BRAID_ROWS_REDUCE) {
    braid_reduce_row(x, y, row, p.shape, p.count, p.op, p.threads, scratch, iscratch, nullptr);
  } else {
    braid_along_axis_row(x, y, row, p.len, p.inner, p.op, p.threads, scratch, iscratch, nullptr);
  }
}

// Grid = total blocks (ceil(fibres / 256) per problem), block 256: one thread per fibre, on the
// single kernel's body. A fibre's cost is k * axis, so blocks of different problems differ in
// length; they are independent, so the launch ends with its longest block.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_topk_grouped_f32(const BraidTopKProblem* __restrict__ table, int32_t count) {
  __shared__ BraidTopKProblem p;
  __shared__ int found;
  int b = braid_stage_problem<BraidTopKProblem, &BraidTopKProblem::firstBlock>(table, count, p, found);
  long long f = (long long)b * BRAID_EW_THREADS + threadIdx.x;
  if (f < p.fibres) {
    braid_topk_fibre(reinterpret_cast<const float*>(p.x), reinterpret_cast<float*>(p.y), f, p.axis, p.inner, p.k,
                     p.largest, p.indices);
  }
}

// Grid = total blocks (ceil(n / 256) per problem), block 256: one output per thread, on the single
// kernel's body. The kind is uniform over a block, so its branches do not diverge.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_pool_nd_grouped_f32(const BraidPoolNdProblem* __restrict__ table, int32_t count) {
  __shared__ BraidPoolNdProblem p;
  __shared__ int found;
  int b = braid_stage_problem<BraidPoolNdProblem, &BraidPoolNdProblem::firstBlock>(table, count, p, found);
  long long o = (long long)b * BRAID_EW_THREADS + threadIdx.x;
  if (o < p.n) {
    long long inPlane, outPlane, window;
    braid_pool_nd_sizes(p.shape, inPlane, outPlane, window);
    reinterpret_cast<float*>(p.y)[o] = braid_pool_nd_at(reinterpret_cast<const float*>(p.x), o, p.shape, inPlane,
                                                        outPlane, window, p.kind, p.countIncludePad, p.p,
                                                        p.columnMajor);
  }
}
