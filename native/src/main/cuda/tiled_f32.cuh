// The float32 64 x 64 tile engine shared by the tiled GEMM and the implicit-GEMM convolution.
//
// A block of 16 x 16 threads computes Y[row0 .. row0+64) x [col0 .. col0+64) of
// Y = A (rows x depth) * B (depth x cols). K advances in stages of 16: the block loads a 64 x 16
// slice of A and a 16 x 64 slice of B (4 elements per thread each) into shared memory, and each
// thread accumulates a 4 x 4 register block at rows ty + 16 r, columns tx + 16 c (strided, so that
// shared reads are broadcasts or consecutive words and the epilogue's stores by consecutive tx are
// consecutive columns). The next stage's global loads are issued into registers before the
// current stage is computed, hiding their latency behind the FMAs. Accumulation is float32, in
// order of k, with no atomics: every output belongs to exactly one thread.
//
// A source supplies element values with bounds handled (0 outside) and says which index is fast
// in memory so that each warp's loads are coalesced:
//   bool aKFast, bKFast;  float a(int row, int kk); float b(int kk, int col);
#pragma once
#include "common.cuh"

#define BRAID_SMEM_PAD 4  // 68-float rows: stores with k fast hit at most 2 threads per bank

struct BraidTileSmem {
  float a[BRAID_TILE_K][BRAID_TILE + BRAID_SMEM_PAD];
  float b[BRAID_TILE_K][BRAID_TILE + BRAID_SMEM_PAD];
};

// Element l (0..3) of this thread's share of a stage: its index along the tile (a row of A, a
// column of B) and its k within the stage. Consecutive threads take consecutive k when k is fast
// in memory (16 per tile index), else consecutive tile indices (64 per k), so loads coalesce.
struct BraidStageSlot {
  int tile, k;
};

__device__ __forceinline__ BraidStageSlot braid_stage_slot(bool kFast, int l) {
  int e = threadIdx.x + BRAID_TILED_THREADS * l;
  return kFast ? BraidStageSlot{e >> 4, e & 15} : BraidStageSlot{e & 63, e >> 6};
}

template <class Src>
__device__ __forceinline__ void braid_tile_load(const Src& src, int row0, int col0, int k0,
                                                float ra[4], float rb[4]) {
#pragma unroll
  for (int l = 0; l < 4; l++) {
    BraidStageSlot sa = braid_stage_slot(src.aKFast, l), sb = braid_stage_slot(src.bKFast, l);
    ra[l] = src.a(row0 + sa.tile, k0 + sa.k);
    rb[l] = src.b(k0 + sb.k, col0 + sb.tile);
  }
}

template <class Src>
__device__ __forceinline__ void braid_tile_store(const Src& src, BraidTileSmem& s,
                                                 const float ra[4], const float rb[4]) {
#pragma unroll
  for (int l = 0; l < 4; l++) {
    BraidStageSlot sa = braid_stage_slot(src.aKFast, l), sb = braid_stage_slot(src.bKFast, l);
    s.a[sa.k][sa.tile] = ra[l];
    s.b[sb.k][sb.tile] = rb[l];
  }
}

// acc[r][c] = sum over depth of A[row0 + ty + 16 r][.] * B[.][col0 + tx + 16 c].
template <class Src>
__device__ __forceinline__ void braid_tile_mma(const Src& src, BraidTileSmem& s, int row0, int col0,
                                               int depth, float acc[4][4]) {
  int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
  for (int r = 0; r < 4; r++)
#pragma unroll
    for (int c = 0; c < 4; c++) acc[r][c] = 0.f;
  float ra[4], rb[4];
  braid_tile_load(src, row0, col0, 0, ra, rb);
  for (int k0 = 0; k0 < depth; k0 += BRAID_TILE_K) {
    __syncthreads();  // the previous stage's reads are done
    braid_tile_store(src, s, ra, rb);
    __syncthreads();
    if (k0 + BRAID_TILE_K < depth) braid_tile_load(src, row0, col0, k0 + BRAID_TILE_K, ra, rb);
#pragma unroll
    for (int kk = 0; kk < BRAID_TILE_K; kk++) {
      float av[4], bv[4];
#pragma unroll
      for (int r = 0; r < 4; r++) av[r] = s.a[kk][ty + 16 * r];
#pragma unroll
      for (int c = 0; c < 4; c++) bv[c] = s.b[kk][tx + 16 * c];
#pragma unroll
      for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) acc[r][c] = fmaf(av[r], bv[c], acc[r][c]);
    }
  }
}

// GEMM operands of one problem (after batch offsets), with bounds.
struct BraidGemmSrc {
  const float* A;
  const float* B;
  int m, n, k, lda, ldb;
  bool aKFast, bKFast;  // !transA, transB
  __device__ float a(int i, int kk) const {
    if (i >= m || kk >= k) return 0.f;
    return aKFast ? A[(long long)i * lda + kk] : A[(long long)kk * lda + i];
  }
  __device__ float b(int kk, int j) const {
    if (kk >= k || j >= n) return 0.f;
    return bKFast ? B[(long long)j * ldb + kk] : B[(long long)kk * ldb + j];
  }
};

__device__ __forceinline__ float braid_gemm_bias(const BraidGemmProblem& p, const float* C, int i, int j) {
  switch (p.biasMode) {
    case BRAID_BIAS_SCALAR: return p.beta * C[0];
    case BRAID_BIAS_PER_COLUMN: return p.beta * C[j];
    case BRAID_BIAS_PER_ROW: return p.beta * C[i];
    case BRAID_BIAS_FULL: return p.beta * C[(long long)i * p.n + j];
    default: return 0.f;
  }
}

// One 64 x 64 tile of one GEMM problem, A/B/Y already offset to the batch entry.
__device__ __forceinline__ void braid_gemm_tile(const BraidGemmProblem& p, const float* A, const float* B,
                                                float* Y, int tileRow, int tileCol, BraidTileSmem& s) {
  BraidGemmSrc src{A, B, p.m, p.n, p.k, p.lda, p.ldb, p.transA == 0, p.transB != 0};
  int row0 = tileRow * BRAID_TILE, col0 = tileCol * BRAID_TILE;
  float acc[4][4];
  braid_tile_mma(src, s, row0, col0, p.k, acc);
  const float* C = reinterpret_cast<const float*>(p.c);
  int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
  for (int r = 0; r < 4; r++) {
    int i = row0 + ty + 16 * r;
    if (i >= p.m) continue;
#pragma unroll
    for (int c = 0; c < 4; c++) {
      int j = col0 + tx + 16 * c;
      if (j >= p.n) continue;
      // alpha * acc + beta * C, in the CPU epilogue's order.
      Y[(long long)i * p.ldc + j] = p.alpha * acc[r][c] + braid_gemm_bias(p, C, i, j);
    }
  }
}
