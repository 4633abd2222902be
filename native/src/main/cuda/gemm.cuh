// float32 GEMM: tiled (64 x 64 tiles), grouped (problem table), skinny (min(M, N) <= 16).
#pragma once
#include "tiled_f32.cuh"

// Batched GEMM, one problem passed by value (p.firstTile ignored). Grid (tilesM * tilesN, batch),
// block 256. Batch entry b reads A at p.a + aOffsets[b] floats, B at p.b + bOffsets[b], writes Y
// at p.y + b * m * ldc; C is shared by all entries.
BRAID_KERNEL void __launch_bounds__(BRAID_TILED_THREADS)
braid_gemm_f32(BraidGemmProblem p, const int32_t* __restrict__ aOffsets, const int32_t* __restrict__ bOffsets) {
  __shared__ BraidTileSmem s;
  int batch = blockIdx.y;
  const float* A = reinterpret_cast<const float*>(p.a) + aOffsets[batch];
  const float* B = reinterpret_cast<const float*>(p.b) + bOffsets[batch];
  float* Y = reinterpret_cast<float*>(p.y) + (long long)batch * p.m * p.ldc;
  braid_gemm_tile(p, A, B, Y, blockIdx.x / p.tilesN, blockIdx.x % p.tilesN, s);
}

// Grouped GEMM: `count` problems of any shapes in one launch. Grid totalTiles (the sum of every
// problem's tilesM * tilesN), block 256; block t runs tile t - firstTile of the problem found by
// binary search over the table's firstTile (device memory, sorted, firstTile[0] == 0).
BRAID_KERNEL void __launch_bounds__(BRAID_TILED_THREADS)
braid_gemm_grouped_f32(const BraidGemmProblem* __restrict__ table, int32_t count) {
  __shared__ BraidTileSmem s;
  __shared__ int problem;
  if (threadIdx.x == 0) problem = braid_find_problem(table, count, blockIdx.x);
  __syncthreads();
  BraidGemmProblem p = table[problem];
  int t = blockIdx.x - p.firstTile;
  braid_gemm_tile(p, reinterpret_cast<const float*>(p.a), reinterpret_cast<const float*>(p.b),
                  reinterpret_cast<float*>(p.y), t / p.tilesN, t % p.tilesN, s);
}

// One block of the skinny GEMM for S = min(M, N) <= 16 (batch-1 matrix-vector products): long
// positions blk * 32 .. + 32 of L = max(M, N), all S short ones, block 128 = 4 warps. Lane l owns
// long position blk * 32 + l and keeps S accumulators; warp w takes k = w, w + 4, ...; the four
// partial sums meet in shared memory [4][16][32] and each thread writes up to 4 outputs. When
// M <= N the long side is N: B's loads are coalesced across lanes and A's are warp-wide
// broadcasts; otherwise the roles swap.
__device__ __forceinline__ void braid_gemm_skinny_block(const BraidGemmProblem& p, const float* __restrict__ A,
                                                        const float* __restrict__ B, float* __restrict__ Y, int blk,
                                                        float (&part)[BRAID_SKINNY_THREADS / 32][BRAID_SKINNY_MAX][BRAID_SKINNY_SPAN]) {
  bool longIsN = p.m <= p.n;
  int S = longIsN ? p.m : p.n;
  int L = longIsN ? p.n : p.m;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int l = blk * BRAID_SKINNY_SPAN + lane;
  bool live = l < L;
  float acc[BRAID_SKINNY_MAX];
#pragma unroll
  for (int s = 0; s < BRAID_SKINNY_MAX; s++) acc[s] = 0.f;
  for (int kk = warp; kk < p.k; kk += BRAID_SKINNY_THREADS / 32) {
    if (longIsN) {
      float bv = live ? (p.transB ? B[(long long)l * p.ldb + kk] : B[(long long)kk * p.ldb + l]) : 0.f;
#pragma unroll
      for (int s = 0; s < BRAID_SKINNY_MAX; s++) {
        if (s < S) acc[s] = fmaf(p.transA ? A[(long long)kk * p.lda + s] : A[(long long)s * p.lda + kk], bv, acc[s]);
      }
    } else {
      float av = live ? (p.transA ? A[(long long)kk * p.lda + l] : A[(long long)l * p.lda + kk]) : 0.f;
#pragma unroll
      for (int s = 0; s < BRAID_SKINNY_MAX; s++) {
        if (s < S) acc[s] = fmaf(av, p.transB ? B[(long long)s * p.ldb + kk] : B[(long long)kk * p.ldb + s], acc[s]);
      }
    }
  }
#pragma unroll
  for (int s = 0; s < BRAID_SKINNY_MAX; s++) part[warp][s][lane] = acc[s];
  __syncthreads();
  const float* C = reinterpret_cast<const float*>(p.c);
  // Thread (warp, lane) finishes short positions s = warp, warp + 4, ... at long position l.
  for (int s = warp; s < S; s += BRAID_SKINNY_THREADS / 32) {
    if (!live) break;
    float v = (part[0][s][lane] + part[1][s][lane]) + (part[2][s][lane] + part[3][s][lane]);
    int i = longIsN ? s : l, j = longIsN ? l : s;
    Y[(long long)i * p.ldc + j] = p.alpha * v + braid_gemm_bias(p, C, i, j);
  }
}

// Skinny GEMM, one problem by value (firstTile ignored). Grid (ceil(L / 32), batch), block 128.
BRAID_KERNEL void __launch_bounds__(BRAID_SKINNY_THREADS)
braid_gemm_skinny_f32(BraidGemmProblem p, const int32_t* __restrict__ aOffsets, const int32_t* __restrict__ bOffsets) {
  __shared__ float part[BRAID_SKINNY_THREADS / 32][BRAID_SKINNY_MAX][BRAID_SKINNY_SPAN];
  int batch = blockIdx.y;
  const float* A = reinterpret_cast<const float*>(p.a) + aOffsets[batch];
  const float* B = reinterpret_cast<const float*>(p.b) + bOffsets[batch];
  float* Y = reinterpret_cast<float*>(p.y) + (long long)batch * p.m * p.ldc;
  braid_gemm_skinny_block(p, A, B, Y, blockIdx.x, part);
}

// Grouped skinny GEMM: every problem has min(M, N) <= 16. Grid = the sum of every problem's
// ceil(max(M, N) / 32) blocks, block 128; the table is GroupedGemmTable's (one entry per batch
// entry) with firstTile = the problem's first block (tilesN is not read).
BRAID_KERNEL void __launch_bounds__(BRAID_SKINNY_THREADS)
braid_gemm_skinny_grouped_f32(const BraidGemmProblem* __restrict__ table, int32_t count) {
  __shared__ float part[BRAID_SKINNY_THREADS / 32][BRAID_SKINNY_MAX][BRAID_SKINNY_SPAN];
  __shared__ int problem;
  if (threadIdx.x == 0) problem = braid_find_problem(table, count, blockIdx.x);
  __syncthreads();
  BraidGemmProblem p = table[problem];
  braid_gemm_skinny_block(p, reinterpret_cast<const float*>(p.a), reinterpret_cast<const float*>(p.b),
                          reinterpret_cast<float*>(p.y), blockIdx.x - p.firstTile, part);
}
