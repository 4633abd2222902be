// Fibers for the emulated CUDA threads: a hand-written x86-64 context switch (callee-saved
// registers, MXCSR and the x87 control word; unlike swapcontext it makes no signal-mask system
// call, which matters at a switch per thread per barrier), stacks with a guard page each, and the
// block scheduler that enforces barrier and warp convergence.
#include "fiber.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define BRAID_EMU_ASAN 1
#else
#define BRAID_EMU_ASAN 0
#endif

#if !defined(__x86_64__)
#error "the emulator's fiber switch is written for x86-64"
#endif

extern "C" void braid_emu_switch(void** save_sp, void* to_sp);
asm(R"(
  .text
  .globl braid_emu_switch
  .hidden braid_emu_switch
  .type braid_emu_switch, @function
braid_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size braid_emu_switch, .-braid_emu_switch
)");

namespace braid_emu {
thread_local Exec* tls_exec = nullptr;

namespace {
#if BRAID_EMU_ASAN
constexpr size_t kStack = 512 * 1024;
#else
constexpr size_t kStack = 128 * 1024;
#endif
constexpr size_t kGuard = 4096;
constexpr unsigned kMaxThreads = 1024;

void fail(Exec& e, const char* fmt, ...) {
  if (e.error[0] != 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.error, sizeof e.error, fmt, ap);
  va_end(ap);
}

// Switch from the running fiber back to the scheduler; `dying` when the fiber will not resume.
void to_scheduler(Exec& e, Fiber* f, bool dying) {
#if BRAID_EMU_ASAN
  __sanitizer_start_switch_fiber(dying ? nullptr : &f->fakeStack, e.schedulerStackLow, e.schedulerStackSize);
#else
  (void)dying;
#endif
  braid_emu_switch(&f->sp, e.schedulerSp);
#if BRAID_EMU_ASAN
  __sanitizer_finish_switch_fiber(f->fakeStack, nullptr, nullptr);
#endif
}

[[noreturn]] void fiber_main() {
  Exec& e = *tls_exec;
  Fiber* f = e.current;
#if BRAID_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &e.schedulerStackLow, &e.schedulerStackSize);
#endif
  e.entry(e.args);
  f->state = DONE;
  to_scheduler(e, f, true);
  abort();  // a finished fiber is never resumed
}

void ensure_capacity(Exec& e, size_t n) {
  if (n <= e.capacity) return;
  if (e.stacks != nullptr) munmap(e.stacks, e.stacksBytes);
  free(e.fibers);
  free(e.warpSlots);
  e.capacity = n;
  e.stacksBytes = n * (kStack + kGuard);
  void* m = mmap(nullptr, e.stacksBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    perror("braid emulated GPU: mmap of fiber stacks");
    abort();
  }
  e.stacks = static_cast<char*>(m);
  e.fibers = static_cast<Fiber*>(calloc(n, sizeof(Fiber)));
  size_t warps = (n + 31) / 32;
  e.warpSlots = static_cast<uint64_t*>(calloc(warps * 64, sizeof(uint64_t)));
  for (size_t i = 0; i < n; i++) {
    char* base = e.stacks + i * (kStack + kGuard);
    mprotect(base, kGuard, PROT_NONE);  // the guard page below each stack: an overflow faults
    e.fibers[i].stackLow = base + kGuard;
    e.fibers[i].stackSize = kStack;
  }
}

// A fresh fiber whose first switch-in "returns" into fiber_main with a call-aligned stack.
void prepare(Fiber& f) {
  uintptr_t top = reinterpret_cast<uintptr_t>(f.stackLow + f.stackSize) & ~uintptr_t(15);
  uint64_t* sp = reinterpret_cast<uint64_t*>(top);
#if BRAID_EMU_ASAN
  __asan_unpoison_memory_region(f.stackLow, f.stackSize);
#endif
  *--sp = 0;                                               // fiber_main's (absent) return address
  *--sp = reinterpret_cast<uint64_t>(&fiber_main);         // ret target
  for (int i = 0; i < 6; i++) *--sp = 0;                   // rbp rbx r12 r13 r14 r15
  *--sp = 0x1F80ull | (0x037Full << 32);                   // MXCSR default, x87 control word default
  f.sp = sp;
  f.state = RUNNABLE;
  f.warpGen = 0;
  f.file = nullptr;
  f.line = 0;
  f.fakeStack = nullptr;
}

const char* state_name(FiberState s) {
  switch (s) {
    case RUNNABLE: return "running";
    case AT_BARRIER: return "__syncthreads";
    case AT_WARP: return "a warp operation";
    default: return "exited";
  }
}

// Runs one block to completion; false on divergence (e.error says where).
bool run_block(Exec& e, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    Fiber& f = e.fibers[i];
    f.linear = (int)i;
    f.tid.x = i % e.block_dim.x;
    f.tid.y = (i / e.block_dim.x) % e.block_dim.y;
    f.tid.z = i / (e.block_dim.x * e.block_dim.y);
    prepare(f);
  }
  unsigned warps = (n + 31) / 32;
  for (;;) {
    for (unsigned i = 0; i < n; i++) {
      Fiber& f = e.fibers[i];
      if (f.state != RUNNABLE) continue;
      e.current = &f;
#if BRAID_EMU_ASAN
      __sanitizer_start_switch_fiber(&e.schedulerFake, f.stackLow, f.stackSize);
#endif
      braid_emu_switch(&e.schedulerSp, f.sp);
#if BRAID_EMU_ASAN
      __sanitizer_finish_switch_fiber(e.schedulerFake, nullptr, nullptr);
#endif
    }
    e.current = nullptr;
    unsigned done = 0, atBarrier = 0;
    bool released = false;
    for (unsigned w = 0; w < warps; w++) {
      unsigned lo = w * 32, hi = lo + 32 < n ? lo + 32 : n;
      unsigned atWarp = 0;
      for (unsigned i = lo; i < hi; i++) atWarp += e.fibers[i].state == AT_WARP;
      if (atWarp == 0) continue;
      const Fiber& first = e.fibers[lo];
      for (unsigned i = lo; i < hi; i++) {
        const Fiber& f = e.fibers[i];
        if (f.state != AT_WARP || f.line != first.line || strcmp(f.file, first.file) != 0 ||
            f.warpGen != first.warpGen) {
          const Fiber& odd = f.state == AT_WARP && first.state == AT_WARP ? f : (f.state == AT_WARP ? first : f);
          fail(e, "warp divergence in %s block (%u,%u,%u) warp %u: lane %u waits at a warp operation (%s:%d) "
               "while lane %u is at %s (%s:%d)", e.kernel, e.block.x, e.block.y, e.block.z, w,
               lo, first.file ? first.file : "?", first.line, i, state_name(odd.state),
               f.file ? f.file : "-", f.line);
          return false;
        }
      }
      for (unsigned i = lo; i < hi; i++) e.fibers[i].state = RUNNABLE;
      released = true;
    }
    if (released) continue;
    const Fiber* waiting = nullptr;
    for (unsigned i = 0; i < n; i++) {
      const Fiber& f = e.fibers[i];
      if (f.state == DONE) {
        done++;
      } else {
        atBarrier++;
        if (waiting == nullptr) {
          waiting = &f;
        } else if (f.line != waiting->line || strcmp(f.file, waiting->file) != 0) {
          fail(e, "barrier divergence in %s block (%u,%u,%u): thread %d waits at __syncthreads (%s:%d) and thread %d "
               "at __syncthreads (%s:%d)", e.kernel, e.block.x, e.block.y, e.block.z, waiting->linear,
               waiting->file, waiting->line, f.linear, f.file, f.line);
          return false;
        }
      }
    }
    if (atBarrier == 0) return true;
    if (done > 0) {
      fail(e, "barrier divergence in %s block (%u,%u,%u): %u threads wait at __syncthreads (%s:%d) while %u "
           "threads of the block have exited", e.kernel, e.block.x, e.block.y, e.block.z, atBarrier,
           waiting->file, waiting->line, done);
      return false;
    }
    for (unsigned i = 0; i < n; i++) e.fibers[i].state = RUNNABLE;
  }
}
}  // namespace

