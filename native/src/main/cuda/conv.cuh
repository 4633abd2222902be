// float32 convolution: implicit GEMM (single and grouped) and depthwise; the grouped kernel of
// GEMMs beside convolutions (braid_tiled_grouped_f32).
#pragma once
#include "tiled_f32.cuh"

// The implicit GEMM of one (problem, group), computed as Y^T so that the epilogue's consecutive
// threads store consecutive output pixels: rows = output channels of the group (A = W, row-major
// [k/groups][depth], coalesced along depth), columns = output pixels n * outH * outW (B = the
// im2col matrix, gathered on the fly, coalesced along pixels), depth = c/groups * kh * kw.
// Every thread loads B for one fixed pixel column (e & 63 == threadIdx.x & 63 for all its four
// elements), so the pixel's (image, ih0, iw0) is decoded once per tile, in the constructor.
struct BraidConvSrc {
  const float* W;
  const float* X;  // X at this group's first channel
  int kg, depth, pixels;
  int kh, kw, khw, dilationH, dilationW, h, w, cStride;  // cStride = c * h * w (one image)
  int img, ih0, iw0;  // this thread's pixel, img < 0 when past the edge
  static constexpr bool aKFast = true;
  static constexpr bool bKFast = false;
  __device__ BraidConvSrc(const BraidConvProblem& p, int grp, int col0) {
    int cg = p.c / p.groups;
    kg = p.k / p.groups;
    khw = p.kh * p.kw;
    depth = cg * khw;
    pixels = p.n * p.outH * p.outW;
    kh = p.kh; kw = p.kw; dilationH = p.dilationH; dilationW = p.dilationW; h = p.h; w = p.wIn;
    cStride = p.c * p.h * p.wIn;
    W = reinterpret_cast<const float*>(p.w) + (long long)grp * kg * depth;
    X = reinterpret_cast<const float*>(p.x) + (long long)grp * cg * p.h * p.wIn;
    int px = col0 + (threadIdx.x & 63);
    if (px < pixels) {
      int sp = p.outH * p.outW;
      img = px / sp;
      int r = px - img * sp;
      int oh = r / p.outW, ow = r - oh * p.outW;
      ih0 = oh * p.strideH - p.padTop;
      iw0 = ow * p.strideW - p.padLeft;
    } else {
      img = -1; ih0 = 0; iw0 = 0;
    }
  }
  __device__ float a(int oc, int d) const {
    return (oc < kg && d < depth) ? W[(long long)oc * depth + d] : 0.f;
  }
  __device__ float b(int d, int /*px: this thread's pixel*/) const {
    if (img < 0 || d >= depth) return 0.f;
    int ci = d / khw;
    int rs = d - ci * khw;
    int r = rs / kw, s = rs - r * kw;
    int ih = ih0 + r * dilationH, iw = iw0 + s * dilationW;
    if (ih < 0 || ih >= h || iw < 0 || iw >= w) return 0.f;
    return X[(long long)img * cStride + ((long long)ci * h + ih) * w + iw];
  }
};

// Tile t of a problem: group t / (tilesM * tilesN), then pixel tile row, channel tile column.
__device__ __forceinline__ void braid_conv_tile(const BraidConvProblem& p, int t, BraidTileSmem& s) {
  int perGroup = p.tilesM * p.tilesN;
  int grp = t / perGroup;
  int rem = t - grp * perGroup;
  int pixelTile = rem / p.tilesN, channelTile = rem - pixelTile * p.tilesN;
  int col0 = pixelTile * BRAID_TILE, row0 = channelTile * BRAID_TILE;
  BraidConvSrc src(p, grp, col0);
  float acc[4][4];
  braid_tile_mma(src, s, row0, col0, src.depth, acc);
  const float* bias = reinterpret_cast<const float*>(p.bias);
  float* Y = reinterpret_cast<float*>(p.y);
  int sp = p.outH * p.outW;
  int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
  for (int c = 0; c < 4; c++) {
    int px = col0 + tx + 16 * c;
    if (px >= src.pixels) continue;
    int img = px / sp, pos = px - img * sp;
#pragma unroll
    for (int r = 0; r < 4; r++) {
      int oc = row0 + ty + 16 * r;
      if (oc >= src.kg) continue;
      int ch = grp * src.kg + oc;
      float v = acc[r][c];
      if (p.hasBias) v += bias[ch];
      Y[((long long)img * p.k + ch) * sp + pos] = braid_clamp(v, p.actMin, p.actMax);
    }
  }
}

