// The emulator's stand-in for <mma.h>: WMMA on whole 16 x 16 tiles. Every lane holds the whole
// fragment and computes it (the same values in every lane), so the element-to-lane mapping,
// which CUDA leaves unspecified, plays no part; each operation first meets the warp, as the
// _sync operations require, so a divergent call is reported.
#pragma once
#include <type_traits>
#include "cuda_runtime.h"
#include "cuda_bf16.h"

namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

inline float to_float(float v) { return v; }
inline float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static constexpr int rows = std::is_same<Use, matrix_b>::value ? K : M;
  static constexpr int cols = std::is_same<Use, matrix_a>::value ? K : N;
  static constexpr int num_elements = rows * cols;
  T x[rows * cols];
};

template <class Use, int M, int N, int K, class T, class L>
inline void fill_fragment(fragment<Use, M, N, K, T, L>& f, T v) {
  ::braid_emu::warp_exchange(0xffffffffu, 0, ::braid_emu::SHFL_NONE, 0, 32, __FILE__, __LINE__);
  for (int i = 0; i < f.num_elements; i++) f.x[i] = v;
}

template <class Use, int M, int N, int K, class T, class L>
inline void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const T* p, unsigned ldm) {
  ::braid_emu::warp_exchange(0xffffffffu, 0, ::braid_emu::SHFL_NONE, 0, 32, __FILE__, __LINE__);
  constexpr bool colMajor = std::is_same<L, col_major>::value;
  for (int r = 0; r < f.rows; r++)
    for (int c = 0; c < f.cols; c++) f.x[r * f.cols + c] = colMajor ? p[(long long)c * ldm + r] : p[(long long)r * ldm + c];
}

template <int M, int N, int K, class T>
inline void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T, void>& f, unsigned ldm, layout_t layout) {
  ::braid_emu::warp_exchange(0xffffffffu, 0, ::braid_emu::SHFL_NONE, 0, 32, __FILE__, __LINE__);
  for (int r = 0; r < M; r++)
    for (int c = 0; c < N; c++) {
      if (layout == mem_row_major) p[(long long)r * ldm + c] = f.x[r * N + c];
      else p[(long long)c * ldm + r] = f.x[r * N + c];
    }
}

// d = a * b + c, products summed in k order in float32 (bf16 products are exact in float32).
template <int M, int N, int K, class Tab, class La, class Lb>
inline void mma_sync(fragment<accumulator, M, N, K, float, void>& d, const fragment<matrix_a, M, N, K, Tab, La>& a,
                     const fragment<matrix_b, M, N, K, Tab, Lb>& b, const fragment<accumulator, M, N, K, float, void>& c) {
  ::braid_emu::warp_exchange(0xffffffffu, 0, ::braid_emu::SHFL_NONE, 0, 32, __FILE__, __LINE__);
  float out[M * N];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = c.x[i * N + j];
      for (int k = 0; k < K; k++) s += to_float(a.x[i * K + k]) * to_float(b.x[k * N + j]);
      out[i * N + j] = s;
    }
  for (int i = 0; i < M * N; i++) d.x[i] = out[i];
}
}  // namespace wmma
}  // namespace nvcuda