Exec::~Exec() {
  if (stacks != nullptr) munmap(stacks, stacksBytes);
  free(fibers);
  free(warpSlots);
}

void sync_block(const char* file, int line) {
  Exec& e = *tls_exec;
  Fiber* f = e.current;
  f->state = AT_BARRIER;
  f->file = file;
  f->line = line;
  to_scheduler(e, f, false);
}

uint64_t warp_exchange(unsigned mask, uint64_t value, ShflKind kind, int arg, int width, const char* file, int line) {
  Exec& e = *tls_exec;
  Fiber* f = e.current;
  unsigned n = e.block_dim.x * e.block_dim.y * e.block_dim.z;
  unsigned lane = (unsigned)f->linear & 31u, warp = (unsigned)f->linear >> 5;
  unsigned lanes = n - warp * 32 < 32 ? n - warp * 32 : 32;
  unsigned need = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
  if ((mask & need) != need) {
    fail(e, "%s:%d: warp operation in %s with mask 0x%08x leaves out lanes of warp %u (%u lanes): the emulator "
         "supports whole-warp operations only", file, line, e.kernel, mask, warp, lanes);
  }
  uint64_t* slots = e.warpSlots + (size_t)warp * 64 + (f->warpGen & 1u) * 32;
  slots[lane] = value;
  f->state = AT_WARP;
  f->file = file;
  f->line = line;
  to_scheduler(e, f, false);
  f->warpGen++;
  if (width <= 0 || width > 32 || (width & (width - 1)) != 0) width = 32;
  unsigned seg = lane & ~(unsigned)(width - 1), pos = lane & (unsigned)(width - 1);
  unsigned src = lane;
  switch (kind) {
    case SHFL_XOR: src = seg | ((pos ^ (unsigned)arg) & (unsigned)(width - 1)); break;
    case SHFL_DOWN: src = pos + (unsigned)arg < (unsigned)width ? lane + (unsigned)arg : lane; break;
    case SHFL_UP: src = pos >= (unsigned)arg ? lane - (unsigned)arg : lane; break;
    case SHFL_IDX: src = seg | ((unsigned)arg & (unsigned)(width - 1)); break;
    default: break;
  }
  if (src >= lanes) src = lane;
  return slots[src];
}

bool run_grid(Exec& e, Trampoline entry, void* const* args, uint3 grid, uint3 block, const char* kernel) {
  unsigned n = block.x * block.y * block.z;
  if (n == 0 || n > kMaxThreads) {
    fail(e, "%s: block of %u threads", kernel, n);
    return false;
  }
  ensure_capacity(e, n);
  e.entry = entry;
  e.args = args;
  e.kernel = kernel;
  e.block_dim = block;
  e.grid_dim = grid;
  e.error[0] = 0;
  Exec* saved = tls_exec;
  tls_exec = &e;
  bool ok = true;
  for (unsigned z = 0; z < grid.z && ok; z++)
    for (unsigned y = 0; y < grid.y && ok; y++)
      for (unsigned x = 0; x < grid.x && ok; x++) {
        e.block = uint3{x, y, z};
        ok = run_block(e, n);
      }
  tls_exec = saved;
  return ok;
}
}  // namespace braid_emu
