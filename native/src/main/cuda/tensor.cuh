// Issue 12's TopK, the generic index-map kernel and the kernels addressed by run-time indices
// (GatherElements, GatherND, ScatterElements/ND, OneHot); its reductions and fibre operators
// (braid_reduce_f32, braid_along_axis_f32) are row kernels and live in reduce.cuh beside the
// grouped rows kernel's other bodies.
//
// These are elementwise (BRAID_EW_FOR, 1024 per block) or one thread per fibre (TopK) / per line
// (scatters). No atomics: a scatter's updates that may land on one element are applied by one
// thread, in index order, so duplicates are deterministic. Integers arrive as float32 values; an
// index that is not an integer or is out of range sets *status (position + 1) and the host fails
// the launch.
#pragma once
#include "common.cuh"
#include "elementwise.cuh"
#include "reduce.cuh"

// ScatterReduction ordinals.
#define BRAID_S_NONE 0
#define BRAID_S_ADD 1
#define BRAID_S_MUL 2
#define BRAID_S_MAX 3
#define BRAID_S_MIN 4

// TopK of one fibre f (fibres = outer * inner); the j-th pick is the first element, in the order
// (value descending for largest, ascending otherwise; then index ascending), that comes after the
// (j-1)-th pick. O(k * axis) per fibre, no scratch memory. The body of braid_topk_f32 and of
// braid_topk_grouped_f32 (grouped.cuh), so a grouped fibre computes what it does alone.
__device__ __forceinline__ void braid_topk_fibre(const float* __restrict__ x, float* __restrict__ y, long long f,
                                                 int32_t axis, int32_t inner, int32_t k, int32_t largest,
                                                 int32_t indices) {
  long long o = f / inner, in = f % inner;
  long long base = o * axis * inner + in, outBase = o * (long long)k * inner + in;
  float pv = 0.f;
  int pi = -1;
  for (int j = 0; j < k; j++) {
    float bv = 0.f;
    int bi = -1;
    for (int i = 0; i < axis; i++) {
      float v = x[base + (long long)i * inner];
      // strictly after the previous pick in the order
      bool after = pi < 0 || (largest ? v < pv : v > pv) || (v == pv && i > pi);
      if (after && (bi < 0 || (largest ? v > bv : v < bv) || (v == bv && i < bi))) {
        bv = v;
        bi = i;
      }
    }
    y[outBase + (long long)j * inner] = indices ? (float)bi : bv;
    pv = bv;
    pi = bi;
  }
}

// TopK: one thread per fibre, 1024 fibres per block (BRAID_EW_FOR).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_topk_f32(const float* __restrict__ x, float* __restrict__ y, long long fibres, int32_t axis, int32_t inner,
               int32_t k, int32_t largest, int32_t indices) {
  BRAID_EW_FOR(f, fibres) braid_topk_fibre(x, y, f, axis, inner, k, largest, indices);
}

// Remap: y[i] = x[map[i]], or fill where map[i] == -1; a map entry that is not an integer in
// [-1, inputElements) sets *status = i + 1.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_remap_f32(const float* __restrict__ x, const float* __restrict__ map, float* __restrict__ y, long long n,
                float fill, int32_t inputElements, int32_t* __restrict__ status) {
  BRAID_EW_FOR(i, n) {
    float m = map[i];
    if (m != truncf(m) || m < -1.f || m >= (float)inputElements) {
      *status = (int32_t)(i + 1);
      y[i] = 0.f;
    } else {
      y[i] = m < 0.f ? fill : x[(long long)m];
    }
  }
}

// The index at idx for an axis of `dim` (negatives from the end), or -1 when invalid.
__device__ __forceinline__ long long braid_index(float raw, int dim) {
  float v = truncf(raw);
  if (v != raw || v < (float)-dim || v >= (float)dim) return -1;
  long long a = (long long)v;
  return a < 0 ? a + dim : a;
}

// GatherElements: one thread per element of indices; shape.dims = indices' dims (rank),
// shape.strideA = data's strides, shape.dims2[0] = data's size along `axis`.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_gather_elements_f32(const float* __restrict__ data, const float* __restrict__ idx, float* __restrict__ y,
                          long long n, BraidShape shape, int32_t axis, int32_t* __restrict__ status) {
  BRAID_EW_FOR(e, n) {
    long long rem = e, off = 0;
    bool ok = true;
    for (int d = shape.rank - 1; d >= 0; d--) {
      long long c = rem % shape.dims[d];
      rem /= shape.dims[d];
      if (d == axis) {
        c = braid_index(idx[e], shape.dims2[0]);
        if (c < 0) ok = false;
      }
      off += c * shape.strideA[d];
    }
    if (ok) {
      y[e] = data[off];
    } else {
      *status = (int32_t)(e + 1);
      y[e] = 0.f;
    }
  }
}

