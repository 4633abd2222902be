// The emulated CUDA driver: the driver API functions Braid's JCuda calls reach, over host memory,
// running the kernels of kernels.cc on one worker thread per stream. See README.md.
//
// Semantics kept: work on one stream runs in issue order; an event completes when the work
// recorded before it on its stream has; a kernel fault is reported asynchronously (by later
// queries and synchronizations) and is sticky: every later call in the context returns it, until
// the primary context is released and retained afresh (as cuDevicePrimaryCtxReset would).
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fiber.h"
#include "kernels.h"

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum : int {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_NOT_READY = 600,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_NOT_SUPPORTED = 801,
  CUDA_ERROR_UNKNOWN = 999,
};

namespace {
const char* kName = "Braid emulated GPU";

void note(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "braid emulated GPU: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

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

/**
 * Faults to inject, from BRAID_CUDA_EMU_FAULTS and the file named by BRAID_CUDA_EMU_FAULTS_FILE
 * (read when a primary context is created, and again whenever the file changes, counting from
 * then; so a test arms a fault after its models loaded, and one process runs several cases):
 * comma-separated `launch=N:CODE` (the Nth launch fails, CODE illegal_address or launch_failed,
 * both sticky), `alloc=N` (the Nth cuMemAlloc fails with CUDA_ERROR_OUT_OF_MEMORY), `host_alloc=N`
 * (the Nth cuMemHostAlloc likewise: pinned staging, allocated after the device opened, so one
 * transfer fails), `hang=N` (the Nth launch never completes), optionally `kernel=NAME` (count only
 * launches of that kernel).
 */
struct Faults {
  long long launch = 0;
  int launchCode = CUDA_ERROR_LAUNCH_FAILED;
  long long alloc = 0;
  long long hostAlloc = 0;
  long long hang = 0;
  std::string kernel;

  void parse(const std::string& spec, const char* from) {
    size_t i = 0;
    while (i < spec.size()) {
      size_t j = spec.find_first_of(",\n", i);
      if (j == std::string::npos) j = spec.size();
      std::string item = spec.substr(i, j - i);
      i = j + 1;
      while (!item.empty() && (item.back() == ' ' || item.back() == '\r')) item.pop_back();
      while (!item.empty() && item.front() == ' ') item.erase(0, 1);
      if (item.empty()) continue;
      size_t eq = item.find('=');
      std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
      if (key == "launch") {
        size_t colon = value.find(':');
        launch = atoll(value.substr(0, colon).c_str());
        std::string code = colon == std::string::npos ? "launch_failed" : value.substr(colon + 1);
        if (code == "illegal_address") launchCode = CUDA_ERROR_ILLEGAL_ADDRESS;
        else if (code == "launch_failed") launchCode = CUDA_ERROR_LAUNCH_FAILED;
        else note("%s: unknown launch fault '%s' (expected illegal_address or launch_failed)", from, code.c_str());
      } else if (key == "alloc") {
        alloc = atoll(value.c_str());
      } else if (key == "host_alloc") {
        hostAlloc = atoll(value.c_str());
      } else if (key == "hang") {
        hang = atoll(value.c_str());
      } else if (key == "kernel") {
        kernel = value;
      } else {
        note("%s: unknown fault '%s' (expected launch=N:CODE, alloc=N, host_alloc=N, hang=N or kernel=NAME)", from, item.c_str());
      }
    }
  }

  /** The fault file's identity (mtime and size), to notice a change; 0 when absent or unnamed. */
  static long long stamp() {
    const char* path = getenv("BRAID_CUDA_EMU_FAULTS_FILE");
    struct stat st;
    if (path == nullptr || stat(path, &st) != 0) return 0;
    return (long long)st.st_mtim.tv_sec * 1000000007LL + st.st_mtim.tv_nsec * 31LL + st.st_size + 1;
  }

  static Faults load() {
    Faults f;
    if (const char* v = getenv("BRAID_CUDA_EMU_FAULTS")) f.parse(v, "BRAID_CUDA_EMU_FAULTS");
    if (const char* path = getenv("BRAID_CUDA_EMU_FAULTS_FILE")) {
      if (FILE* in = fopen(path, "r")) {
        std::string text;
        char buf[512];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0) text.append(buf, n);
        fclose(in);
        f.parse(text, path);
      }
    }
    if (f.launch > 0 || f.alloc > 0 || f.hostAlloc > 0 || f.hang > 0) {
      note("fault injection: launch=%lld (code %d) alloc=%lld host_alloc=%lld hang=%lld kernel=%s", f.launch,
           f.launchCode, f.alloc, f.hostAlloc, f.hang, f.kernel.empty() ? "(any)" : f.kernel.c_str());
    }
    return f;
  }
};

struct Context;

/** One stream: a FIFO of work run by its own worker thread. */
struct Stream {
  Context* ctx;
  int priority;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  bool busy = false;
  bool stopping = false;
  std::thread worker;
  braid_emu::Exec exec;

