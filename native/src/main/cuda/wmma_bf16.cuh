// bf16-input GEMM and implicit-GEMM convolution on tensor cores (WMMA 16 x 16 x 16, float32
// accumulation), sm_80 and later. Operands A/B (GEMM) and X/W (conv) are bf16 (the host converts
// them once with braid_f32_to_bf16); bias, C and Y are float32.
//
// A block of 4 warps computes a 64 x 64 output tile, each warp a 32 x 32 quarter as 2 x 2
// accumulator fragments. K advances in stages of 16 through shared memory (A 64 x 16 row-major,
// B 16 x 64 row-major, rows padded by 8 halves so WMMA's ldm is a multiple of 8 and rows start
// on distinct banks); the accumulators then pass through a shared 64 x 64 float tile so that the
// epilogue (alpha/beta/bias/activation, bounds) runs per element with coalesced stores.
#pragma once
#include <cuda_bf16.h>
#include <mma.h>
#include "common.cuh"

#define BRAID_WMMA_PAD 8

struct BraidWmmaSmem {
  __nv_bfloat16 a[BRAID_TILE][BRAID_TILE_K + BRAID_WMMA_PAD];
  __nv_bfloat16 b[BRAID_TILE_K][BRAID_TILE + BRAID_WMMA_PAD];
  float y[BRAID_TILE][BRAID_TILE + 4];
};

// out[i][j] (in s.y) = sum_d A(row0 + i, d) * B(d, col0 + j) for the 64 x 64 tile. Src provides
// float-free element access: __nv_bfloat16 a(int row, int d), b(int d, int col), with bounds.
// 128 threads load 1024 elements of each operand per stage, 8 each.
template <class Src>
__device__ __forceinline__ void braid_wmma_tile(const Src& src, int row0, int col0, int depth, BraidWmmaSmem& s) {
  using namespace nvcuda;
  int warp = threadIdx.x >> 5;
  int wr = (warp >> 1) * 32, wc = (warp & 1) * 32;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.f);
  for (int k0 = 0; k0 < depth; k0 += BRAID_TILE_K) {
    __syncthreads();
#pragma unroll
    for (int l = 0; l < 8; l++) {
      int e = threadIdx.x + BRAID_WMMA_THREADS * l;
      int i = src.aKFast ? (e >> 4) : (e & 63), kk = src.aKFast ? (e & 15) : (e >> 6);
      s.a[i][kk] = src.a(row0 + i, k0 + kk);
      int j = src.bKFast ? (e >> 4) : (e & 63), kb = src.bKFast ? (e & 15) : (e >> 6);
      s.b[kb][j] = src.b(k0 + kb, col0 + j);
    }
    __syncthreads();
    wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[2];
    wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb[2];
#pragma unroll
    for (int i = 0; i < 2; i++) wmma::load_matrix_sync(fa[i], &s.a[wr + 16 * i][0], BRAID_TILE_K + BRAID_WMMA_PAD);
#pragma unroll
    for (int j = 0; j < 2; j++) wmma::load_matrix_sync(fb[j], &s.b[0][wc + 16 * j], BRAID_TILE + BRAID_WMMA_PAD);
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
      for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
  }
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++)
      wmma::store_matrix_sync(&s.y[wr + 16 * i][wc + 16 * j], acc[i][j], BRAID_TILE + 4, wmma::mem_row_major);
  __syncthreads();
}

struct BraidGemmSrcBf16 {
  const __nv_bfloat16* A;
  const __nv_bfloat16* B;
  int m, n, k, lda, ldb;
  bool aKFast, bKFast;
  __device__ __nv_bfloat16 a(int i, int kk) const {
    if (i >= m || kk >= k) return __float2bfloat16(0.f);
    return aKFast ? A[(long long)i * lda + kk] : A[(long long)kk * lda + i];
  }
  __device__ __nv_bfloat16 b(int kk, int j) const {
    if (kk >= k || j >= n) return __float2bfloat16(0.f);
    return bKFast ? B[(long long)j * ldb + kk] : B[(long long)kk * ldb + j];
  }
};

// bf16 batched GEMM; the same parameters and grid as braid_gemm_f32 (A, B bf16; C, Y float32),
// block 128. Offsets count bf16 elements.
BRAID_KERNEL void __launch_bounds__(BRAID_WMMA_THREADS)
braid_gemm_bf16(BraidGemmProblem p, const int32_t* __restrict__ aOffsets, const int32_t* __restrict__ bOffsets) {
  __shared__ __align__(32) BraidWmmaSmem s;
  int batch = blockIdx.y;
  BraidGemmSrcBf16 src{reinterpret_cast<const __nv_bfloat16*>(p.a) + aOffsets[batch],
                       reinterpret_cast<const __nv_bfloat16*>(p.b) + bOffsets[batch],
                       p.m, p.n, p.k, p.lda, p.ldb, p.transA == 0, p.transB != 0};
  float* Y = reinterpret_cast<float*>(p.y) + (long long)batch * p.m * p.ldc;
  const float* C = reinterpret_cast<const float*>(p.c);
  int row0 = (blockIdx.x / p.tilesN) * BRAID_TILE, col0 = (blockIdx.x % p.tilesN) * BRAID_TILE;
  braid_wmma_tile(src, row0, col0, p.k, s);
  for (int e = threadIdx.x; e < BRAID_TILE * BRAID_TILE; e += BRAID_WMMA_THREADS) {
    int i = row0 + (e >> 6), j = col0 + (e & 63);
    if (i >= p.m || j >= p.n) continue;
    float bias = 0.f;
    switch (p.biasMode) {
      case BRAID_BIAS_SCALAR: bias = p.beta * C[0]; break;
      case BRAID_BIAS_PER_COLUMN: bias = p.beta * C[j]; break;
      case BRAID_BIAS_PER_ROW: bias = p.beta * C[i]; break;
      case BRAID_BIAS_FULL: bias = p.beta * C[(long long)i * p.n + j]; break;
      default: break;
    }
    Y[(long long)i * p.ldc + j] = p.alpha * s.y[e >> 6][e & 63] + bias;
  }
}

