// The emulated CUDA driver: streams (one worker thread each) and events.
#include <chrono>
#include <thread>

#include "driver_state.h"

using namespace braid_emu::driver;

extern "C" {

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

}  // extern "C"
