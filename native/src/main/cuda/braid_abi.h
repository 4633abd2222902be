/*
 * Braid CUDA kernel ABI: the structs the host packs byte for byte (little-endian) and hands to the
 * kernels, by value as a kernel parameter or in device memory (the grouped problem tables).
 *
 * Plain C11/C++11 so that gcc can compile it on a machine without nvcc (the layout test does):
 * fixed-width fields only, every pad named, every size asserted. Device pointers are uint64_t so
 * that the host and device agree on width whatever the compiler. The Java mirrors are
 * dev.braid.device.cuda.GroupedGemmTable and GroupedConvTable; README.md tabulates the offsets.
 */
#ifndef BRAID_ABI_H
#define BRAID_ABI_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
#define BRAID_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define BRAID_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

/* Output tile of the tiled float32 GEMM and implicit-GEMM convolution: 64 x 64, K in stages of 16. */
#define BRAID_TILE 64
#define BRAID_TILE_K 16
/* Threads of a tiled block: 16 x 16, each computing a 4 x 4 register block. */
#define BRAID_TILED_THREADS 256
/* Skinny GEMM: short side <= 16, a block covers 32 positions of the long side with 4 warps. */
#define BRAID_SKINNY_MAX 16
#define BRAID_SKINNY_SPAN 32
#define BRAID_SKINNY_THREADS 128
/* bf16 tensor-core kernels: 64 x 64 tile, K stage 16 (one WMMA k-step), 4 warps each 32 x 32. */
#define BRAID_WMMA_THREADS 128
/* Elementwise: 256 threads, 4 elements each. */
#define BRAID_EW_THREADS 256
#define BRAID_EW_PER_THREAD 4
/* The largest rank the by-value shape structs carry. */
#define BRAID_MAX_RANK 8
/* Inputs one Concat launch takes; the host splits longer lists over several launches. */
#define BRAID_MAX_CONCAT 16

/* GemmBias, in the Java enum's ordinal order. */
#define BRAID_BIAS_NONE 0
#define BRAID_BIAS_SCALAR 1
#define BRAID_BIAS_PER_COLUMN 2
#define BRAID_BIAS_PER_ROW 3
#define BRAID_BIAS_FULL 4

/*
 * One problem of a grouped GEMM: Y = alpha * op(A) * op(B) + beta * C, row-major, op(A) m x k,
 * op(B) k x n, Y m x n with row stride ldc. A is m x k with row stride lda (k x m when transA),
 * B is k x n with row stride ldb (n x k when transB). C broadcasts per biasMode (BRAID_BIAS_*);
 * c is 0 when biasMode is NONE. The problem owns tiles [firstTile, firstTile + tilesM * tilesN)
 * of the grid's flattened tile space, tile t = firstTile + row * tilesN + col; the table is
 * sorted by firstTile and firstTile[0] == 0.
 *
 *  offset size field
 *       0    8 a          device address of A (float*, or bf16* for the bf16 kernels)
 *       8    8 b          device address of B
 *      16    8 c          device address of C (float*), 0 without bias
 *      24    8 y          device address of Y (float*)
 *      32    4 m
 *      36    4 n
 *      40    4 k
 *      44    4 lda
 *      48    4 ldb
 *      52    4 ldc
 *      56    4 transA     0 or 1
 *      60    4 transB     0 or 1
 *      64    4 alpha      float32
 *      68    4 beta       float32
 *      72    4 biasMode   BRAID_BIAS_*
 *      76    4 firstTile
 *      80    4 tilesN     ceil(n / 64)
 *      84    4 pad0       0
 *   size 88, alignment 8
 */
typedef struct BraidGemmProblem {
  uint64_t a, b, c, y;
  int32_t m, n, k, lda, ldb, ldc;
  int32_t transA, transB;
  float alpha, beta;
  int32_t biasMode, firstTile, tilesN, pad0;
} BraidGemmProblem;

