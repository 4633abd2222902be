// Interpolation kernels of issue 12: Resize/Upsample in modes linear and cubic (braid_resample_f32,
// separable over per-axis tables built on the host at load), GridSample (braid_grid_sample_f32,
// ONNX opset 16's 2-D form) and RoiAlign (braid_roi_align_f32). One thread per output element
// (BRAID_EW_FOR, 1024 per block); the CPU references are dev.braid.device.cpu.InterpCpu.
#pragma once
#include "common.cuh"
#include "elementwise.cuh"

// Resample: shape.rank axes; shape.dims = the output's dims, shape.strideA = the input's strides,
// shape.strideB = taps per axis, shape.dims2 = where each axis's rows start in `table`. Row c of
// axis d holds strideB[d] (index, weight) pairs; a negative first index marks the row outside
// (tf_crop_and_resize): the element is `fill`. A pair of weight 0 is skipped. An index outside
// the input sets *status (element + 1).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_resample_f32(const float* __restrict__ x, const float* __restrict__ table, float* __restrict__ y,
                   long long n, BraidShape shape, long long combos, long long inputElements, float fill,
                   int32_t* __restrict__ status) {
  BRAID_EW_FOR(e, n) {
    long long row[BRAID_MAX_RANK];
    long long rem = e;
    bool outside = false;
    for (int d = shape.rank - 1; d >= 0; d--) {
      long long c = rem % shape.dims[d];
      rem /= shape.dims[d];
      row[d] = shape.dims2[d] + 2 * c * shape.strideB[d];
      if (table[row[d]] < 0.f) outside = true;
    }
    if (outside) {
      y[e] = fill;
      continue;
    }
    float acc = 0.f;
    bool ok = true;
    for (long long t = 0; t < combos; t++) {
      long long r = t, off = 0;
      float w = 1.f;
      for (int d = shape.rank - 1; d >= 0; d--) {
        long long tap = r % shape.strideB[d];
        r /= shape.strideB[d];
        const float* p = table + row[d] + 2 * tap;
        w *= p[1];
        off += (long long)p[0] * shape.strideA[d];
      }
      if (w != 0.f) {
        if (off < 0 || off >= inputElements) {
          ok = false;
        } else {
          acc += w * x[off];
        }
      }
    }
    if (!ok) *status = (int32_t)(e + 1);
    y[e] = ok ? acc : 0.f;
  }
}

// GridSample ordinals (dev.braid.device.kernel.GridSample.Mode, .Padding).
#define BRAID_GS_BILINEAR 0
#define BRAID_GS_NEAREST 1
#define BRAID_GS_BICUBIC 2
#define BRAID_GS_ZEROS 0
#define BRAID_GS_BORDER 1
#define BRAID_GS_REFLECTION 2

// ONNX's _gs_reflect: reflected by the near border until inside [lo, hi].
__device__ __forceinline__ float braid_gs_reflect(float v, float lo, float hi) {
  float range = hi - lo;
  if (range <= 0.f) return lo;
  if (v < lo) {
    float dx = lo - v;
    int k = (int)(dx / range);
    float r = dx - k * range;
    return k % 2 == 0 ? lo + r : hi - r;
  }
  if (v > hi) {
    float dx = v - hi;
    int k = (int)(dx / range);
    float r = dx - k * range;
    return k % 2 == 0 ? hi - r : lo + r;
  }
  return v;
}

// A coordinate beyond [lo, hi] moved inside by BORDER (clamped to the input) or REFLECTION.
__device__ __forceinline__ float braid_gs_inside(float v, int size, float lo, float hi, int padding) {
  if (v >= lo && v <= hi) return v;
  if (padding == BRAID_GS_BORDER) return fminf(fmaxf(v, 0.f), (float)(size - 1));
  if (padding == BRAID_GS_REFLECTION) return braid_gs_reflect(v, lo, hi);
  return v;
}

