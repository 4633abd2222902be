package dev.braid.bench.table1;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.sim.SimulatedDevice;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * How a benchmark reads a device's time and waits for its work: virtual time on a
 * {@link SimulatedDevice} (which only advances while the benchmark steps it), wall time on any
 * other device.
 */
sealed interface DeviceTiming permits DeviceTiming.Virtual, DeviceTiming.Wall {
  /** The clock completion times are read from. */
  NanoClock clock();

  /** Returns once every stage has completed; rethrows the first failure's cause. */
  void awaitAll(List<CompletableFuture<Void>> stages) throws Exception;

  /** Whether the same work always takes the same time (so one run suffices). */
  boolean deterministic();

  /** What the JSON's {@code clock} field says. */
  String name();

  static DeviceTiming of(Device device) {
    return device instanceof SimulatedDevice sim ? new Virtual(sim) : new Wall();
  }

  /** The simulated device's virtual clock; waiting means stepping the simulation until it is idle. */
  record Virtual(SimulatedDevice device) implements DeviceTiming {
    @Override
    public NanoClock clock() {
      return device.clock();
    }

    @Override
    public void awaitAll(List<CompletableFuture<Void>> stages) throws Exception {
      device.runUntilIdle();
      long open = stages.stream().filter(f -> !f.isDone()).count();
      if (open > 0) {
        throw new IllegalStateException("the simulated device went idle at " + device.clock().nanoTime()
            + " ns with " + open + " of " + stages.size() + " launches never completed");
      }
      Wall.rethrowFirstFailure(stages);
    }

    @Override
    public boolean deterministic() {
      return true;
    }

    @Override
    public String name() {
      return "virtual";
    }
  }

  /** The JVM's monotonic clock; waiting blocks on the stages. */
  record Wall() implements DeviceTiming {
    @Override
    public NanoClock clock() {
      return NanoClock.system();
    }

    @Override
    public void awaitAll(List<CompletableFuture<Void>> stages) throws Exception {
      try {
        CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new)).get();
      } catch (ExecutionException e) {
        rethrowFirstFailure(stages);
        throw e;
      }
    }

    @Override
    public boolean deterministic() {
      return false;
    }

    @Override
    public String name() {
      return "wall";
    }

    static void rethrowFirstFailure(List<CompletableFuture<Void>> stages) throws Exception {
      for (CompletableFuture<Void> f : stages) {
        if (f.isCompletedExceptionally()) {
          try {
            f.get();
          } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
          }
        }
      }
    }
  }
}
