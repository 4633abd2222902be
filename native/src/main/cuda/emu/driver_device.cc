// The emulated CUDA driver: initialization, the device and its queries, the primary context.
#include <stdio.h>
#include <stdlib.h>

#include <vector>

#include "driver_state.h"

using namespace braid_emu::driver;

namespace {

const char* kName = "Braid emulated GPU";

long long env_ll(const char* name, long long fallback) {
  const char* v = getenv(name);
  if (v == nullptr || *v == 0) return fallback;
  char* end = nullptr;
  long long r = strtoll(v, &end, 10);
  if (end == v || *end != 0 || r <= 0) {
    note("ignoring %s=%s: expected a positive integer", name, v);
    return fallback;
  }
  return r;
}
}  // namespace

extern "C" {

CUresult cuInit(unsigned int flags) {
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> lock(g.mu);
  if (!g.initialized) {
    g.smCount = (int)env_ll("BRAID_CUDA_EMU_SM_COUNT", 132);
    g.memory = (size_t)env_ll("BRAID_CUDA_EMU_MEMORY_MB", 2048) << 20;
    g.initialized = true;
  }
  return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int* version) {
  if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *version = 13000;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* count) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *count = 1;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
  *device = 0;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice device) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  if (name == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  snprintf(name, (size_t)len, "%s", kName);
  return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *bytes = g.memory;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  switch (attribute) {  // an H100-like sm_90 part; SM count and memory from the environment
    case 1: *value = 1024; break;                  // MAX_THREADS_PER_BLOCK
    case 2: case 3: *value = 1024; break;          // MAX_BLOCK_DIM_X/Y
    case 4: *value = 64; break;                    // MAX_BLOCK_DIM_Z
    case 5: *value = 2147483647; break;            // MAX_GRID_DIM_X
    case 6: case 7: *value = 65535; break;         // MAX_GRID_DIM_Y/Z
    case 8: *value = 49152; break;                 // MAX_SHARED_MEMORY_PER_BLOCK
    case 10: *value = 32; break;                   // WARP_SIZE
    case 13: *value = 1755000; break;              // CLOCK_RATE kHz
    case 16: *value = g.smCount; break;            // MULTIPROCESSOR_COUNT
    case 18: *value = 0; break;                    // INTEGRATED
    case 31: *value = 1; break;                    // CONCURRENT_KERNELS
    case 36: *value = 2619000; break;              // MEMORY_CLOCK_RATE kHz
    case 37: *value = 5120; break;                 // GLOBAL_MEMORY_BUS_WIDTH
    case 38: *value = 50 << 20; break;             // L2_CACHE_SIZE
    case 39: *value = 2048; break;                 // MAX_THREADS_PER_MULTIPROCESSOR
    case 75: *value = 9; break;                    // COMPUTE_CAPABILITY_MAJOR
    case 76: *value = 0; break;                    // COMPUTE_CAPABILITY_MINOR
    case 81: *value = 233472; break;               // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
    case 82: *value = 65536; break;                // MAX_REGISTERS_PER_MULTIPROCESSOR
    case 106: *value = 32; break;                  // MAX_BLOCKS_PER_MULTIPROCESSOR
    default: return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice device) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> lock(g.mu);
  if (g.primary == nullptr) {
    g.primary = new Context();
    clear_launch_failure();  // a fresh context has no failure to tell of
    g.primary->faultsStamp = Faults::stamp();
    g.primary->faults = Faults::load();
    g.primary->nullStream = new Stream(g.primary, 0);
  }
  g.primaryRefs++;
  *ctx = g.primary;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  std::lock_guard<std::mutex> lock(g.mu);
  if (g.primary == nullptr || g.primaryRefs == 0) return CUDA_ERROR_INVALID_CONTEXT;
  if (--g.primaryRefs == 0) {
    Context* c = g.primary;
    g.primary = nullptr;
    if (tls_current == c) tls_current = nullptr;
    destroy_context(c);
  }
  return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(void* ctx) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (ctx != nullptr && ctx != g.primary) return CUDA_ERROR_INVALID_CONTEXT;
  tls_current = static_cast<Context*>(ctx);
  return CUDA_SUCCESS;
}

CUresult cuCtxGetStreamPriorityRange(int* least, int* greatest) {
  READY(c);
  if (least) *least = 0;
  if (greatest) *greatest = -5;
  return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
  READY(c);
  std::vector<Stream*> all;
  {
    std::lock_guard<std::mutex> lock(c->mu);
    all.assign(c->streams.begin(), c->streams.end());
  }
  c->nullStream->drain();
  for (Stream* s : all) s->drain();
  return c->sticky.load();
}

}  // extern "C"
