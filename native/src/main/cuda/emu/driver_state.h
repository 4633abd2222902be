// The emulated CUDA driver's internal state, shared by its driver_*.cc files: the driver (one
// device, its primary context), contexts, streams (one worker thread each), events, modules and
// loaded functions, device allocations and the fault model. See README.md.
//
// Semantics kept: work on one stream runs in issue order; an event completes when the work
// recorded before it on its stream has; a kernel fault is reported asynchronously (by later
// queries and synchronizations) and is sticky: every later call in the context returns it, until
// the primary context is released and retained afresh (as cuDevicePrimaryCtxReset would).
//
// Everything here has hidden visibility: libcuda.so.1 exports the driver API (the extern "C"
// functions of the driver_*.cc files) and nothing of this.
#pragma once
#include <stddef.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

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

namespace braid_emu {
namespace driver __attribute__((visibility("hidden"))) {

/** One line on stderr, after "braid emulated GPU: ". */
void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

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

  /** Reads the comma- or newline-separated items of spec; `from` names its source in notes. */
  void parse(const std::string& spec, const char* from);

  /** The fault file's identity (mtime and size), to notice a change; 0 when absent or unnamed. */
  static long long stamp();

  /** The faults the environment and the fault file ask for now. */
  static Faults load();
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

  /** Starts the worker thread. */
  Stream(Context* c, int p);

  /** The worker: runs the queued work in order until stopped and drained. */
  void loop();

  /** Queues op behind the work already issued. */
  void push(std::function<void()> op);

  /** Waits until everything issued so far has run. */
  void drain();

  /** Whether everything issued so far has run. */
  bool idle();

  /** Stops the worker after its queue; a hung kernel keeps it forever, so it is then left behind. */
  void stop(bool wait);
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
  Stream* nullStream = nullptr;
  std::atomic<bool> hung{false};

  /** Re-reads the faults when their file changed; the counts restart. Caller holds mu. */
  void refreshFaults();
};

/** The one device: its size from the environment (at cuInit) and its primary context. */
struct Driver {
  std::mutex mu;
  bool initialized = false;
  int smCount = 132;
  size_t memory = 2ull << 30;
  Context* primary = nullptr;
  int primaryRefs = 0;
};

extern Driver g;

/** The calling thread's current context (cuCtxSetCurrent), nullptr when none. */
extern thread_local Context* tls_current;

/**
 * The current context in *out when the driver is initialized, a context is current and it holds
 * no sticky fault; otherwise the error a call in that state returns.
 */
CUresult ready(Context** out);

/** The stream a handle names in c (nullptr: c's null stream); nullptr when c has no such stream. */
Stream* stream_of(Context* c, void* handle);

/** Frees c and everything it holds, but leaves what a hung kernel's worker still references. */
void destroy_context(Context* c);

/**
 * Sets what cuGetErrorString says of CUDA_ERROR_LAUNCH_FAILED: the generic text, then why (the
 * emulator's reason: the kernel, the block and the places).
 */
void record_launch_failure(const char* why);

/** Forgets the recorded launch failure: a fresh context has none to tell of. */
void clear_launch_failure();

}  // namespace driver
}  // namespace braid_emu

/** Declares Context* c, the current context, or returns ready()'s error from the caller. */
#define READY(c)                                   \
  braid_emu::driver::Context* c = nullptr;         \
  {                                                \
    CUresult r_ = braid_emu::driver::ready(&c);    \
    if (r_ != CUDA_SUCCESS) return r_;             \
  }
