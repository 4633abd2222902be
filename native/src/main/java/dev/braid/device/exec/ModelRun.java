package dev.braid.device.exec;

import dev.braid.device.BufferSlice;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceStream;
import dev.braid.device.KernelLaunch;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One run of a {@link CompiledModel} on the device (one batch: the stacked inputs of its requests),
 * which a scheduler drives one kernel at a time. It owns
 * an arena on the device (inputs already uploaded when {@link CompiledModel#start} hands it out);
 * the kernels read the model's resident weights and this arena.
 *
 * <p>Op {@code i} is {@code model().steps().get(i)}, which is op {@code i} of the model's
 * {@code KernelPlan}: {@link #launch(int)} returns that step's kernel with its arguments bound, so
 * {@code launch(i).kernel().equals(steps().get(i).kernel())}. The caller may run it alone on any
 * stream or as one problem of a {@link dev.braid.device.GroupedLaunch} with launches of other
 * requests, of this model or others.
 *
 * <p>Lifecycle: running (ops {@code 0..opCount()-1}, strictly in order) -> finished
 * ({@link #finish}: outputs downloaded, arena freed) or aborted ({@link #abort}: arena freed,
 * nothing downloaded). The arena is freed exactly once, on either path.
 *
 * <p>Ordering contract: the arena is planned for sequential execution (the space of a dead value is
 * reused by a later one), so op {@code i + 1} may launch only after op {@code i} has completed on
 * the device, and the caller reports each completion with {@link #completed(int)}. This is
 * enforced: {@code launch(i)} is refused until ops {@code 0..i-1} are reported complete.
 * {@link #finish} must be called only when none of this request's launches is still running on
 * the device; a failed launch has finished running when its stage fails.
 *
 * <p>Abort never frees memory a kernel may still use: the arena returns to the device (where the
 * next allocation may reuse it) only after every device stage of this request known to be pending
 * has settled, successfully or not, and after the op last handed out by {@link #launch(int)} has
 * been accounted for. A stage is known when the launch went through
 * {@link #launch(int, DeviceStream)} or was reported with {@link #onDevice}. An op handed out by
 * {@link #launch(int)} whose stage the request has not seen may be running on a stream it cannot
 * observe, so until the caller reports it ({@link #onDevice} with its stage, {@link #completed}
 * when it ran, or {@link #settled} when it never reached the device or its stage failed) an abort
 * keeps the arena too. Meanwhile the request is aborted (no further op, no finish) but its arena
 * stays allocated and counted live, so its model also refuses to close and free the weights those
 * kernels read. A caller that never reports a hand-out therefore holds the arena (visibly:
 * {@link #isReleasePending}, the model's live requests), which is recoverable; freeing it under a
 * running kernel would not be.
 *
 * <p>Thread-safe: completions may be reported from device callback threads.
 */
public final class ModelRun {
  private enum State { RUNNING, FINISHING, FINISHED, ABORTED }

  private final CompiledModel model;
  private final long id;
  private final DeviceBuffer arena;
  private final int opCount;
  private int launched; // ops whose launch has been handed out: completed or completed + 1
  private int completed;
  private State state = State.RUNNING;
  private boolean released; // the arena went back to the device
  /** The op last handed out by launch(int) may be on the device and no stage or outcome of it was reported. */
  private boolean handedOutUnreported;
  /** After an abort that found {@link #handedOutUnreported}: completes when the caller reports that op. */
  private CompletableFuture<Void> awaitingReport;
  /** Device stages that read or write the arena and had not settled when last looked at. */
  private final List<CompletableFuture<?>> onDevice = new ArrayList<>();

  ModelRun(CompiledModel model, long id, DeviceBuffer arena) {
    this.model = model;
    this.id = id;
    this.arena = arena;
    this.opCount = model.steps().size();
  }

  /** The model this request runs. */
  public CompiledModel model() {
    return model;
  }

  /** Sequence number of this request among its model's requests, for logs. */
  public long id() {
    return id;
  }

  /** Number of ops, {@code model().steps().size()}. */
  public int opCount() {
    return opCount;
  }

  /** Ops reported complete; the next op to launch has this index. */
  public synchronized int opsCompleted() {
    return completed;
  }

  /** Whether every op has been reported complete, so {@link #finish} may be called. */
  public synchronized boolean allOpsCompleted() {
    return completed == opCount;
  }

  /**
   * The launch of op {@code opIndex}: {@code model().steps().get(opIndex)}'s kernel with slices of
   * this request's arena and the model's weights. Asking again for the same op returns an equal
   * launch (re-running an op is harmless: a step's output never overlaps its inputs).
   *
   * @throws IllegalArgumentException if {@code opIndex} is outside {@code [0, opCount())}
   * @throws IllegalStateException if an earlier op has not been reported complete, or the request
   *     is finished or aborted
   */
  public synchronized KernelLaunch launch(int opIndex) {
    checkIndex(opIndex, "launch");
    checkRunning("launch(" + opIndex + ")");
    if (opIndex != completed) {
      throw new IllegalStateException(this + ": launch(" + opIndex + ") refused: ops run in order and "
          + (opIndex < completed ? "op " + opIndex + " has already completed"
              : "op " + completed + " has not completed")
          + " (" + completed + " of " + opCount + " ops completed)");
    }
    Step step = model.steps().get(opIndex);
    List<BufferSlice> args = new ArrayList<>(step.args().size());
    for (String a : step.args()) {
      args.add(slice(a));
    }
    launched = opIndex + 1;
    handedOutUnreported = true;
    return new KernelLaunch(step.kernel(), args);
  }

  /**
   * Enqueues op {@code opIndex} ({@link #launch(int)}'s launch) on {@code stream} and tracks its
   * stage, so that an {@link #abort} before it settles frees the arena only after. The caller still
   * reports success with {@link #completed(int)}.
   */
  public CompletionStage<Void> launch(int opIndex, DeviceStream stream) {
    KernelLaunch l = launch(opIndex);
    CompletionStage<Void> stage;
    try {
      stage = model.device().launch(l, stream);
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    onDevice(stage);
    return stage;
  }

  /**
   * Reports device work that reads or writes this request's arena and may not have finished (a
   * launch of {@link #launch(int)} the caller enqueued itself, alone or in a grouped launch): an
   * {@link #abort} frees the arena only after {@code stage} settles. It accounts for the op last
   * handed out; reported after an abort that waits for that op, the free waits for {@code stage}.
   */
  public void onDevice(CompletionStage<?> stage) {
    CompletableFuture<?> f = stage.toCompletableFuture();
    CompletableFuture<Void> report;
    synchronized (this) {
      handedOutUnreported = false;
      report = awaitingReport;
      awaitingReport = null;
      if (report == null) {
        onDevice.removeIf(CompletableFuture::isDone);
        if (!f.isDone()) {
          onDevice.add(f);
        }
      }
    }
    if (report != null) {
      f.whenComplete((v, e) -> report.complete(null));
    }
  }

  /**
   * Reports that op {@code opIndex}, handed out by {@link #launch(int)}, is not running on the
   * device: it was never enqueued, or its stage failed. The op may be handed out again. After an
   * abort waiting for that op, the arena is freed (once no other known stage is pending).
   *
   * @throws IllegalStateException unless {@code opIndex} is the op last handed out and not yet
   *     reported complete
   */
  public void settled(int opIndex) {
    CompletableFuture<Void> report;
    synchronized (this) {
      checkIndex(opIndex, "settled");
      if (opIndex != completed || launched != completed + 1) {
        throw new IllegalStateException(this + ": settled(" + opIndex + ") names no op in flight: "
            + completed + " of " + opCount + " ops completed"
            + (launched == completed ? ", op " + completed + " not launched yet" : ", op " + completed + " in flight"));
      }
      handedOutUnreported = false;
      report = awaitingReport;
      awaitingReport = null;
      if (state == State.RUNNING) {
        launched = completed;
      }
    }
    if (report != null) {
      report.complete(null);
    }
  }

  /**
   * Reports that the launch of op {@code opIndex} completed successfully on the device, which
   * allows {@code launch(opIndex + 1)}.
   *
   * After an abort that waits for this op (handed out, its stage never reported), the report is
   * taken as its end and lets the free proceed.
   *
   * @throws IllegalStateException unless {@code opIndex} is the op last handed out by
   *     {@link #launch(int)} and not yet reported, or if the request is finished or aborted (and
   *     not waiting for this report)
   */
  public void completed(int opIndex) {
    CompletableFuture<Void> report;
    synchronized (this) {
      report = awaitingReport;
      if (report != null && opIndex == completed && launched == completed + 1) {
        awaitingReport = null;
        handedOutUnreported = false;
      } else {
        report = null;
        markCompleted(opIndex);
      }
    }
    if (report != null) {
      report.complete(null);
    }
  }

  private synchronized void markCompleted(int opIndex) {
    checkIndex(opIndex, "completed");
    checkRunning("completed(" + opIndex + ")");
    if (opIndex != completed || launched != completed + 1) {
      throw new IllegalStateException(this + ": completed(" + opIndex + ") out of order: "
          + completed + " of " + opCount + " ops completed"
          + (launched == completed ? ", op " + completed + " not launched yet" : ", op " + completed + " in flight"));
    }
    completed++;
    handedOutUnreported = false;
  }

  /** Downloads the outputs on the device's default stream; see {@link #finish(DeviceStream)}. */
  public CompletionStage<Map<String, Tensor>> finish() {
    return finish(model.device().defaultStream());
  }

  /**
   * Downloads the outputs on {@code stream}, then frees the arena (also when a download fails).
   * The stage completes after the arena is freed.
   *
   * @throws IllegalStateException if not every op has been reported complete (the message names
   *     how many have: partial results are never downloaded), or the request was already finished
   *     or aborted
   */
  public CompletionStage<Map<String, Tensor>> finish(DeviceStream stream) {
    synchronized (this) {
      checkRunning("finish()");
      if (completed != opCount) {
        throw new IllegalStateException(this + ": finish() refused after " + completed + " of " + opCount
            + " ops completed; run the remaining ops or abort()");
      }
      state = State.FINISHING;
    }
    Map<String, CompletableFuture<float[]>> downloads = new LinkedHashMap<>();
    CompletableFuture<Void> all;
    try {
      for (ValueInfo out : model.graph().outputs()) {
        downloads.put(out.name(), model.device().download(slice(out.name()), stream).toCompletableFuture());
      }
      all = CompletableFuture.allOf(downloads.values().toArray(CompletableFuture[]::new));
    } catch (RuntimeException e) {
      all = CompletableFuture.failedFuture(e);
    }
    return all.handle((v, e) -> {
      release(State.FINISHED);
      if (e != null) {
        throw e instanceof CompletionException ce ? ce : new CompletionException(e);
      }
      Map<String, Tensor> result = new LinkedHashMap<>();
      for (ValueInfo out : model.graph().outputs()) {
        result.put(out.name(), CompiledModel.tensor(out, downloads.get(out.name()).join()));
      }
      return result;
    });
  }

  /**
   * Frees the arena without downloading, for a failed or cancelled request: at once when none of
   * its known device stages is pending and no op handed out by {@link #launch(int)} is unreported,
   * else when the last of them settles or is reported (see the class comment). The request is aborted at once either way. Idempotent: a second abort does nothing.
   *
   * @throws IllegalStateException if the request was finished (or is finishing)
   */
  public void abort() {
    List<CompletableFuture<?>> pending;
    synchronized (this) {
      if (state == State.ABORTED) {
        return;
      }
      if (state != State.RUNNING) {
        throw new IllegalStateException(this + ": abort() after finish(); the arena is freed by finish()");
      }
      state = State.ABORTED;
      onDevice.removeIf(CompletableFuture::isDone);
      List<CompletableFuture<?>> waits = new ArrayList<>(onDevice);
      onDevice.clear();
      if (handedOutUnreported) {
        awaitingReport = new CompletableFuture<>();
        waits.add(awaitingReport);
      }
      pending = waits;
    }
    if (pending.isEmpty()) {
      release(State.ABORTED);
    } else {
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
          .whenComplete((v, e) -> release(State.ABORTED));
    }
  }

  /** Whether an abort is waiting for device work before it frees the arena. */
  public synchronized boolean isReleasePending() {
    return state == State.ABORTED && !released;
  }

  /** Whether the request was finished or aborted. */
  public synchronized boolean isDone() {
    return state != State.RUNNING;
  }

  private void release(State terminal) {
    synchronized (this) {
      state = terminal;
      released = true;
    }
    model.released(arena);
  }

  /** Where {@code value} lives for this request. */
  BufferSlice slice(String value) {
    return model.slice(arena, value);
  }

  private void checkIndex(int opIndex, String what) {
    if (opIndex < 0 || opIndex >= opCount) {
      throw new IllegalArgumentException(this + ": " + what + "(" + opIndex + "): op index out of range [0, " + opCount + ")");
    }
  }

  private void checkRunning(String what) {
    if (state == State.ABORTED) {
      throw new IllegalStateException(this + ": " + what + " after abort()");
    }
    if (state != State.RUNNING) {
      throw new IllegalStateException(this + ": " + what + " after finish()");
    }
  }

  @Override
  public String toString() {
    return "request " + id + " of model '" + model.graph().name() + "'";
  }
}