  Stream(Context* c, int p) : ctx(c), priority(p) { worker = std::thread([this] { loop(); }); }

  void loop() {
    for (;;) {
      std::function<void()> op;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        op = std::move(queue.front());
        queue.pop_front();
        busy = true;
      }
      op();
      {
        std::lock_guard<std::mutex> lock(mu);
        busy = false;
      }
      cv.notify_all();
    }
  }

  void push(std::function<void()> op) {
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(op));
    }
    cv.notify_all();
  }

  void drain() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return queue.empty() && !busy; });
  }

  bool idle() {
    std::lock_guard<std::mutex> lock(mu);
    return queue.empty() && !busy;
  }

  /** Stops the worker after its queue; a hung kernel keeps it forever, so it is then left behind. */
  void stop(bool wait) {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (wait) worker.join();
    else worker.detach();
  }
};

struct Event {
  Context* ctx;
  std::atomic<unsigned long long> recorded{0};
  std::atomic<unsigned long long> completed{0};
};

struct Module {
  std::set<std::string> kernels;  // names the fatbin carries
};

struct Function {
  const braid_emu::KernelEntry* entry;
  Module* module;
};

struct Context {
  std::atomic<int> sticky{0};
  std::mutex mu;
  std::set<Stream*> streams;
  std::set<Event*> events;
  std::set<Module*> modules;
  std::map<CUdeviceptr, size_t> allocations;
  size_t used = 0;
  Faults faults;
  long long faultsStamp = 0;
  std::atomic<long long> launches{0};
  std::atomic<long long> kernelLaunches{0};
  long long allocs = 0;
  long long hostAllocs = 0;

  /** Re-reads the faults when their file changed; the counts restart. Caller holds mu. */
  void refreshFaults() {
    long long now = Faults::stamp();
    if (now == faultsStamp) return;
    faultsStamp = now;
    faults = Faults::load();
    launches.store(0);
    kernelLaunches.store(0);
    allocs = 0;
    hostAllocs = 0;
  }
  Stream* nullStream = nullptr;
  std::atomic<bool> hung{false};
};

/**
 * What cuGetErrorString says of CUDA_ERROR_LAUNCH_FAILED after a kernel failed in the emulator
 * (divergence): the generic text and the emulator's reason, naming the kernel, the block and the
 * places. Set by the first failure after a context was created (the error is sticky, so later
 * launches do not run); storage that lives as long as the library, as the driver's strings do.
 */
char g_launchFailure[1024] = "";
std::mutex g_launchFailureMu;

void record_launch_failure(const char* why) {
  std::lock_guard<std::mutex> lock(g_launchFailureMu);
  snprintf(g_launchFailure, sizeof g_launchFailure, "unspecified launch failure (emulated): %s", why);
}

struct Driver {
  std::mutex mu;
  bool initialized = false;
  int smCount = 132;
  size_t memory = 2ull << 30;
  Context* primary = nullptr;
  int primaryRefs = 0;
} g;

thread_local Context* tls_current = nullptr;

CUresult ready(Context** out) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  Context* c = tls_current;
  if (c == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  int s = c->sticky.load();
  if (s != 0) return s;
  *out = c;
  return CUDA_SUCCESS;
}

#define READY(c)                         \
  Context* c = nullptr;                  \
  {                                      \
    CUresult r_ = ready(&c);             \
    if (r_ != CUDA_SUCCESS) return r_;   \
  }

Stream* stream_of(Context* c, void* handle) {
  if (handle == nullptr) return c->nullStream;
  Stream* s = static_cast<Stream*>(handle);
  std::lock_guard<std::mutex> lock(c->mu);
  return c->streams.count(s) ? s : nullptr;
}

/** Whether [p, p + bytes) lies inside one device allocation. */
bool device_range(Context* c, CUdeviceptr p, size_t bytes) {
  std::lock_guard<std::mutex> lock(c->mu);
  auto it = c->allocations.upper_bound(p);
  if (it == c->allocations.begin()) return false;
  --it;
  return p >= it->first && p + bytes <= it->first + it->second;
}

