// The one translation unit nvcc compiles into braid_kernels.fatbin (see build.sh and README.md).
// Every kernel is extern "C" so that the host finds it by its plain name (cuModuleGetFunction).
#include "gemm.cuh"
#include "conv.cuh"
#include "wmma_bf16.cuh"
#include "elementwise.cuh"
#include "reduce.cuh"
#include "grouped.cuh"
#include "tensor.cuh"
#include "interp.cuh"
