package dev.braid.gpu.engine;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.KernelLaunch;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelRun;
import dev.braid.device.exec.Step;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.gpu.cost.CostModel;
import dev.braid.model.Tensor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * Teaches the {@link CostModel} a model's ops before it serves: from the simulator's timing model
 * on a {@link SimulatedDevice} (at once), or by timing every op of batch 1 on the device, run
 * after run (asynchronously, one op on the device at a time on its default stream).
 *
 * <p>Invariants: a profiling run holds one {@link ModelRun} on the device, aborted before the
 * next run starts or the profile ends; a profile ends exactly once, in {@code ready} or in {@code
 * failed}; a slot that starts unloading mid-profile ends it in {@code failed}. The caller counts the
 * profile in the slot's {@code live} and settles it in those callbacks.
 */
final class Profiler {
  private final Device device;
  private final NanoClock clock;
  private final EngineLoop loop;
  private final CostModel cost;

  Profiler(Device device, NanoClock clock, EngineLoop loop, CostModel cost) {
    this.device = device;
    this.clock = clock;
    this.loop = loop;
    this.cost = cost;
  }

  /** Records the simulator's estimate of every op of {@code slot} compiled at {@code rows}. */
  void fromTimingModel(SimulatedDevice sim, ModelSlot slot, int rows) {
    List<Step> steps = slot.compiled(rows).steps();
    for (int i = 0; i < steps.size(); i++) {
      // the estimate reads only the kernel's shape, never its buffers
      cost.record(slot.name, slot.plan(rows).batchSize(), i, sim.estimateNanos(new KernelLaunch(steps.get(i).kernel(), List.of())));
    }
  }

  /**
   * Runs every op of batch 1 once untimed (the first run of a model pays for cold caches, lazy
   * allocation and, on the CPU device, code not yet compiled: timed, it read a 4-float model as
   * 13.6 ms a request where it takes microseconds, and admission then refused requests as
   * overload), then times every op once per run, {@code runs} runs, then calls {@code ready}; on an
   * error calls {@code failed} with the request to abort (null when none started) and the cause.
   */
  void profile(ModelSlot slot, int runs, Runnable ready, BiConsumer<ModelRun, Throwable> failed) {
    if (runs <= 0) {
      ready.run();
      return;
    }
    run(slot, runs + 1, runs + 1, ready, failed);
  }

  private void run(ModelSlot slot, int runsLeft, int totalRuns, Runnable ready,
      BiConsumer<ModelRun, Throwable> failed) {
    CompiledModel model = slot.compiled(1);
    loop.deliver(model.start(InputRows.zeros(model.graph())), (request, error) -> {
      if (error != null) {
        failed.accept(null, Failures.unwrap(error));
      } else {
        profileOp(slot, request, 0, runsLeft, totalRuns, ready, failed);
      }
    });
  }

  private void profileOp(ModelSlot slot, ModelRun request, int op, int runsLeft, int totalRuns,
      Runnable ready, BiConsumer<ModelRun, Throwable> failed) {
    if (slot.unloading) {
      failed.accept(request, new IllegalStateException("unloaded while loading"));
      return;
    }
    if (op == request.opCount()) {
      if (runsLeft > 1) {
        request.abort();
        run(slot, runsLeft - 1, totalRuns, ready, failed);
        return;
      }
      // The last run downloads its outputs as a request's would: a model whose answers cannot be
      // fetched is refused at load with the reason, rather than failing at every request.
      CompletionStage<Map<String, Tensor>> outputs;
      try {
        outputs = request.finish();
      } catch (RuntimeException e) {
        failed.accept(request, e);
        return;
      }
      loop.deliver(outputs, (out, error) -> {
        if (error != null) {
          failed.accept(null, Failures.unwrap(error));
        } else {
          ready.run();
        }
      });
      return;
    }
    long start = clock.nanoTime();
    CompletionStage<Void> stage;
    try {
      stage = device.launch(request.launch(op), device.defaultStream());
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    request.onDevice(stage); // an abort before the stage settles frees the arena after it
    loop.deliver(stage, (v, error) -> {
      if (error != null) {
        failed.accept(request, Failures.unwrap(error));
        return;
      }
      if (runsLeft < totalRuns) { // not the warm-up run
        cost.record(slot.name, 1, op, clock.nanoTime() - start);
      }
      request.completed(op);
      profileOp(slot, request, op + 1, runsLeft, totalRuns, ready, failed);
    });
  }
}
