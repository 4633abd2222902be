// The emulated CUDA driver: modules (the kernels a fatbin names), functions and launches, each
// launch's grid run on its stream's worker by the fiber runtime (fiber.h).
#include <stdint.h>
#include <string.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "driver_state.h"

using namespace braid_emu::driver;

namespace {

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