// The tap index on an axis of `size` under the padding, or -1 for a zero (ZEROS beyond the input).
__device__ __forceinline__ int braid_gs_tap(int i, int size, float lo, float hi, int padding) {
  if (padding == BRAID_GS_ZEROS) return i < 0 || i >= size ? -1 : i;
  if (padding == BRAID_GS_REFLECTION) i = (int)braid_gs_reflect((float)i, lo, hi);
  return i < 0 ? 0 : (i >= size ? size - 1 : i);
}

// Linear (n = 2) or Keys cubic with A = -0.75 (n = 4) weights at fraction t.
__device__ __forceinline__ void braid_gs_coeffs(float t, int n, float* c) {
  if (n == 2) {
    c[0] = 1.f - t;
    c[1] = t;
    return;
  }
  const float a = -0.75f;
  c[0] = ((a * (t + 1.f) - 5.f * a) * (t + 1.f) + 8.f * a) * (t + 1.f) - 4.f * a;
  c[1] = ((a + 2.f) * t - (a + 3.f)) * t * t + 1.f;
  c[2] = ((a + 2.f) * (1.f - t) - (a + 3.f)) * (1.f - t) * (1.f - t) + 1.f;
  c[3] = ((a * (2.f - t) - 5.f * a) * (2.f - t) + 8.f * a) * (2.f - t) - 4.f * a;
}

// GridSample: x [n, c, h, w], grid [n, oh, ow, 2] (x then y, normalized), y [n, c, oh, ow].
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_grid_sample_f32(const float* __restrict__ x, const float* __restrict__ grid, float* __restrict__ y,
                      long long n, int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow, int32_t mode,
                      int32_t padding, int32_t alignCorners) {
  float loX = alignCorners ? 0.f : -0.5f, hiX = alignCorners ? (float)(w - 1) : (float)w - 0.5f;
  float loY = alignCorners ? 0.f : -0.5f, hiY = alignCorners ? (float)(h - 1) : (float)h - 0.5f;
  BRAID_EW_FOR(e, n) {
    int ox = (int)(e % ow), oy = (int)((e / ow) % oh);
    long long ch = (e / ((long long)ow * oh)) % c, img = e / ((long long)ow * oh * c);
    const float* g = grid + ((img * oh + oy) * ow + ox) * 2;
    float px = alignCorners ? (g[0] + 1.f) / 2.f * (float)(w - 1) : ((g[0] + 1.f) * (float)w - 1.f) / 2.f;
    float py = alignCorners ? (g[1] + 1.f) / 2.f * (float)(h - 1) : ((g[1] + 1.f) * (float)h - 1.f) / 2.f;
    if (mode == BRAID_GS_NEAREST) {
      px = rintf(px);
      py = rintf(py);
    }
    px = braid_gs_inside(px, w, loX, hiX, padding);
    py = braid_gs_inside(py, h, loY, hiY, padding);
    const float* plane = x + (img * c + ch) * (long long)h * w;
    if (mode == BRAID_GS_NEAREST) {
      int iy = braid_gs_tap((int)py, h, loY, hiY, padding), ix = braid_gs_tap((int)px, w, loX, hiX, padding);
      y[e] = iy < 0 || ix < 0 ? 0.f : plane[(long long)iy * w + ix];
      continue;
    }
    int taps = mode == BRAID_GS_BILINEAR ? 2 : 4, first = mode == BRAID_GS_BILINEAR ? 0 : -1;
    float fx = floorf(px), fy = floorf(py);
    float cx[4], cy[4];
    braid_gs_coeffs(px - fx, taps, cx);
    braid_gs_coeffs(py - fy, taps, cy);
    int x0 = (int)fx + first, y0 = (int)fy + first;
    float acc = 0.f;
    for (int j = 0; j < taps; j++) {
      int iy = braid_gs_tap(y0 + j, h, loY, hiY, padding);
      float rowSum = 0.f;
      for (int i = 0; i < taps; i++) {
        int ix = braid_gs_tap(x0 + i, w, loX, hiX, padding);
        if (iy >= 0 && ix >= 0) rowSum += cx[i] * plane[(long long)iy * w + ix];
      }
      acc += cy[j] * rowSum;
    }
    y[e] = acc;
  }
}