// GatherND: one thread per output element e = t * slice + s; tuple t's k = shape.rank components
// address data axes with sizes shape.dims and strides shape.strideA; batches of tuplesPerBatch
// tuples start batchStride elements apart.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_gather_nd_f32(const float* __restrict__ data, const float* __restrict__ idx, float* __restrict__ y,
                    long long n, int32_t slice, int32_t tuplesPerBatch, long long batchStride, BraidShape shape,
                    int32_t* __restrict__ status) {
  BRAID_EW_FOR(e, n) {
    long long t = e / slice, s = e % slice;
    long long off = (t / tuplesPerBatch) * batchStride;
    bool ok = true;
    for (int j = 0; j < shape.rank; j++) {
      long long c = braid_index(idx[t * shape.rank + j], shape.dims[j]);
      if (c < 0) ok = false;
      off += c * shape.strideA[j];
    }
    if (ok) {
      y[e] = data[off + s];
    } else {
      *status = (int32_t)(t * shape.rank + 1);
      y[e] = 0.f;
    }
  }
}

__device__ __forceinline__ float braid_scatter_combine(int reduction, float current, float update) {
  switch (reduction) {
    case BRAID_S_ADD: return current + update;
    case BRAID_S_MUL: return current * update;
    case BRAID_S_MAX: return braid_nan_max(current, update);
    case BRAID_S_MIN: return braid_nan_min(current, update);
    default: return update;
  }
}

// ScatterND after y = copy of data: thread e (< slice) applies element e of every tuple's update,
// tuples in order; tuple components as braid_gather_nd_f32's (shape.rank = k, dims/strideA).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_scatter_nd_f32(const float* __restrict__ idx, const float* __restrict__ upd, float* __restrict__ y,
                     long long slice, int32_t tuples, BraidShape shape, int32_t reduction, int32_t* __restrict__ status) {
  BRAID_EW_FOR(e, slice) {
    for (int t = 0; t < tuples; t++) {
      long long off = 0;
      bool ok = true;
      for (int j = 0; j < shape.rank; j++) {
        long long c = braid_index(idx[(long long)t * shape.rank + j], shape.dims[j]);
        if (c < 0) ok = false;
        off += c * shape.strideA[j];
      }
      if (!ok) {
        *status = t * shape.rank + 1;
        continue;
      }
      y[off + e] = braid_scatter_combine(reduction, y[off + e], upd[(long long)t * slice + e]);
    }
  }
}

// ScatterElements after y = copy of data: one thread per line of indices along `axis` (lines =
// indices' size / its size along axis), applying the line's updates in order. shape.dims =
// indices' dims, strideA = data's strides, strideB = indices' strides, dims2[0] = data's size
// along axis.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_scatter_elements_f32(const float* __restrict__ idx, const float* __restrict__ upd, float* __restrict__ y,
                           long long lines, BraidShape shape, int32_t axis, int32_t reduction,
                           int32_t* __restrict__ status) {
  BRAID_EW_FOR(line, lines) {
    long long rem = line, dataBase = 0, idxBase = 0;
    for (int d = shape.rank - 1; d >= 0; d--) {
      if (d == axis) continue;
      long long c = rem % shape.dims[d];
      rem /= shape.dims[d];
      dataBase += c * shape.strideA[d];
      idxBase += c * shape.strideB[d];
    }
    for (int j = 0; j < shape.dims[axis]; j++) {
      long long p = idxBase + (long long)j * shape.strideB[axis];
      long long c = braid_index(idx[p], shape.dims2[0]);
      if (c < 0) {
        *status = (int32_t)(p + 1);
        continue;
      }
      long long o = dataBase + c * shape.strideA[axis];
      y[o] = braid_scatter_combine(reduction, y[o], upd[p]);
    }
  }
}

// OneHot: y viewed as [outer, depth, inner], indices as [outer, inner] (cast to integers by
// truncation, negatives from the end; out of range gives a row of `off`).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_onehot_f32(const float* __restrict__ idx, float* __restrict__ y, long long n, int32_t depth, int32_t inner,
                 float off, float on) {
  BRAID_EW_FOR(e, n) {
    long long i = e % inner, j = (e / inner) % depth, o = e / ((long long)inner * depth);
    long long v = (long long)idx[o * inner + i];
    long long hot = v < 0 ? v + depth : v;
    y[e] = j == hot ? on : off;
  }
}

// PoolNd kinds (dev.braid.device.kernel.PoolNd.Kind ordinals).
#define BRAID_P_MAX 0
#define BRAID_P_AVERAGE 1
#define BRAID_P_LP 2
#define BRAID_P_MAX_INDEX 3

