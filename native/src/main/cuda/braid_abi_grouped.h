/*
 * Braid CUDA kernel ABI, part two: the problem structs of the grouped kernels beyond GEMM and
 * convolution (elementwise, pool, rows, TopK fibres, N-d pool). Included by braid_abi.h, at its
 * end, after the structs these reuse (BraidConvProblem, BraidShape); include braid_abi.h, not this.
 * The same rules hold: fixed-width fields, every pad named, every size asserted.
 */
#ifndef BRAID_ABI_GROUPED_H
#define BRAID_ABI_GROUPED_H

/*
 * The fusion classes beyond GEMM and convolution (issue 10): each grouped kernel reads a table of
 * one problem struct per problem in device memory, sorted by firstBlock with firstBlock[0] == 0;
 * block b runs block b - firstBlock of the last problem with firstBlock <= b (braid_find_problem,
 * TileMap.problemOf), after staging that entry in shared memory. A problem owns at least one
 * block; problems with no work are left out of the table by the host.
 *
 * Grouped depthwise convolution (braid_conv2d_depthwise_grouped_f32) reuses BraidConvProblem with
 * firstTile = the problem's first block (256 outputs each), tilesM = its blocks, tilesN = 1; any
 * window, stride, dilation, pads and channel multiplier per entry.
 */

/* BraidElementwiseProblem.kind */
#define BRAID_EW_UNARY 0
#define BRAID_EW_BINARY 1
#define BRAID_EW_BATCHNORM 2

/*
 * One problem of braid_elementwise_grouped_f32: Unary (any UnaryOp), Binary (any BinaryOp, numpy
 * broadcasting through shape) or BatchNorm (scale and shift per channel), 1024 outputs per block
 * (256 threads x 4), as the single-problem kernels.
 *
 *  offset size field
 *       0    8 x          Unary x, Binary a, BatchNorm x
 *       8    8 b          Binary b, BatchNorm scale; 0 for Unary
 *      16    8 c          BatchNorm shift; 0 otherwise
 *      24    8 y
 *      32    8 n          outputs (int64)
 *      40    4 kind       BRAID_EW_*
 *      44    4 op         UnaryOp or BinaryOp ordinal; 0 for BatchNorm
 *      48    4 lo         float32, Clip's lower bound (Unary only)
 *      52    4 hi         float32, Clip's upper bound (Unary only)
 *      56    4 channels   BatchNorm
 *      60    4 spatial    BatchNorm
 *      64    4 firstBlock
 *      68    4 pad0       0
 *      72  136 shape      Binary: BraidShape (dims = out, strideA/B broadcast strides); else zeros
 *   size 208, alignment 8
 */
typedef struct BraidElementwiseProblem {
  uint64_t x, b, c, y;
  int64_t n;
  int32_t kind, op;
  float lo, hi;
  int32_t channels, spatial, firstBlock, pad0;
  BraidShape shape;
} BraidElementwiseProblem;