// RoiAlign: x [n, c, h, w], rois [r, 4] (x1, y1, x2, y2), batch [r] (integers as floats),
// y [r, c, oh, ow]. The region geometry and sample positions in double, as ONNX's reference; a
// batch index that is not an integer in [0, n) sets *status (element + 1).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_roi_align_f32(const float* __restrict__ x, const float* __restrict__ rois, const float* __restrict__ batch,
                    float* __restrict__ y, long long total, int32_t n, int32_t c, int32_t h, int32_t w,
                    int32_t oh, int32_t ow, int32_t samplingRatio, float spatialScale, int32_t halfPixel,
                    int32_t isMax, int32_t* __restrict__ status) {
  BRAID_EW_FOR(e, total) {
    int pw = (int)(e % ow), ph = (int)((e / ow) % oh);
    long long ch = (e / ((long long)ow * oh)) % c, r = e / ((long long)ow * oh * c);
    float b = batch[r];
    if (b != truncf(b) || b < 0.f || b >= (float)n) {
      *status = (int32_t)(e + 1);
      y[e] = 0.f;
      continue;
    }
    double offset = halfPixel ? 0.5 : 0.0;
    const float* q = rois + 4 * r;
    double startW = (double)q[0] * spatialScale - offset, startH = (double)q[1] * spatialScale - offset;
    double roiW = (double)q[2] * spatialScale - offset - startW, roiH = (double)q[3] * spatialScale - offset - startH;
    if (!halfPixel) {
      roiW = fmax(roiW, 1.0);
      roiH = fmax(roiH, 1.0);
    }
    double binH = roiH / oh, binW = roiW / ow;
    int gridH = samplingRatio > 0 ? samplingRatio : (int)ceil(roiH / oh);
    int gridW = samplingRatio > 0 ? samplingRatio : (int)ceil(roiW / ow);
    const float* plane = x + ((long long)b * c + ch) * (long long)h * w;
    double acc = 0.0;
    bool first = true;
    for (int iy = 0; iy < gridH; iy++) {
      double sy = startH + ph * binH + (iy + 0.5) * binH / gridH;
      for (int ix = 0; ix < gridW; ix++) {
        double sx = startW + pw * binW + (ix + 0.5) * binW / gridW;
        double v = 0.0;
        if (!(sy < -1.0 || sy > h || sx < -1.0 || sx > w)) {
          double yy = fmax(sy, 0.0), xx = fmax(sx, 0.0);
          int yl = (int)yy, xl = (int)xx, yh, xh;
          if (yl >= h - 1) {
            yh = yl = h - 1;
            yy = yl;
          } else {
            yh = yl + 1;
          }
          if (xl >= w - 1) {
            xh = xl = w - 1;
            xx = xl;
          } else {
            xh = xl + 1;
          }
          double ly = yy - yl, lx = xx - xl, hy = 1.0 - ly, hx = 1.0 - lx;
          double v1 = hy * hx * plane[(long long)yl * w + xl], v2 = hy * lx * plane[(long long)yl * w + xh];
          double v3 = ly * hx * plane[(long long)yh * w + xl], v4 = ly * lx * plane[(long long)yh * w + xh];
          v = isMax ? fmax(fmax(v1, v2), fmax(v3, v4)) : v1 + v2 + v3 + v4;
        }
        acc = isMax ? (first ? v : fmax(acc, v)) : acc + v;
        first = false;
      }
    }
    int count = gridH * gridW;
    y[e] = (float)(isMax ? acc : acc / (count > 1 ? count : 1));
  }
}
