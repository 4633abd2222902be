// The emulated CUDA driver's internal state (driver_state.h): the fault model, the stream workers,
// the driver and the calling thread's context, and what the driver_*.cc files share to look them up.
#include "driver_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

namespace braid_emu {
namespace driver {

Driver g;

thread_local Context* tls_current = nullptr;

void note(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "braid emulated GPU: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

void Faults::parse(const std::string& spec, const char* from) {
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

long long Faults::stamp() {
  const char* path = getenv("BRAID_CUDA_EMU_FAULTS_FILE");
  struct stat st;
  if (path == nullptr || stat(path, &st) != 0) return 0;
  return (long long)st.st_mtim.tv_sec * 1000000007LL + st.st_mtim.tv_nsec * 31LL + st.st_size + 1;
}

Faults Faults::load() {
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

Stream::Stream(Context* c, int p) : ctx(c), priority(p) { worker = std::thread([this] { loop(); }); }

void Stream::loop() {
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

void Stream::push(std::function<void()> op) {
  {
    std::lock_guard<std::mutex> lock(mu);
    queue.push_back(std::move(op));
  }
  cv.notify_all();
}

void Stream::drain() {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [this] { return queue.empty() && !busy; });
}

bool Stream::idle() {
  std::lock_guard<std::mutex> lock(mu);
  return queue.empty() && !busy;
}

void Stream::stop(bool wait) {
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_all();
  if (wait) worker.join();
  else worker.detach();
}

void Context::refreshFaults() {
  long long now = Faults::stamp();
  if (now == faultsStamp) return;
  faultsStamp = now;
  faults = Faults::load();
  launches.store(0);
  kernelLaunches.store(0);
  allocs = 0;
  hostAllocs = 0;
}

CUresult ready(Context** out) {
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  Context* c = tls_current;
  if (c == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  int s = c->sticky.load();
  if (s != 0) return s;
  *out = c;
  return CUDA_SUCCESS;
}

Stream* stream_of(Context* c, void* handle) {
  if (handle == nullptr) return c->nullStream;
  Stream* s = static_cast<Stream*>(handle);
  std::lock_guard<std::mutex> lock(c->mu);
  return c->streams.count(s) ? s : nullptr;
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

}  // namespace driver
}  // namespace braid_emu
