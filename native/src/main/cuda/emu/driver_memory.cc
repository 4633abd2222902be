// The emulated CUDA driver: device memory (host memory, 256-byte aligned), pinned host memory,
// copies and memsets.
#include <stdlib.h>
#include <string.h>

#include "driver_state.h"

using namespace braid_emu::driver;

namespace {

/** Whether [p, p + bytes) lies inside one device allocation. */
bool device_range(Context* c, CUdeviceptr p, size_t bytes) {
  std::lock_guard<std::mutex> lock(c->mu);
  auto it = c->allocations.upper_bound(p);
  if (it == c->allocations.begin()) return false;
  --it;
  return p >= it->first && p + bytes <= it->first + it->second;
}
}  // namespace

extern "C" {

CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total) {
  READY(c);
  std::lock_guard<std::mutex> lock(c->mu);
  if (free_bytes) *free_bytes = g.memory - c->used;
  if (total) *total = g.memory;
  return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr* ptr, size_t bytes) {
  READY(c);
  if (ptr == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> lock(c->mu);
  c->refreshFaults();
  c->allocs++;
  if (c->faults.alloc > 0 && c->allocs == c->faults.alloc) {
    note("injected CUDA_ERROR_OUT_OF_MEMORY on allocation %lld (%zu bytes)", c->allocs, bytes);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (bytes > g.memory - c->used) return CUDA_ERROR_OUT_OF_MEMORY;
  // 256-byte aligned as cuMemAlloc's; pages are committed as they are touched.
  void* p = aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (p == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  c->allocations[reinterpret_cast<CUdeviceptr>(p)] = bytes;
  c->used += bytes;
  *ptr = reinterpret_cast<CUdeviceptr>(p);
  return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
  READY(c);
  std::lock_guard<std::mutex> lock(c->mu);
  auto it = c->allocations.find(ptr);
  if (it == c->allocations.end()) return CUDA_ERROR_INVALID_VALUE;
  c->used -= it->second;
  free(reinterpret_cast<void*>(ptr));
  c->allocations.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuMemHostAlloc(void** ptr, size_t bytes, unsigned int flags) {
  READY(c);
  (void)flags;
  if (ptr == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  {
    std::lock_guard<std::mutex> lock(c->mu);
    c->refreshFaults();
    c->hostAllocs++;
    if (c->faults.hostAlloc > 0 && c->hostAllocs == c->faults.hostAlloc) {
      note("injected CUDA_ERROR_OUT_OF_MEMORY on pinned host allocation %lld (%zu bytes)", c->hostAllocs, bytes);
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
  }
  void* p = aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
  if (p == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  *ptr = p;
  return CUDA_SUCCESS;
}

CUresult cuMemAllocHost_v2(void** ptr, size_t bytes) { return cuMemHostAlloc(ptr, bytes, 0); }

CUresult cuMemFreeHost(void* ptr) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  free(ptr);
  return CUDA_SUCCESS;
}

static CUresult copy_async(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream, bool dstDevice, bool srcDevice) {
  READY(c);
  if (bytes == 0) return CUDA_SUCCESS;
  if ((dstDevice && !device_range(c, dst, bytes)) || (srcDevice && !device_range(c, src, bytes))) {
    note("cuMemcpy of %zu bytes outside any device allocation (dst 0x%llx, src 0x%llx)", bytes, dst, src);
    return CUDA_ERROR_INVALID_VALUE;
  }
  Stream* s = stream_of(c, stream);
  if (s == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  s->push([c, dst, src, bytes] {
    if (c->sticky.load() == 0) memcpy(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
  });
  return CUDA_SUCCESS;
}

static CUresult copy_sync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, bool dstDevice, bool srcDevice) {
  CUresult r = copy_async(dst, src, bytes, nullptr, dstDevice, srcDevice);
  if (r != CUDA_SUCCESS) return r;
  tls_current->nullStream->drain();
  return tls_current->sticky.load();
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream) {
  return copy_async(dst, reinterpret_cast<CUdeviceptr>(src), bytes, stream, true, false);
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream) {
  return copy_async(reinterpret_cast<CUdeviceptr>(dst), src, bytes, stream, false, true);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream) {
  return copy_async(dst, src, bytes, stream, true, true);
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
  return copy_sync(dst, reinterpret_cast<CUdeviceptr>(src), bytes, true, false);
}
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
  return copy_sync(reinterpret_cast<CUdeviceptr>(dst), src, bytes, false, true);
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) { return copy_sync(dst, src, bytes, true, true); }

static CUresult memset_async(CUdeviceptr dst, unsigned value, size_t width, size_t count, void* stream, bool sync) {
  READY(c);
  if (count == 0) return CUDA_SUCCESS;
  if (!device_range(c, dst, count * width)) return CUDA_ERROR_INVALID_VALUE;
  Stream* s = stream_of(c, stream);
  if (s == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  s->push([c, dst, value, width, count] {
    if (c->sticky.load() != 0) return;
    char* p = reinterpret_cast<char*>(dst);
    for (size_t i = 0; i < count; i++) memcpy(p + i * width, &value, width);
  });
  if (sync) {
    s->drain();
    return c->sticky.load();
  }
  return CUDA_SUCCESS;
}
CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return memset_async(d, v, 1, n, nullptr, true); }
CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) { return memset_async(d, v, 2, n, nullptr, true); }
CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned int v, size_t n) { return memset_async(d, v, 4, n, nullptr, true); }
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void* s) { return memset_async(d, v, 1, n, s, false); }
CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, void* s) { return memset_async(d, v, 2, n, s, false); }
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t n, void* s) { return memset_async(d, v, 4, n, s, false); }

}  // extern "C"