// One convolution, problem by value (firstTile ignored). Grid groups * tilesM * tilesN, block 256.
BRAID_KERNEL void __launch_bounds__(BRAID_TILED_THREADS)
braid_conv2d_f32(BraidConvProblem p) {
  __shared__ BraidTileSmem s;
  braid_conv_tile(p, blockIdx.x, s);
}

// Grouped convolution: grid totalTiles, block 256; problem by binary search over firstTile.
BRAID_KERNEL void __launch_bounds__(BRAID_TILED_THREADS)
braid_conv2d_grouped_f32(const BraidConvProblem* __restrict__ table, int32_t count) {
  __shared__ BraidTileSmem s;
  __shared__ int problem;
  if (threadIdx.x == 0) problem = braid_find_problem(table, count, blockIdx.x);
  __syncthreads();
  BraidConvProblem p = table[problem];
  braid_conv_tile(p, blockIdx.x - p.firstTile, s);
}

// Output o (flat over [n, k, outH, outW]) of a depthwise (and channel-multiplier) convolution,
// c/groups == 1: taps summed in order (r, s), then bias, then clamp, as the CPU kernel does. Every
// window, stride, dilation and pad is read from p, so one kernel takes them all.
__device__ __forceinline__ float braid_depthwise_at(const BraidConvProblem& p, long long o) {
  int sp = p.outH * p.outW;
  long long plane = o / sp;  // img * k + oc
  int pos = (int)(o - plane * sp);
  int oh = pos / p.outW, ow = pos - oh * p.outW;
  int oc = (int)(plane % p.k), img = (int)(plane / p.k);
  int mult = p.k / p.groups;
  const float* X = reinterpret_cast<const float*>(p.x) + ((long long)img * p.c + oc / mult) * p.h * p.wIn;
  const float* W = reinterpret_cast<const float*>(p.w) + (long long)oc * p.kh * p.kw;
  int ih0 = oh * p.strideH - p.padTop, iw0 = ow * p.strideW - p.padLeft;
  float acc = 0.f;
  for (int r = 0; r < p.kh; r++) {
    int ih = ih0 + r * p.dilationH;
    if (ih < 0 || ih >= p.h) continue;
    for (int s = 0; s < p.kw; s++) {
      int iw = iw0 + s * p.dilationW;
      if (iw < 0 || iw >= p.wIn) continue;
      acc = fmaf(W[r * p.kw + s], X[ih * p.wIn + iw], acc);
    }
  }
  if (p.hasBias) acc += reinterpret_cast<const float*>(p.bias)[oc];
  return braid_clamp(acc, p.actMin, p.actMax);
}

// One depthwise convolution, problem by value. One output per thread, grid
// ceil(n * k * outH * outW / 256), block 256.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_conv2d_depthwise_f32(BraidConvProblem p) {
  long long total = (long long)p.n * p.k * p.outH * p.outW;
  long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= total) return;
  reinterpret_cast<float*>(p.y)[o] = braid_depthwise_at(p, o);
}

// GEMMs beside implicit-GEMM convolutions in one launch: both run 64 x 64 tiles on 256 threads with
// the same BraidTileSmem, so one fusion class (GEMM/FLOAT/tile64x64) takes them together. Blocks
// [0, convFirst) are the GEMM table's tiles (firstTile from 0), blocks [convFirst, grid) the
// convolution table's (firstTile from convFirst); which table a block reads is uniform over the
// block, and each tile runs the single-class kernels' own body (braid_gemm_tile, braid_conv_tile),
// so every output equals what braid_gemm_grouped_f32 or braid_conv2d_grouped_f32 computes.
// Grid = both tables' tiles, block 256.
BRAID_KERNEL void __launch_bounds__(BRAID_TILED_THREADS)
braid_tiled_grouped_f32(const BraidGemmProblem* __restrict__ gemms, int32_t gemmCount,
                        const BraidConvProblem* __restrict__ convs, int32_t convCount, int32_t convFirst) {
  __shared__ BraidTileSmem s;
  __shared__ int problem;
  bool gemm = (int)blockIdx.x < convFirst;
  if (threadIdx.x == 0) {
    problem = gemm ? braid_find_problem(gemms, gemmCount, blockIdx.x) : braid_find_problem(convs, convCount, blockIdx.x);
  }
  __syncthreads();
  if (gemm) {
    BraidGemmProblem p = gemms[problem];
    int t = blockIdx.x - p.firstTile;
    braid_gemm_tile(p, reinterpret_cast<const float*>(p.a), reinterpret_cast<const float*>(p.b),
                    reinterpret_cast<float*>(p.y), t / p.tilesN, t % p.tilesN, s);
  } else {
    BraidConvProblem p = convs[problem];
    braid_conv_tile(p, blockIdx.x - p.firstTile, s);
  }
}
