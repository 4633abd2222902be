// The emulator's execution model: a kernel's blocks run one after another on the calling (stream
// worker) thread; within a block every CUDA thread is a fiber with its own stack, run until it
// reaches a barrier (__syncthreads), a warp operation (__shfl_*_sync, WMMA) or its end. A barrier
// releases when every fiber of the block waits at the same one; a warp operation when all 32
// lanes of the warp (those that exist) wait at the same one. Anything else is divergence, which
// CUDA leaves undefined: the block stops and the launch fails (see Exec::error).
#pragma once
#include <stddef.h>
#include <stdint.h>

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace braid_emu {
enum ShflKind { SHFL_NONE, SHFL_XOR, SHFL_DOWN, SHFL_UP, SHFL_IDX };
enum FiberState { RUNNABLE, AT_BARRIER, AT_WARP, DONE };

struct Fiber {
  void* sp;             // saved stack pointer while switched out
  uint3 tid;
  int linear;           // x + y * bx + z * bx * by
  FiberState state;
  const char* file;     // where it waits (barrier or warp operation)
  int line;
  unsigned warpGen;     // warp operations done, selects the exchange buffer
  char* stackLow;
  size_t stackSize;
  void* fakeStack;      // AddressSanitizer's fiber bookkeeping
};

using Trampoline = void (*)(void* const* args);

/** One kernel launch on one worker thread. */
struct Exec {
  uint3 block{0, 0, 0};
  uint3 block_dim{1, 1, 1};
  uint3 grid_dim{1, 1, 1};
  Fiber* current = nullptr;
  void* schedulerSp = nullptr;
  const void* schedulerStackLow = nullptr;
  size_t schedulerStackSize = 0;
  void* schedulerFake = nullptr;
  Trampoline entry = nullptr;
  void* const* args = nullptr;
  const char* kernel = "";
  char error[512] = {0};  // non-empty: the launch failed (divergence)
  // Per-thread storage, grown to the largest block seen.
  Fiber* fibers = nullptr;
  size_t capacity = 0;
  char* stacks = nullptr;
  size_t stacksBytes = 0;
  uint64_t* warpSlots = nullptr;  // [warps][2][32]

  Exec() = default;
  Exec(const Exec&) = delete;
  Exec& operator=(const Exec&) = delete;
  ~Exec();
};

extern thread_local Exec* tls_exec;
inline Exec* current_exec() { return tls_exec; }
inline Fiber* current_fiber() { return current_exec()->current; }

void sync_block(const char* file, int line);
uint64_t warp_exchange(unsigned mask, uint64_t value, ShflKind kind, int arg, int width, const char* file, int line);
inline int width_or_32() { return 32; }
inline int width_or_32(int w) { return w; }

/**
 * Runs kernel `entry` over the grid on the calling thread. Returns false with `exec.error` set
 * when a block diverged at a barrier (the remaining blocks do not run).
 */
bool run_grid(Exec& exec, Trampoline entry, void* const* args, uint3 grid, uint3 block, const char* kernel);
}  // namespace braid_emu