// PoolNd output o over r = g.rank (1..3) spatial axes. The geometry is packed into a BraidShape:
// dims[0..r) input dims, dims[3..3+r) output dims, strideA[0..r) kernel, strideA[3..3+r) strides,
// strideB[0..r) pads at the beginning, strideB[3..3+r) pads at the end, dims2[0..r) dilations.
// Semantics as the CPU reference (PoolNdCpu). The body of braid_pool_nd_f32 and of
// braid_pool_nd_grouped_f32 (grouped.cuh), so a grouped output computes what it does alone.
// inPlane, outPlane and window are braid_pool_nd_sizes', computed once per thread.
__device__ __forceinline__ void braid_pool_nd_sizes(const BraidShape& g, long long& inPlane, long long& outPlane,
                                                    long long& window) {
  inPlane = 1;
  outPlane = 1;
  window = 1;
  for (int d = 0; d < g.rank; d++) {
    inPlane *= g.dims[d];
    outPlane *= g.dims[3 + d];
    window *= g.strideA[d];
  }
}

__device__ __forceinline__ float braid_pool_nd_at(const float* __restrict__ x, long long o, const BraidShape& g,
                                                  long long inPlane, long long outPlane, long long window,
                                                  int32_t kind, int32_t countIncludePad, int32_t p,
                                                  int32_t columnMajor) {
  int r = g.rank;
  long long plane = o / outPlane, rem = o % outPlane;
  int oc[3] = {0, 0, 0};
  for (int d = r - 1; d >= 0; d--) {
    oc[d] = (int)(rem % g.dims[3 + d]);
    rem /= g.dims[3 + d];
  }
  float acc = (kind == BRAID_P_MAX || kind == BRAID_P_MAX_INDEX) ? -INFINITY : 0.f;
  long long best = -1;
  int valid = 0, inside = 0;
  for (long long w = 0; w < window; w++) {
    long long wr = w, off = 0, colOff = 0, rowStride = 1, colStride = 1;
    int kc[3] = {0, 0, 0};
    for (int d = r - 1; d >= 0; d--) {
      kc[d] = (int)(wr % g.strideA[d]);
      wr /= g.strideA[d];
    }
    bool ok = true, padded = true;
    for (int d = r - 1; d >= 0; d--) {
      int pos = oc[d] * g.strideA[3 + d] - g.strideB[d] + kc[d] * g.dims2[d];
      ok = ok && pos >= 0 && pos < g.dims[d];
      padded = padded && pos < g.dims[d] + g.strideB[3 + d];
      off += (long long)pos * rowStride;
      rowStride *= g.dims[d];
    }
    for (int d = 0; d < r; d++) {
      int pos = oc[d] * g.strideA[3 + d] - g.strideB[d] + kc[d] * g.dims2[d];
      colOff += (long long)pos * colStride;
      colStride *= g.dims[d];
    }
    if (padded) inside++;
    if (!ok) continue;
    float v = x[plane * inPlane + off];
    valid++;
    if (kind == BRAID_P_MAX || kind == BRAID_P_MAX_INDEX) {
      if (best < 0 || v > acc || (v != v && acc == acc)) {
        acc = v;
        best = columnMajor ? colOff : off;
      }
    } else if (kind == BRAID_P_AVERAGE) {
      acc += v;
    } else {
      acc += powf(fabsf(v), (float)p);
    }
  }
  float out;
  switch (kind) {
    case BRAID_P_MAX: out = acc; break;
    case BRAID_P_MAX_INDEX: out = (float)(plane * inPlane + best); break;
    case BRAID_P_AVERAGE: out = acc / (float)(countIncludePad ? inside : valid); break;
    default: out = powf(acc, 1.f / (float)p); break;
  }
  return out;
}

// PoolNd, one thread per output element, 1024 outputs per block (BRAID_EW_FOR).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_pool_nd_f32(const float* __restrict__ x, float* __restrict__ y, long long n, BraidShape g, int32_t kind,
                  int32_t countIncludePad, int32_t p, int32_t columnMajor) {
  long long inPlane, outPlane, window;
  braid_pool_nd_sizes(g, inPlane, outPlane, window);
  BRAID_EW_FOR(o, n) y[o] = braid_pool_nd_at(x, o, g, inPlane, outPlane, window, kind, countIncludePad, p, columnMajor);
}

