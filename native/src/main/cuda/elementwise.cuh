// Elementwise and layout kernels: 256 threads x 4 elements per block (element i of a block's
// 1024 is handled by thread i % 256, so each of the 4 passes is one coalesced sweep), and
// Pool2d / Gather one output per thread.
#pragma once
#include "common.cuh"

#define BRAID_EW_BLOCK (BRAID_EW_THREADS * BRAID_EW_PER_THREAD)
#define BRAID_EW_FOR(i, n)                                                               \
  for (long long i##_j = 0, i = (long long)blockIdx.x * BRAID_EW_BLOCK + threadIdx.x;    \
       i##_j < BRAID_EW_PER_THREAD; i##_j++, i += BRAID_EW_THREADS)                      \
    if (i < (n))

// UnaryOp ordinals.
#define BRAID_UNARY_RELU 0
#define BRAID_UNARY_CLIP 1
#define BRAID_UNARY_SIGMOID 2
#define BRAID_UNARY_TANH 3
#define BRAID_UNARY_ERF 4
#define BRAID_UNARY_GELU 5
#define BRAID_UNARY_GELU_TANH 6
#define BRAID_UNARY_SQRT 7
#define BRAID_UNARY_IDENTITY 8
#define BRAID_UNARY_NEG 9
#define BRAID_UNARY_RECIPROCAL 10
#define BRAID_UNARY_EXP 11
#define BRAID_UNARY_LOG 12
#define BRAID_UNARY_ABS 13
#define BRAID_UNARY_FLOOR 14
#define BRAID_UNARY_CEIL 15
#define BRAID_UNARY_ROUND 16
#define BRAID_UNARY_SIGN 17
#define BRAID_UNARY_SIN 18
#define BRAID_UNARY_COS 19
#define BRAID_UNARY_TAN 20
#define BRAID_UNARY_ASIN 21
#define BRAID_UNARY_ACOS 22
#define BRAID_UNARY_ATAN 23
#define BRAID_UNARY_SINH 24
#define BRAID_UNARY_COSH 25
#define BRAID_UNARY_ASINH 26
#define BRAID_UNARY_ACOSH 27
#define BRAID_UNARY_ATANH 28
#define BRAID_UNARY_NOT 29
#define BRAID_UNARY_ISNAN 30
#define BRAID_UNARY_ISINF 31
#define BRAID_UNARY_HARD_SIGMOID 32
#define BRAID_UNARY_HARD_SWISH 33
#define BRAID_UNARY_LEAKY_RELU 34
#define BRAID_UNARY_THRESHOLDED_RELU 35
#define BRAID_UNARY_ELU 36
#define BRAID_UNARY_SELU 37
#define BRAID_UNARY_CELU 38
#define BRAID_UNARY_SOFTPLUS 39
#define BRAID_UNARY_SOFTSIGN 40
#define BRAID_UNARY_MISH 41
#define BRAID_UNARY_CAST_BOOL 42
#define BRAID_UNARY_TRUNC_WRAP 43
#define BRAID_UNARY_ROUND_HALF 44

// BinaryOp ordinals.
#define BRAID_BINARY_ADD 0
#define BRAID_BINARY_SUB 1
#define BRAID_BINARY_MUL 2
#define BRAID_BINARY_DIV 3
#define BRAID_BINARY_POW 4
#define BRAID_BINARY_MIN 5
#define BRAID_BINARY_MAX 6
#define BRAID_BINARY_FMOD 7
#define BRAID_BINARY_MOD_INT 8
#define BRAID_BINARY_DIV_INT 9
#define BRAID_BINARY_POW_INT 10
#define BRAID_BINARY_EQUAL 11
#define BRAID_BINARY_LESS 12
#define BRAID_BINARY_GREATER 13
#define BRAID_BINARY_LESS_EQUAL 14
#define BRAID_BINARY_GREATER_EQUAL 15
#define BRAID_BINARY_AND 16
#define BRAID_BINARY_OR 17
#define BRAID_BINARY_XOR 18
#define BRAID_BINARY_PRELU 19
#define BRAID_BINARY_SHIFT_LEFT 20
#define BRAID_BINARY_SHIFT_RIGHT 21

// log(1 + e^x) without overflow, as UnaryOp.softplus.
__device__ __forceinline__ float braid_softplus(float x) {
  double d = (double)x;
  return (float)(d > 0.0 ? d + log1p(exp(-d)) : log1p(exp(d)));
}

// x rounded to mantissaBits fraction bits, ties to even, below 2^minExponent with that exponent's
// quantum, |x| >= overflow to infinity (UnaryOp.roundToBits): the float16 cast.
__device__ __forceinline__ float braid_round_bits(float x, int mantissaBits, int minExponent, float overflow) {
  if (x != x || isinf(x) || x == 0.f) return x;
  float a = fabsf(x);
  if (a >= overflow) return copysignf(INFINITY, x);
  int e = ((__float_as_int(a) >> 23) & 0xff) - 127;
  if (e < minExponent) e = minExponent;
  double quantum = ldexp(1.0, e - mantissaBits);
  return copysignf((float)(rint((double)a / quantum) * quantum), x);
}

// Truncate toward zero, then wrap into [0, modulus) or, signed, [-modulus/2, modulus/2).
__device__ __forceinline__ float braid_trunc_wrap(float x, float modulus, float isSigned) {
  double t = trunc((double)x);
  if (modulus == 0.f || t != t) return (float)t;
  double w = t - (double)modulus * floor(t / (double)modulus);
  return (float)(isSigned != 0.f && w >= (double)modulus / 2 ? w - (double)modulus : w);
}

__device__ __forceinline__ float braid_unary(int op, float x, float lo, float hi) {
  switch (op) {
    case BRAID_UNARY_RELU: return braid_clamp(x, 0.f, INFINITY);
    case BRAID_UNARY_CLIP: return braid_clamp(x, lo, hi);
    case BRAID_UNARY_SIGMOID:  // stable for large |x|, as MathFunctions.sigmoid
      if (x >= 0.f) return 1.f / (1.f + expf(-x));
      else { float e = expf(x); return e / (1.f + e); }
    case BRAID_UNARY_TANH: return tanhf(x);
    case BRAID_UNARY_ERF: return erff(x);
    case BRAID_UNARY_GELU: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case BRAID_UNARY_GELU_TANH:
      return 0.5f * x * (1.f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case BRAID_UNARY_SQRT: return sqrtf(x);
    case BRAID_UNARY_NEG: return -x;
    case BRAID_UNARY_RECIPROCAL: return 1.f / x;
    case BRAID_UNARY_EXP: return expf(x);
    case BRAID_UNARY_LOG: return logf(x);
    case BRAID_UNARY_ABS: return fabsf(x);
    case BRAID_UNARY_FLOOR: return floorf(x);
    case BRAID_UNARY_CEIL: return ceilf(x);
    case BRAID_UNARY_ROUND: return rintf(x);  // half to even
    case BRAID_UNARY_SIGN: return x > 0.f ? 1.f : (x < 0.f ? -1.f : x);
    case BRAID_UNARY_SIN: return sinf(x);
    case BRAID_UNARY_COS: return cosf(x);
    case BRAID_UNARY_TAN: return tanf(x);
    case BRAID_UNARY_ASIN: return asinf(x);
    case BRAID_UNARY_ACOS: return acosf(x);
    case BRAID_UNARY_ATAN: return atanf(x);
    case BRAID_UNARY_SINH: return sinhf(x);
    case BRAID_UNARY_COSH: return coshf(x);
    case BRAID_UNARY_ASINH: return asinhf(x);
    case BRAID_UNARY_ACOSH: return acoshf(x);
    case BRAID_UNARY_ATANH: return atanhf(x);
    case BRAID_UNARY_NOT: return x == 0.f ? 1.f : 0.f;
    case BRAID_UNARY_ISNAN: return x != x ? 1.f : 0.f;
    case BRAID_UNARY_ISINF:  // lo: detect_negative, hi: detect_positive
      return ((x == INFINITY && hi != 0.f) || (x == -INFINITY && lo != 0.f)) ? 1.f : 0.f;
    case BRAID_UNARY_HARD_SIGMOID: return braid_clamp(lo * x + hi, 0.f, 1.f);
    case BRAID_UNARY_HARD_SWISH: return x * braid_clamp(x / 6.f + 0.5f, 0.f, 1.f);
    case BRAID_UNARY_LEAKY_RELU: return x < 0.f ? lo * x : x;
    case BRAID_UNARY_THRESHOLDED_RELU: return x > lo ? x : 0.f;
    case BRAID_UNARY_ELU: return x < 0.f ? lo * expm1f(x) : x;
    case BRAID_UNARY_SELU: return hi * (x <= 0.f ? lo * expm1f(x) : x);
    case BRAID_UNARY_CELU: return fmaxf(0.f, x) + fminf(0.f, lo * expm1f(x / lo));
    case BRAID_UNARY_SOFTPLUS: return braid_softplus(x);
    case BRAID_UNARY_SOFTSIGN: return x / (1.f + fabsf(x));
    case BRAID_UNARY_MISH: return x * tanhf(braid_softplus(x));
    case BRAID_UNARY_CAST_BOOL: return x != 0.f ? 1.f : 0.f;
    case BRAID_UNARY_TRUNC_WRAP: return braid_trunc_wrap(x, lo, hi);
    case BRAID_UNARY_ROUND_HALF: return braid_round_bits(x, 10, -14, 65520.f);
    default: return x;
  }
}

// Y = op(X) over n elements; lo/hi are Clip's bounds (ignored otherwise).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_unary_f32(const float* __restrict__ x, float* __restrict__ y, long long n, int32_t op, float lo, float hi) {
  BRAID_EW_FOR(i, n) y[i] = braid_unary(op, x[i], lo, hi);
}

__device__ __forceinline__ float braid_binary(int op, float a, float b) {
  switch (op) {
    case BRAID_BINARY_ADD: return a + b;
    case BRAID_BINARY_SUB: return a - b;
    case BRAID_BINARY_MUL: return a * b;
    case BRAID_BINARY_DIV: return a / b;
    case BRAID_BINARY_POW: return powf(a, b);
    case BRAID_BINARY_MIN: return (a != a || b != b) ? a + b : fminf(a, b);  // NaN wins, as Math.min
    case BRAID_BINARY_MAX: return (a != a || b != b) ? a + b : fmaxf(a, b);
    case BRAID_BINARY_FMOD: return fmodf(a, b);
    case BRAID_BINARY_MOD_INT: {
      double r = fmod((double)a, (double)b);
      return (float)(r != 0.0 && ((r < 0.0) != (b < 0.f)) ? r + (double)b : r);
    }
    case BRAID_BINARY_DIV_INT: return (float)trunc((double)a / (double)b);
    case BRAID_BINARY_POW_INT: {
      double r = pow((double)a, (double)b), n = rint(r);
      return (float)(fabs(r - n) <= 1e-9 * fmax(1.0, fabs(r)) ? n : trunc(r));
    }
    case BRAID_BINARY_EQUAL: return a == b ? 1.f : 0.f;
    case BRAID_BINARY_LESS: return a < b ? 1.f : 0.f;
    case BRAID_BINARY_GREATER: return a > b ? 1.f : 0.f;
    case BRAID_BINARY_LESS_EQUAL: return a <= b ? 1.f : 0.f;
    case BRAID_BINARY_GREATER_EQUAL: return a >= b ? 1.f : 0.f;
    case BRAID_BINARY_AND: return (a != 0.f && b != 0.f) ? 1.f : 0.f;
    case BRAID_BINARY_OR: return (a != 0.f || b != 0.f) ? 1.f : 0.f;
    case BRAID_BINARY_XOR: return ((a != 0.f) != (b != 0.f)) ? 1.f : 0.f;
    case BRAID_BINARY_PRELU: return a < 0.f ? b * a : a;
    case BRAID_BINARY_SHIFT_LEFT: return (float)ldexp((double)a, (int)fminf(b, 1024.f));
    case BRAID_BINARY_SHIFT_RIGHT: return (float)floor(ldexp((double)a, -(int)fminf(b, 1024.f)));
    default: return powf(a, b);
  }
}

// Element offsets in A and B of output i under numpy broadcasting: shape.strideA and strideB are
// the inputs' element strides per output axis, 0 where broadcast.
__device__ __forceinline__ void braid_broadcast(long long i, const BraidShape& shape, long long& pa, long long& pb) {
  long long rem = i;
  pa = 0;
  pb = 0;
  for (int d = shape.rank - 1; d >= 0; d--) {
    int idx = (int)(rem % shape.dims[d]);
    rem /= shape.dims[d];
    pa += (long long)idx * shape.strideA[d];
    pb += (long long)idx * shape.strideB[d];
  }
}

// Y = A op B with numpy broadcasting over n = prod(shape.dims) outputs (1 for rank 0).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_binary_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y,
                 long long n, int32_t op, BraidShape shape) {
  BRAID_EW_FOR(i, n) {
    long long pa, pb;
    braid_broadcast(i, shape, pa, pb);
    y[i] = braid_binary(op, a[pa], b[pb]);
  }
}