/* Each declaration's first field, and the last, where the table above puts them. */
BRAID_STATIC_ASSERT(sizeof(BraidGemmProblem) == 88, "BraidGemmProblem is 88 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidGemmProblem, m) == 32, "BraidGemmProblem.m at 32");
BRAID_STATIC_ASSERT(offsetof(BraidGemmProblem, transA) == 56, "BraidGemmProblem.transA at 56");
BRAID_STATIC_ASSERT(offsetof(BraidGemmProblem, alpha) == 64, "BraidGemmProblem.alpha at 64");
BRAID_STATIC_ASSERT(offsetof(BraidGemmProblem, biasMode) == 72, "BraidGemmProblem.biasMode at 72");
BRAID_STATIC_ASSERT(offsetof(BraidGemmProblem, firstTile) == 76, "BraidGemmProblem.firstTile at 76");
BRAID_STATIC_ASSERT(offsetof(BraidGemmProblem, tilesN) == 80, "BraidGemmProblem.tilesN at 80");
BRAID_STATIC_ASSERT(offsetof(BraidGemmProblem, pad0) == 84, "BraidGemmProblem.pad0 at 84");

/*
 * One problem of a grouped implicit-GEMM convolution (NCHW, not depthwise). Per group g the GEMM
 * has M = n * outH * outW output pixels, N = k / groups output channels, K = c / groups * kh * kw.
 * The problem owns tiles [firstTile, firstTile + groups * tilesM * tilesN), tile
 * t = firstTile + (g * tilesM + row) * tilesN + col, row over pixels, col over channels.
 * Bottom/right pads need no field: outH and outW already account for them. The activation is a
 * clamp to [actMin, actMax] (+-inf for none) after the bias.
 *
 *  offset size field
 *       0    8 x          device address of X [n, c, h, w]
 *       8    8 w          device address of W [k, c/groups, kh, kw]
 *      16    8 bias       device address of B [k], 0 without bias
 *      24    8 y          device address of Y [n, k, outH, outW]
 *      32    4 n
 *      36    4 c
 *      40    4 h
 *      44    4 w
 *      48    4 k
 *      52    4 kh
 *      56    4 kw
 *      60    4 strideH
 *      64    4 strideW
 *      68    4 padTop
 *      72    4 padLeft
 *      76    4 dilationH
 *      80    4 dilationW
 *      84    4 groups
 *      88    4 outH
 *      92    4 outW
 *      96    4 actMin     float32
 *     100    4 actMax     float32
 *     104    4 hasBias    0 or 1
 *     108    4 firstTile
 *     112    4 tilesM     ceil(n * outH * outW / 64)
 *     116    4 tilesN     ceil(k / groups / 64)
 *     120    8 pad0       0
 *   size 128, alignment 8
 */
typedef struct BraidConvProblem {
  uint64_t x, w, bias, y;
  int32_t n, c, h, wIn, k;
  int32_t kh, kw, strideH, strideW, padTop, padLeft, dilationH, dilationW, groups;
  int32_t outH, outW;
  float actMin, actMax;
  int32_t hasBias, firstTile, tilesM, tilesN;
  int64_t pad0;
} BraidConvProblem;

/* Each declaration's first field, and the last, where the table above puts them. */
BRAID_STATIC_ASSERT(sizeof(BraidConvProblem) == 128, "BraidConvProblem is 128 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, n) == 32, "BraidConvProblem.n at 32");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, kh) == 52, "BraidConvProblem.kh at 52");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, outH) == 88, "BraidConvProblem.outH at 88");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, actMin) == 96, "BraidConvProblem.actMin at 96");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, hasBias) == 104, "BraidConvProblem.hasBias at 104");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, firstTile) == 108, "BraidConvProblem.firstTile at 108");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, tilesN) == 116, "BraidConvProblem.tilesN at 116");
BRAID_STATIC_ASSERT(offsetof(BraidConvProblem, pad0) == 120, "BraidConvProblem.pad0 at 120");

/*
 * A tensor shape seen through broadcasting or a permutation, passed by value. rank <= 8; dims of
 * the iterated (output) shape; strideA/strideB: element strides of the inputs per output axis
 * (0 where broadcast). Binary uses both strides; Transpose uses strideA only (input stride of
 * each output axis); ReduceMean: dims/strideA are the kept axes, dims2/strideB the reduced ones.
 *
 *  offset size field
 *       0    4 rank
 *       4    4 rank2      ReduceMean: reduced rank; else 0
 *       8   32 dims[8]
 *      40   32 strideA[8]
 *      72   32 strideB[8]
 *     104   32 dims2[8]
 *   size 136, alignment 4
 */
typedef struct BraidShape {
  int32_t rank;
  int32_t rank2;
  int32_t dims[BRAID_MAX_RANK];
  int32_t strideA[BRAID_MAX_RANK];
  int32_t strideB[BRAID_MAX_RANK];
  int32_t dims2[BRAID_MAX_RANK];
} BraidShape;

BRAID_STATIC_ASSERT(sizeof(BraidShape) == 136, "BraidShape is 136 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidShape, strideB) == 72, "BraidShape.strideB at 72");

/*
 * Concat's inputs, by value: input i (i < count) is copied, row by row of `chunk[i]` elements, to
 * columns [colStart[i], colStart[i] + chunk[i]) of each of the output's `outer` rows of `outRow`
 * elements. colStart ascends; colStart[count] == outRow.
 *
 *  offset size field
 *       0  128 x[16]       device addresses
 *     128   68 colStart[17]
 *     196    4 count
 *   size 200, alignment 8
 */
typedef struct BraidConcatInputs {
  uint64_t x[BRAID_MAX_CONCAT];
  int32_t colStart[BRAID_MAX_CONCAT + 1];
  int32_t count;
} BraidConcatInputs;

BRAID_STATIC_ASSERT(sizeof(BraidConcatInputs) == 200, "BraidConcatInputs is 200 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidConcatInputs, count) == 196, "BraidConcatInputs.count at 196");

/* The grouped kernels' problem structs beyond GEMM and convolution. */
#include "braid_abi_grouped.h"

#endif /* BRAID_ABI_H */
