package dev.braid.device.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventQuery;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.braid.device.cuda.PinnedStaging.Pinned;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;

/**
 * The operations a {@link CudaContext} has issued and not yet settled, each behind the completion
 * event recorded after its work: {@link #record} after issuing, {@link #poll} between tasks
 * ({@code cuEventQuery}, non-blocking), and the outcome handed to the operation's {@link
 * CudaContext.Op}. Confined to the context's thread, as every driver call is.
 *
 * <p>Lifecycle of an operation: recorded -> settled once (its event done: finished or failed), its
 * pinned buffers and event recycled and its scratch released first. A sticky CUDA error fails every
 * operation in flight at once and reports the lost context to {@code onSticky}; {@link #abandon}
 * (close) fails them without touching the GPU.
 */
final class InFlightOps {
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private final ArrayDeque<CUevent> spareEvents = new ArrayDeque<>();
  private final PinnedStaging staging;
  private final Consumer<CudaFailure> onSticky;

  InFlightOps(PinnedStaging staging, Consumer<CudaFailure> onSticky) {
    this.staging = staging;
    this.onSticky = onSticky;
  }

  boolean isEmpty() {
    return inFlight.isEmpty();
  }

  /** One operation whose completion event has been recorded. */
  private record InFlight(CUevent event, String label, CudaContext.Op op, List<Pinned> pinned, Runnable release,
      RuntimeException issueError) {}

  /** Records the completion event after the operation's work; failures settle at once or when the stream drained. */
  void record(CUstream stream, String label, CudaContext.Op op, List<Pinned> pinned, Runnable release,
      RuntimeException issueError) {
    if (issueError instanceof CudaFailure f && CudaErrors.isSticky(f.code)) {
      inFlight.add(new InFlight(null, label, op, pinned, release, issueError));
      sticky(f, label);
      return;
    }
    CUevent ev = spareEvents.isEmpty() ? null : spareEvents.pop();
    try {
      if (ev == null) {
        ev = new CUevent();
        CudaContext.check(cuEventCreate(ev, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
      }
      CudaContext.check(cuEventRecord(ev, stream), "cuEventRecord");
      inFlight.add(new InFlight(ev, label, op, pinned, release, issueError));
    } catch (CudaFailure f) {
      // Without an event, wait for the stream so that pinned and scratch memory are not reused early.
      cuStreamSynchronize(stream);
      inFlight.add(new InFlight(null, label, op, pinned, release, issueError != null ? issueError : f));
      if (CudaErrors.isSticky(f.code)) {
        sticky(f, label);
      }
    }
  }

  /** Polls every in-flight event once, settling those that completed. */
  void poll() {
    Iterator<InFlight> it = inFlight.iterator();
    while (it.hasNext()) {
      InFlight f = it.next();
      int r = f.event() == null ? CUresult.CUDA_SUCCESS : cuEventQuery(f.event());
      if (r == CUresult.CUDA_ERROR_NOT_READY) {
        continue;
      }
      it.remove();
      if (r != CUresult.CUDA_SUCCESS) {
        CudaFailure failure = new CudaFailure(r, "kernel execution");
        if (CudaErrors.isSticky(r)) {
          inFlight.addFirst(f);
          sticky(failure, f.label());
          return;
        }
        settle(f, null, failure);
        continue;
      }
      if (f.issueError() != null) {
        settle(f, null, f.issueError());
        continue;
      }
      Object value = null;
      RuntimeException error = null;
      try {
        value = f.op().finish();
      } catch (RuntimeException e) {
        error = e;
      }
      settle(f, value, error);
    }
  }

  private void settle(InFlight f, Object value, RuntimeException error) {
    for (Pinned p : f.pinned()) {
      staging.release(p);
    }
    if (f.event() != null) {
      spareEvents.push(f.event());
    }
    try {
      f.release().run();
    } finally {
      f.op().settle(value, error);
    }
  }

  /** A sticky error: the context is lost, so every operation in flight fails with it. */
  private void sticky(CudaFailure cause, String firstLabel) {
    CudaFailure failure = new CudaFailure(cause.code, "the GPU's context (first error reported completing " + firstLabel + ")");
    onSticky.accept(failure);
    while (!inFlight.isEmpty()) {
      InFlight f = inFlight.poll();
      f.release().run();
      f.op().settle(null, failure);
    }
  }

  /** Fails everything in flight with {@code error} (close), releasing nothing on the GPU. */
  void abandon(RuntimeException error) {
    while (!inFlight.isEmpty()) {
      InFlight f = inFlight.poll();
      f.op().settle(null, error);
    }
  }

  /** Destroys the recycled events, when the context stops. */
  void destroyEvents() {
    for (CUevent e : spareEvents) {
      cuEventDestroy(e);
    }
    spareEvents.clear();
  }
}