// Z = C != 0 ? X : Y with numpy broadcasting over n outputs: shape.dims the output's, strideA,
// strideB and dims2 the element strides of C, X and Y per output axis (0 where broadcast).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_where_f32(const float* __restrict__ c, const float* __restrict__ x, const float* __restrict__ y,
                float* __restrict__ z, long long n, BraidShape shape) {
  BRAID_EW_FOR(i, n) {
    long long rem = i, pc = 0, px = 0, py = 0;
    for (int d = shape.rank - 1; d >= 0; d--) {
      int idx = (int)(rem % shape.dims[d]);
      rem /= shape.dims[d];
      pc += (long long)idx * shape.strideA[d];
      px += (long long)idx * shape.strideB[d];
      py += (long long)idx * shape.dims2[d];
    }
    z[i] = c[pc] != 0.f ? x[px] : y[py];
  }
}

// Y[n, c, s] = X[n, c, s] * scale[c] + shift[c] at flat index i.
__device__ __forceinline__ float braid_batchnorm(const float* __restrict__ x, const float* __restrict__ scale,
                                                 const float* __restrict__ shift, long long i, int channels,
                                                 int spatial) {
  int c = (int)((i / spatial) % channels);
  return x[i] * scale[c] + shift[c];
}

// BatchNorm over total = n * channels * spatial elements.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_batchnorm_f32(const float* __restrict__ x, const float* __restrict__ scale, const float* __restrict__ shift,
                    float* __restrict__ y, long long total, int32_t channels, int32_t spatial) {
  BRAID_EW_FOR(i, total) y[i] = braid_batchnorm(x, scale, shift, i, channels, spatial);
}

BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_copy_f32(const float* __restrict__ x, float* __restrict__ y, long long n) {
  BRAID_EW_FOR(i, n) y[i] = x[i];
}

// Y = transpose(X): walks the output in order; shape.dims are the output dims, shape.strideA the
// input's stride of each output axis.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_transpose_f32(const float* __restrict__ x, float* __restrict__ y, long long n, BraidShape shape) {
  BRAID_EW_FOR(i, n) {
    long long rem = i, p = 0;
    for (int d = shape.rank - 1; d >= 0; d--) {
      p += (rem % shape.dims[d]) * (long long)shape.strideA[d];
      rem /= shape.dims[d];
    }
    y[i] = x[p];
  }
}

// Concat: output viewed as [outer, outRow]; column col belongs to the input i with
// colStart[i] <= col < colStart[i + 1] (linear scan, at most 16).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_concat_f32(BraidConcatInputs in, float* __restrict__ y, int32_t outer, int32_t outRow) {
  long long n = (long long)outer * outRow;
  BRAID_EW_FOR(e, n) {
    int o = (int)(e / outRow), col = (int)(e - (long long)o * outRow);
    int i = 0;
    while (i + 1 < in.count && in.colStart[i + 1] <= col) i++;
    int chunk = in.colStart[i + 1] - in.colStart[i];
    y[e] = reinterpret_cast<const float*>(in.x[i])[(long long)o * chunk + col - in.colStart[i]];
  }
}