// ConvTranspose (2-D, NCHW; 1-D as h = kernelH = 1): one thread per output element, gathering the
// input elements and taps that land on it: y + padTop - ky * dilationH = iy * strideH (likewise
// x). W is [c, m/groups, kernelH, kernelW]; b is null without a bias. Pads may be negative.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_conv_transpose_f32(const float* __restrict__ x, const float* __restrict__ wt, const float* __restrict__ b,
                         float* __restrict__ y, long long n, int32_t c, int32_t h, int32_t w, int32_t m,
                         int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t padTop, int32_t padLeft,
                         int32_t dh, int32_t dw, int32_t groups, int32_t oh, int32_t ow) {
  int opg = m / groups, cpg = c / groups;
  BRAID_EW_FOR(e, n) {
    int ox = (int)(e % ow), oy = (int)((e / ow) % oh), o = (int)((e / ((long long)ow * oh)) % m);
    long long img = e / ((long long)ow * oh * m);
    int g = o / opg, ol = o % opg;
    float acc = b != nullptr ? b[o] : 0.f;
    for (int ky = 0; ky < kh; ky++) {
      int ty = oy + padTop - ky * dh;
      if (ty < 0 || ty % sh != 0 || ty / sh >= h) continue;
      int iy = ty / sh;
      for (int kx = 0; kx < kw; kx++) {
        int tx = ox + padLeft - kx * dw;
        if (tx < 0 || tx % sw != 0 || tx / sw >= w) continue;
        int ix = tx / sw;
        for (int ci = 0; ci < cpg; ci++) {
          int i = g * cpg + ci;
          acc += x[((img * c + i) * h + iy) * w + ix] * wt[(((long long)i * opg + ol) * kh + ky) * kw + kx];
        }
      }
    }
    y[e] = acc;
  }
}

// Along one spatial axis, the input position *i that tap t of output position o meets; false when
// it meets none (padding, or between a transposed convolution's strides).
__device__ __forceinline__ bool braid_conv_nd_position(int32_t transposed, int o, int t, int in, int stride, int pad,
                                                       int dilation, int* i) {
  if (!transposed) {
    *i = o * stride - pad + t * dilation;
    return *i >= 0 && *i < in;
  }
  int v = o + pad - t * dilation;
  if (v < 0 || v % stride != 0 || v / stride >= in) return false;
  *i = v / stride;
  return true;
}

// ConvNd: a convolution (transposed = 0) or a transposed convolution (1) over three spatial axes
// (the host pads fewer in front with axes of size 1, kernel 1, stride 1, no pad), one thread per
// output element gathering its taps. Geometry in a BraidShape: dims[0..3) input, dims[3..6)
// output, strideA[0..3) kernel, strideA[3..6) strides, strideB[0..3) leading pads (negative only
// when transposed), dims2[0..3) dilations. W is [m, c/groups, kernel...] for a convolution,
// [c, m/groups, kernel...] transposed; b is null without a bias. As the CPU reference (ConvNdCpu).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_conv_nd_f32(const float* __restrict__ x, const float* __restrict__ wt, const float* __restrict__ b,
                  float* __restrict__ y, long long n, BraidShape g, int32_t c, int32_t m, int32_t groups,
                  int32_t transposed) {
  int cpg = c / groups, opg = m / groups;
  int kd = g.strideA[0], kh = g.strideA[1], kw = g.strideA[2];
  long long inPlane = (long long)g.dims[0] * g.dims[1] * g.dims[2];
  long long outPlane = (long long)g.dims[3] * g.dims[4] * g.dims[5];
  long long taps = (long long)kd * kh * kw;
  BRAID_EW_FOR(e, n) {
    long long rem = e % outPlane;
    int ox = (int)(rem % g.dims[5]), oy = (int)((rem / g.dims[5]) % g.dims[4]);
    int oz = (int)(rem / ((long long)g.dims[5] * g.dims[4]));
    int o = (int)((e / outPlane) % m);
    long long img = e / (outPlane * m);
    int grp = o / opg, ol = o % opg;
    float acc = b != nullptr ? b[o] : 0.f;
    for (int tz = 0; tz < kd; tz++) {
      int iz;
      if (!braid_conv_nd_position(transposed, oz, tz, g.dims[0], g.strideA[3], g.strideB[0], g.dims2[0], &iz)) continue;
      for (int ty = 0; ty < kh; ty++) {
        int iy;
        if (!braid_conv_nd_position(transposed, oy, ty, g.dims[1], g.strideA[4], g.strideB[1], g.dims2[1], &iy)) continue;
        for (int tx = 0; tx < kw; tx++) {
          int ix;
          if (!braid_conv_nd_position(transposed, ox, tx, g.dims[2], g.strideA[5], g.strideB[2], g.dims2[2], &ix)) continue;
          long long xAt = ((long long)iz * g.dims[1] + iy) * g.dims[2] + ix;
          long long tap = ((long long)tz * kh + ty) * kw + tx;
          for (int ci = 0; ci < cpg; ci++) {
            int i = grp * cpg + ci;
            long long wAt = transposed ? ((long long)i * opg + ol) * taps + tap : ((long long)o * cpg + ci) * taps + tap;
            acc += x[(img * c + i) * inPlane + xAt] * wt[wAt];
          }
        }
      }
    }
    y[e] = acc;
  }
}