/* Each declaration's first field where the table above puts it. */
BRAID_STATIC_ASSERT(sizeof(BraidElementwiseProblem) == 208, "BraidElementwiseProblem is 208 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidElementwiseProblem, n) == 32, "BraidElementwiseProblem.n at 32");
BRAID_STATIC_ASSERT(offsetof(BraidElementwiseProblem, kind) == 40, "BraidElementwiseProblem.kind at 40");
BRAID_STATIC_ASSERT(offsetof(BraidElementwiseProblem, lo) == 48, "BraidElementwiseProblem.lo at 48");
BRAID_STATIC_ASSERT(offsetof(BraidElementwiseProblem, channels) == 56, "BraidElementwiseProblem.channels at 56");
BRAID_STATIC_ASSERT(offsetof(BraidElementwiseProblem, firstBlock) == 64, "BraidElementwiseProblem.firstBlock at 64");
BRAID_STATIC_ASSERT(offsetof(BraidElementwiseProblem, shape) == 72, "BraidElementwiseProblem.shape at 72");

/* BraidPoolProblem.mode: PoolMode ordinals, then global average pooling. */
#define BRAID_POOL_MAX 0
#define BRAID_POOL_AVERAGE 1
#define BRAID_POOL_GLOBAL_AVERAGE 2

/*
 * One problem of braid_pool_grouped_f32. MAX/AVERAGE: Pool2d, one output per thread, 256 per
 * block. GLOBAL_AVERAGE: GlobalAveragePool over c rows of h * w values (the host writes n = 1,
 * h = 1, w = spatial, outH = outW = 1), one warp per row, 8 rows per block.
 *
 *  offset size field
 *       0    8 x
 *       8    8 y
 *      16    4 mode       BRAID_POOL_*
 *      20    4 n
 *      24    4 c
 *      28    4 h
 *      32    4 w
 *      36    4 kh
 *      40    4 kw
 *      44    4 strideH
 *      48    4 strideW
 *      52    4 padTop
 *      56    4 padLeft
 *      60    4 padBottom
 *      64    4 padRight
 *      68    4 dilationH
 *      72    4 dilationW
 *      76    4 outH
 *      80    4 outW
 *      84    4 countIncludePad 0 or 1
 *      88    4 firstBlock
 *      92    4 pad0       0
 *   size 96, alignment 8
 */
typedef struct BraidPoolProblem {
  uint64_t x, y;
  int32_t mode, n, c, h, w;
  int32_t kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW;
  int32_t outH, outW, countIncludePad, firstBlock, pad0;
} BraidPoolProblem;

/* Each declaration's first field, and the last, where the table above puts them. */
BRAID_STATIC_ASSERT(sizeof(BraidPoolProblem) == 96, "BraidPoolProblem is 96 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidPoolProblem, mode) == 16, "BraidPoolProblem.mode at 16");
BRAID_STATIC_ASSERT(offsetof(BraidPoolProblem, kh) == 36, "BraidPoolProblem.kh at 36");
BRAID_STATIC_ASSERT(offsetof(BraidPoolProblem, outH) == 76, "BraidPoolProblem.outH at 76");
BRAID_STATIC_ASSERT(offsetof(BraidPoolProblem, firstBlock) == 88, "BraidPoolProblem.firstBlock at 88");
BRAID_STATIC_ASSERT(offsetof(BraidPoolProblem, pad0) == 92, "BraidPoolProblem.pad0 at 92");

/* BraidRowProblem.kind */
#define BRAID_ROWS_SOFTMAX 0
#define BRAID_ROWS_LAYERNORM 1
#define BRAID_ROWS_REDUCE_MEAN 2
#define BRAID_ROWS_REDUCE 3
#define BRAID_ROWS_ALONG_AXIS 4

/*
 * One problem of braid_rows_grouped_f32: one block per row (Softmax fibre, LayerNorm row,
 * ReduceMean or Reduce output, AlongAxis fibre). `threads` = clamp(nextPow2(row length), 32, 256),
 * the block size the single-problem kernel uses: only that many threads of the launch's block (the
 * largest threads of the table) work on the row, so the sums meet in the same order as alone.
 * Reduce and AlongAxis entries are never integral (FusionKeys keeps those out): the grouped kernel
 * has no status word.
 *
 *  offset size field
 *       0    8 x
 *       8    8 y
 *      16    8 scale      LayerNorm scale; 0 otherwise
 *      24    8 bias       LayerNorm bias, 0 = none
 *      32    8 count      ReduceMean, Reduce: reduced elements (int64); else 0
 *      40    4 kind       BRAID_ROWS_*
 *      44    4 threads
 *      48    4 firstBlock
 *      52    4 len        Softmax and AlongAxis axis, LayerNorm cols; else 0
 *      56    4 inner      Softmax and AlongAxis inner; else 0
 *      60    4 epsilon    float32, LayerNorm
 *      64  136 shape      ReduceMean, Reduce: as braid_reduce_mean_f32's; else zeros
 *     200    4 op         Reduce: BRAID_R_* (ReduceOp ordinal); AlongAxis: BRAID_A_*; else 0
 *     204    4 (padding, 0)
 *   size 208, alignment 8
 */
typedef struct BraidRowProblem {
  uint64_t x;
  uint64_t y;
  uint64_t scale;
  uint64_t bias;
  int64_t count;
  int32_t kind;
  int32_t threads;
  int32_t firstBlock;
  int32_t len;
  int32_t inner;
  float epsilon;
  BraidShape shape;
  int32_t op;
  int32_t pad;
} BraidRowProblem;

BRAID_STATIC_ASSERT(sizeof(BraidRowProblem) == 208, "BraidRowProblem is 208 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidRowProblem, kind) == 40, "BraidRowProblem.kind at 40");
BRAID_STATIC_ASSERT(offsetof(BraidRowProblem, epsilon) == 60, "BraidRowProblem.epsilon at 60");
BRAID_STATIC_ASSERT(offsetof(BraidRowProblem, shape) == 64, "BraidRowProblem.shape at 64");
BRAID_STATIC_ASSERT(offsetof(BraidRowProblem, op) == 200, "BraidRowProblem.op at 200");

/*
 * One problem of braid_topk_grouped_f32: a TopK over [outer, axis, inner], one thread per fibre
 * (fibres = outer * inner), 256 fibres per block. Each fibre runs braid_topk_fibre, the body of
 * braid_topk_f32 (which packs 1024 fibres per block, 4 per thread): a fibre's picks do not depend
 * on the block it runs in.
 *
 *  offset size field
 *       0    8 x
 *       8    8 y          values, or indices as float32 integers
 *      16    8 fibres     outer * inner (int64)
 *      24    4 axis
 *      28    4 inner
 *      32    4 k
 *      36    4 largest    0 or 1
 *      40    4 indices    0 or 1
 *      44    4 firstBlock
 *   size 48, alignment 8
 */
typedef struct BraidTopKProblem {
  uint64_t x;
  uint64_t y;
  int64_t fibres;
  int32_t axis;
  int32_t inner;
  int32_t k;
  int32_t largest;
  int32_t indices;
  int32_t firstBlock;
} BraidTopKProblem;

BRAID_STATIC_ASSERT(sizeof(BraidTopKProblem) == 48, "BraidTopKProblem is 48 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidTopKProblem, fibres) == 16, "BraidTopKProblem.fibres at 16");
BRAID_STATIC_ASSERT(offsetof(BraidTopKProblem, axis) == 24, "BraidTopKProblem.axis at 24");
BRAID_STATIC_ASSERT(offsetof(BraidTopKProblem, firstBlock) == 44, "BraidTopKProblem.firstBlock at 44");

/*
 * One problem of braid_pool_nd_grouped_f32: a PoolNd (MAX, AVERAGE, LP or MAX_INDEX over 1 to 3
 * spatial axes), one output per thread, 256 per block, each on braid_pool_nd_at, the body of
 * braid_pool_nd_f32. Its own table rather than BraidPoolProblem's: the N-d geometry would grow
 * every 2-D pool entry from 96 to 184 bytes and the 2-D kernel's registers to the N-d body's.
 *
 *  offset size field
 *       0    8 x
 *       8    8 y
 *      16    8 n          outputs (int64)
 *      24    4 kind       BRAID_P_* (PoolNd.Kind ordinal)
 *      28    4 countIncludePad 0 or 1
 *      32    4 p          LP's exponent; else as the host passes it
 *      36    4 columnMajor 0 or 1 (MAX_INDEX)
 *      40    4 firstBlock
 *      44    4 pad0       0
 *      48  136 shape      the geometry, as braid_pool_nd_f32's BraidShape
 *   size 184, alignment 8
 */
typedef struct BraidPoolNdProblem {
  uint64_t x;
  uint64_t y;
  int64_t n;
  int32_t kind;
  int32_t countIncludePad;
  int32_t p;
  int32_t columnMajor;
  int32_t firstBlock;
  int32_t pad0;
  BraidShape shape;
} BraidPoolNdProblem;

BRAID_STATIC_ASSERT(sizeof(BraidPoolNdProblem) == 184, "BraidPoolNdProblem is 184 bytes");
BRAID_STATIC_ASSERT(offsetof(BraidPoolNdProblem, kind) == 24, "BraidPoolNdProblem.kind at 24");
BRAID_STATIC_ASSERT(offsetof(BraidPoolNdProblem, firstBlock) == 40, "BraidPoolNdProblem.firstBlock at 40");
BRAID_STATIC_ASSERT(offsetof(BraidPoolNdProblem, shape) == 48, "BraidPoolNdProblem.shape at 48");

#endif /* BRAID_ABI_GROUPED_H */
