// Braid's kernels, compiled unchanged as C++ through the shim headers (shim/ is first on the
// include path, so <cuda_runtime.h>, <cuda_bf16.h> and <mma.h> are the emulator's), plus the
// generated trampolines and kernel table.
#include "../braid_kernels.cu"
#include "kernels.h"
#include "braid_emu_trampolines.inc"