// The implicit GEMM of the bf16 convolution, rows = output channels, columns = pixels, as
// BraidConvSrc (conv.cuh) but with bf16 operands and 8 pixel columns per thread (decoded per
// element: with 128 threads each thread's column is not fixed).
struct BraidConvSrcBf16 {
  const __nv_bfloat16* W;
  const __nv_bfloat16* X;
  int kg, depth, pixels, sp, outW, strideH, strideW, padTop, padLeft;
  int kw, khw, dilationH, dilationW, h, w, cStride;
  static constexpr bool aKFast = true;
  static constexpr bool bKFast = false;
  __device__ __nv_bfloat16 a(int oc, int d) const {
    return (oc < kg && d < depth) ? W[(long long)oc * depth + d] : __float2bfloat16(0.f);
  }
  __device__ __nv_bfloat16 b(int d, int px) const {
    if (px >= pixels || d >= depth) return __float2bfloat16(0.f);
    int img = px / sp, pos = px - img * sp;
    int oh = pos / outW, ow = pos - oh * outW;
    int ci = d / khw, rs = d - ci * khw;
    int r = rs / kw, s = rs - r * kw;
    int ih = oh * strideH - padTop + r * dilationH, iw = ow * strideW - padLeft + s * dilationW;
    if (ih < 0 || ih >= h || iw < 0 || iw >= w) return __float2bfloat16(0.f);
    return X[(long long)img * cStride + ((long long)ci * h + ih) * w + iw];
  }
};

// bf16 convolution (not depthwise): the same problem struct and grid as braid_conv2d_f32 (X, W
// bf16; bias, Y float32), block 128.
BRAID_KERNEL void __launch_bounds__(BRAID_WMMA_THREADS)
braid_conv2d_bf16(BraidConvProblem p) {
  __shared__ __align__(32) BraidWmmaSmem s;
  int perGroup = p.tilesM * p.tilesN;
  int grp = blockIdx.x / perGroup, rem = blockIdx.x - grp * perGroup;
  int pixelTile = rem / p.tilesN, channelTile = rem - pixelTile * p.tilesN;
  int cg = p.c / p.groups;
  BraidConvSrcBf16 src;
  src.kg = p.k / p.groups;
  src.khw = p.kh * p.kw;
  src.depth = cg * src.khw;
  src.sp = p.outH * p.outW;
  src.pixels = p.n * src.sp;
  src.outW = p.outW; src.strideH = p.strideH; src.strideW = p.strideW;
  src.padTop = p.padTop; src.padLeft = p.padLeft; src.kw = p.kw;
  src.dilationH = p.dilationH; src.dilationW = p.dilationW; src.h = p.h; src.w = p.wIn;
  src.cStride = p.c * p.h * p.wIn;
  src.W = reinterpret_cast<const __nv_bfloat16*>(p.w) + (long long)grp * src.kg * src.depth;
  src.X = reinterpret_cast<const __nv_bfloat16*>(p.x) + (long long)grp * cg * p.h * p.wIn;
  int row0 = channelTile * BRAID_TILE, col0 = pixelTile * BRAID_TILE;
  braid_wmma_tile(src, row0, col0, src.depth, s);
  const float* bias = reinterpret_cast<const float*>(p.bias);
  float* Y = reinterpret_cast<float*>(p.y);
  for (int e = threadIdx.x; e < BRAID_TILE * BRAID_TILE; e += BRAID_WMMA_THREADS) {
    int oc = row0 + (e >> 6), px = col0 + (e & 63);
    if (oc >= src.kg || px >= src.pixels) continue;
    int ch = grp * src.kg + oc;
    int img = px / src.sp, pos = px - img * src.sp;
    float v = s.y[e >> 6][e & 63];
    if (p.hasBias) v += bias[ch];
    Y[((long long)img * p.k + ch) * src.sp + pos] = braid_clamp(v, p.actMin, p.actMax);
  }
}

// Converts n float32 values to bf16 (round to nearest even). Grid ceil(n / 1024), block 256.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_f32_to_bf16(const float* __restrict__ x, __nv_bfloat16* __restrict__ y, long long n) {
  long long base = (long long)blockIdx.x * (BRAID_EW_THREADS * BRAID_EW_PER_THREAD) + threadIdx.x;
#pragma unroll
  for (int j = 0; j < BRAID_EW_PER_THREAD; j++) {
    long long i = base + j * BRAID_EW_THREADS;
    if (i < n) y[i] = __float2bfloat16_rn(x[i]);
  }
}