// Gather along an axis: Y[o, j, r] = data[o, idx[j], r]. Indices are float32 integers in
// [-axisDim, axisDim); a bad one writes 0 to its outputs and j + 1 to *status (the host zeroes
// status before and fails the launch if it is non-zero after). One output per thread, 4 per thread.
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_gather_f32(const float* __restrict__ data, const float* __restrict__ idx, float* __restrict__ y,
                 int32_t outer, int32_t q, int32_t inner, int32_t axisDim, int32_t* __restrict__ status) {
  long long n = (long long)outer * q * inner;
  BRAID_EW_FOR(e, n) {
    int r = (int)(e % inner);
    long long oj = e / inner;
    int j = (int)(oj % q), o = (int)(oj / q);
    float raw = idx[j];
    float v = truncf(raw);
    if (v != raw || v < (float)-axisDim || v >= (float)axisDim) {
      *status = j + 1;
      y[e] = 0.f;
    } else {
      int a = (int)v;
      if (a < 0) a += axisDim;
      y[e] = data[((long long)o * axisDim + a) * inner + r];
    }
  }
}

// Output o of a max or average pooling (mode 0 = MAX: NaN wins, as the CPU's Math.max; 1 =
// AVERAGE: sum of valid taps / divisor, divisor the valid count or, with countIncludePad, the
// positions inside the padded extent). p.x, p.y and firstBlock are not read.
__device__ __forceinline__ float braid_pool_at(const float* __restrict__ x, long long o, const BraidPoolProblem& p) {
  int sp = p.outH * p.outW;
  long long plane = o / sp;
  int pos = (int)(o - plane * sp);
  int oi = pos / p.outW, oj = pos - oi * p.outW;
  int h0 = oi * p.strideH - p.padTop, w0 = oj * p.strideW - p.padLeft;
  const float* X = x + plane * p.h * p.w;
  float best = -INFINITY, sum = 0.f;
  int count = 0;
  for (int r = 0; r < p.kh; r++) {
    int ih = h0 + r * p.dilationH;
    if (ih < 0 || ih >= p.h) continue;
    for (int s = 0; s < p.kw; s++) {
      int iw = w0 + s * p.dilationW;
      if (iw < 0 || iw >= p.w) continue;
      float v = X[ih * p.w + iw];
      best = (v != v || best != best) ? __int_as_float(0x7fc00000) : fmaxf(best, v);
      sum += v;
      count++;
    }
  }
  if (p.mode == BRAID_POOL_MAX) {
    return best;
  }
  int divisor = count;
  if (p.countIncludePad) {
    int hEnd = min(h0 + (p.kh - 1) * p.dilationH + 1, p.h + p.padBottom);
    int wEnd = min(w0 + (p.kw - 1) * p.dilationW + 1, p.w + p.padRight);
    divisor = ((hEnd - h0 + p.dilationH - 1) / p.dilationH) * ((wEnd - w0 + p.dilationW - 1) / p.dilationW);
  }
  return sum / divisor;
}

// Max or average pooling, one output per thread, grid ceil(n * c * outH * outW / 256).
BRAID_KERNEL void __launch_bounds__(BRAID_EW_THREADS)
braid_pool2d_f32(const float* __restrict__ x, float* __restrict__ y, int32_t mode, int32_t n, int32_t c,
                 int32_t h, int32_t w, int32_t kh, int32_t kw, int32_t strideH, int32_t strideW,
                 int32_t padTop, int32_t padLeft, int32_t padBottom, int32_t padRight,
                 int32_t dilationH, int32_t dilationW, int32_t outH, int32_t outW, int32_t countIncludePad) {
  long long total = (long long)n * c * outH * outW;
  long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= total) return;
  BraidPoolProblem p = {0, 0, mode, n, c, h, w, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight,
                        dilationH, dilationW, outH, outW, countIncludePad, 0, 0};
  y[o] = braid_pool_at(x, o, p);
}