void destroy_context(Context* c) {
  bool hung = c->hung.load();
  for (Stream* s : c->streams) {
    s->stop(!hung);
    if (!hung) delete s;
  }
  c->nullStream->stop(!hung);
  if (!hung) delete c->nullStream;
  for (Event* e : c->events) delete e;
  for (Module* m : c->modules) delete m;
  for (auto& a : c->allocations) free(reinterpret_cast<void*>(a.first));
  if (!hung) delete c;  // a hung kernel's worker still references it
}

const braid_emu::KernelEntry* find_kernel(const std::string& name) {
  for (int i = 0; i < braid_emu_kernel_count; i++) {
    if (name == braid_emu_kernels[i].name) return &braid_emu_kernels[i];
  }
  for (int i = 0; i < braid_emu_probe_kernel_count; i++) {
    if (name == braid_emu_probe_kernels[i].name) return &braid_emu_probe_kernels[i];
  }
  return nullptr;
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
    {
      std::lock_guard<std::mutex> lock(g_launchFailureMu);
      g_launchFailure[0] = 0;  // a fresh context has no failure to tell of
    }
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

CUresult cuStreamCreateWithPriority(void** stream, unsigned int flags, int priority) {
  READY(c);
  (void)flags;
  if (stream == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Stream* s = new Stream(c, priority < -5 ? -5 : (priority > 0 ? 0 : priority));
  std::lock_guard<std::mutex> lock(c->mu);
  c->streams.insert(s);
  *stream = s;
  return CUDA_SUCCESS;
}

CUresult cuStreamCreate(void** stream, unsigned int flags) { return cuStreamCreateWithPriority(stream, flags, 0); }

CUresult cuStreamDestroy_v2(void* stream) {
  Context* c = tls_current;
  if (c == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  Stream* s = static_cast<Stream*>(stream);
  {
    std::lock_guard<std::mutex> lock(c->mu);
    if (c->streams.erase(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
  }
  bool hung = c->hung.load();
  s->stop(!hung);  // like CUDA, work already queued completes first
  if (!hung) delete s;
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(void* stream) {
  READY(c);
  Stream* s = stream_of(c, stream);
  if (s == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  s->drain();
  return c->sticky.load();
}

CUresult cuStreamQuery(void* stream) {
  READY(c);
  Stream* s = stream_of(c, stream);
  if (s == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  return s->idle() ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

CUresult cuEventCreate(void** event, unsigned int flags) {
  READY(c);
  (void)flags;
  if (event == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Event* e = new Event();
  e->ctx = c;
  std::lock_guard<std::mutex> lock(c->mu);
  c->events.insert(e);
  *event = e;
  return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(void* event) {
  Context* c = tls_current;
  if (c == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  Event* e = static_cast<Event*>(event);
  std::lock_guard<std::mutex> lock(c->mu);
  if (c->events.erase(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
  // A record still queued refers to it: leave it to the context's end rather than free it now.
  if (e->completed.load() >= e->recorded.load()) delete e;
  else c->events.insert(e);
  return CUDA_SUCCESS;
}

CUresult cuEventRecord(void* event, void* stream) {
  READY(c);
  Event* e = static_cast<Event*>(event);
  {
    std::lock_guard<std::mutex> lock(c->mu);
    if (!c->events.count(e)) return CUDA_ERROR_INVALID_HANDLE;
  }
  Stream* s = stream_of(c, stream);
  if (s == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  unsigned long long gen = e->recorded.fetch_add(1) + 1;
  s->push([e, gen] {
    unsigned long long prev = e->completed.load();
    while (prev < gen && !e->completed.compare_exchange_weak(prev, gen)) {
    }
  });
  return CUDA_SUCCESS;
}

CUresult cuEventQuery(void* event) {
  READY(c);
  Event* e = static_cast<Event*>(event);
  return e->completed.load() >= e->recorded.load() ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

CUresult cuEventSynchronize(void* event) {
  for (;;) {
    CUresult r = cuEventQuery(event);
    if (r != CUDA_ERROR_NOT_READY) return r;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned int numOptions, void* options, void** values) {
  READY(c);
  (void)numOptions;
  (void)options;
  (void)values;
  if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const unsigned char* p = static_cast<const unsigned char*>(image);
  static const unsigned char kMagic[4] = {0x50, 0xed, 0x55, 0xba};  // fatbin wrapper magic 0xBA55ED50
  if (memcmp(p, kMagic, 4) != 0) {
    note("cuModuleLoadData: the image is not a fatbin (magic %02x%02x%02x%02x)", p[3], p[2], p[1], p[0]);
    return CUDA_ERROR_INVALID_IMAGE;
  }
  // Header: magic u32, version u16, header size u16, payload size u64.
  unsigned long long payload;
  unsigned short header;
  memcpy(&header, p + 6, 2);
  memcpy(&payload, p + 8, 8);
  size_t size = header + payload;
  // The kernels the fatbin carries: the symbol names in its ELF string tables, NUL-delimited
  // "braid_*" strings (the kernels are extern "C"; device helpers are inlined or mangled).
  Module* m = new Module();
  for (size_t i = 1; i < size; i++) {
    if (p[i - 1] != 0 || memcmp(p + i, "braid_", 6) != 0) continue;
    size_t j = i;
    while (j < size && ((p[j] >= 'a' && p[j] <= 'z') || (p[j] >= '0' && p[j] <= '9') || p[j] == '_')) j++;
    if (j < size && p[j] == 0) m->kernels.insert(std::string(reinterpret_cast<const char*>(p + i), j - i));
    i = j;
  }
  std::string missing;
  for (const std::string& k : m->kernels) {
    if (find_kernel(k) == nullptr) missing += (missing.empty() ? "" : ", ") + k;
  }
  if (m->kernels.empty() || !missing.empty()) {
    note("cuModuleLoadData: %s", m->kernels.empty() ? "the fatbin names no braid_ kernel"
         : ("the fatbin carries kernels this emulator was not built with: " + missing +
            " (rebuild the emulator from the same sources)").c_str());
    delete m;
    return CUDA_ERROR_INVALID_IMAGE;
  }
  std::lock_guard<std::mutex> lock(c->mu);
  c->modules.insert(m);
  *module = m;
  return CUDA_SUCCESS;
}

CUresult cuModuleLoadData(void** module, const void* image) { return cuModuleLoadDataEx(module, image, 0, nullptr, nullptr); }

CUresult cuModuleUnload(void* module) {
  Context* c = tls_current;
  if (c == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  std::lock_guard<std::mutex> lock(c->mu);
  // Functions keep pointing at the module; it lives until the context ends (as loaded code may
  // still run on a stream).
  return c->modules.count(static_cast<Module*>(module)) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
  READY(c);
  if (function == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Module* m = static_cast<Module*>(module);
  {
    std::lock_guard<std::mutex> lock(c->mu);
    if (!c->modules.count(m)) return CUDA_ERROR_INVALID_HANDLE;
  }
  if (!m->kernels.count(name)) return CUDA_ERROR_NOT_FOUND;
  const braid_emu::KernelEntry* k = find_kernel(name);
  if (k == nullptr) return CUDA_ERROR_NOT_FOUND;
  *function = new Function{k, m};  // one per lookup; Braid looks each kernel up once per context
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, void* stream, void** kernelParams, void** extra) {
  READY(c);
  if (function == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  const braid_emu::KernelEntry* k = static_cast<Function*>(function)->entry;
  if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gy > 65535 || gz > 65535 || bz > 64) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  if ((unsigned long long)bx * by * bz > 1024) return CUDA_ERROR_INVALID_VALUE;
  if (sharedBytes != 0) {
    note("%s: launched with %u bytes of dynamic shared memory, which the emulator does not provide", k->name, sharedBytes);
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (extra != nullptr) {
    note("%s: launch parameters through 'extra' are not supported", k->name);
    return CUDA_ERROR_NOT_SUPPORTED;
  }
  if (k->paramCount > 0 && kernelParams == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Stream* s = stream_of(c, stream);
  if (s == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  // Copy each parameter by the size the kernel declares (the caller's buffers die on return).
  size_t total = 0;
  std::vector<size_t> offsets(k->paramCount);
  for (int i = 0; i < k->paramCount; i++) {
    size_t a = k->params[i].align;
    total = (total + a - 1) / a * a;
    offsets[i] = total;
    total += k->params[i].size;
  }
  auto block = std::make_shared<std::vector<unsigned char>>(total + 16);
  unsigned char* base = block->data();
  base += (16 - reinterpret_cast<uintptr_t>(base) % 16) % 16;
  auto argv = std::make_shared<std::vector<void*>>(k->paramCount);
  for (int i = 0; i < k->paramCount; i++) {
    memcpy(base + offsets[i], kernelParams[i], k->params[i].size);
    (*argv)[i] = base + offsets[i];
  }
  Faults f;
  long long n;
  {
    std::lock_guard<std::mutex> lock(c->mu);
    c->refreshFaults();
    f = c->faults;
    n = c->launches.fetch_add(1) + 1;
  }
  bool counted = f.kernel.empty() || f.kernel == k->name;
  // With kernel=NAME only that kernel's launches count.
  long long nth = f.kernel.empty() ? n : (counted ? c->kernelLaunches.fetch_add(1) + 1 : 0);
  bool failIt = counted && f.launch > 0 && nth == f.launch;
  bool hangIt = counted && f.hang > 0 && nth == f.hang;
  uint3 grid{gx, gy, gz}, blk{bx, by, bz};
  int failCode = f.launchCode;
  s->push([c, s, k, block, argv, grid, blk, failIt, hangIt, nth, failCode] {
    if (c->sticky.load() != 0) return;
    if (failIt) {
      note("injected %s in %s (launch %lld)", failCode == CUDA_ERROR_ILLEGAL_ADDRESS
           ? "CUDA_ERROR_ILLEGAL_ADDRESS" : "CUDA_ERROR_LAUNCH_FAILED", k->name, nth);
      c->sticky.store(failCode);
      return;
    }
    if (hangIt) {
      note("injected hang in %s (launch %lld): the stream never completes", k->name, nth);
      c->hung.store(true);
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }
    if (!braid_emu::run_grid(s->exec, k->trampoline, argv->data(), grid, blk, k->name)) {
      note("%s", s->exec.error);
      int none = 0;
      if (c->sticky.compare_exchange_strong(none, CUDA_ERROR_LAUNCH_FAILED)) record_launch_failure(s->exec.error);
    }
  });
  return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char** out) {
  if (out == nullptr) return CUDA_ERROR_INVALID_VALUE;
  switch (error) {
    case CUDA_SUCCESS: *out = "CUDA_SUCCESS"; break;
    case CUDA_ERROR_INVALID_VALUE: *out = "CUDA_ERROR_INVALID_VALUE"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *out = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case CUDA_ERROR_NOT_INITIALIZED: *out = "CUDA_ERROR_NOT_INITIALIZED"; break;
    case CUDA_ERROR_NO_DEVICE: *out = "CUDA_ERROR_NO_DEVICE"; break;
    case CUDA_ERROR_INVALID_DEVICE: *out = "CUDA_ERROR_INVALID_DEVICE"; break;
    case CUDA_ERROR_INVALID_IMAGE: *out = "CUDA_ERROR_INVALID_IMAGE"; break;
    case CUDA_ERROR_INVALID_CONTEXT: *out = "CUDA_ERROR_INVALID_CONTEXT"; break;
    case CUDA_ERROR_INVALID_HANDLE: *out = "CUDA_ERROR_INVALID_HANDLE"; break;
    case CUDA_ERROR_NOT_FOUND: *out = "CUDA_ERROR_NOT_FOUND"; break;
    case CUDA_ERROR_NOT_READY: *out = "CUDA_ERROR_NOT_READY"; break;
    case CUDA_ERROR_ILLEGAL_ADDRESS: *out = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
    case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: *out = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; break;
    case CUDA_ERROR_LAUNCH_FAILED: *out = "CUDA_ERROR_LAUNCH_FAILED"; break;
    case CUDA_ERROR_NOT_SUPPORTED: *out = "CUDA_ERROR_NOT_SUPPORTED"; break;
    case CUDA_ERROR_UNKNOWN: *out = "CUDA_ERROR_UNKNOWN"; break;
    default: *out = nullptr; return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char** out) {
  if (out == nullptr) return CUDA_ERROR_INVALID_VALUE;
  switch (error) {
    case CUDA_ERROR_ILLEGAL_ADDRESS: *out = "an illegal memory access was encountered (emulated)"; return CUDA_SUCCESS;
    case CUDA_ERROR_LAUNCH_FAILED: {
      std::lock_guard<std::mutex> lock(g_launchFailureMu);
      *out = g_launchFailure[0] != 0 ? g_launchFailure : "unspecified launch failure (emulated)";
      return CUDA_SUCCESS;
    }
    default: return cuGetErrorName(error, out);
  }
}

/** For tests and tools: the signature table as text, one kernel a line: name kind:size,... */
const char* braid_emu_signatures(void) {
  static std::string text;
  static std::once_flag once;
  std::call_once(once, [] {
    for (int i = 0; i < braid_emu_kernel_count; i++) {
      const braid_emu::KernelEntry& k = braid_emu_kernels[i];
      text += k.name;
      for (int j = 0; j < k.paramCount; j++) {
        text += (j == 0 ? " " : ",");
        text += k.params[j].kind;
        text += ":" + std::to_string(k.params[j].size);
      }
      text += "\n";
    }
  });
  return text.c_str();
}
}  // extern "C"
