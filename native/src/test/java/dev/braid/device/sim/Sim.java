package dev.braid.device.sim;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Kernel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Test helpers: launches with fresh buffers, and completion times in virtual nanoseconds. */
final class Sim {
  private Sim() {}

  /** {@code kernel} with a fresh buffer of the required size per argument. */
  static KernelLaunch launchOf(Device d, Kernel kernel) {
    List<BufferSlice> args = new ArrayList<>();
    for (int i = 0; i < kernel.argNames().size(); i++) {
      args.add(d.allocate(Math.max(4, kernel.argBytes(i))).whole());
    }
    return new KernelLaunch(kernel, args);
  }

  static GroupedLaunch grouped(Device d, Kernel kernel, int problems) {
    List<KernelLaunch> ps = new ArrayList<>();
    for (int i = 0; i < problems; i++) {
      ps.add(launchOf(d, kernel));
    }
    return new GroupedLaunch(ps);
  }

  /** Records the virtual time at which a stage completes, in {@code into[0]}. */
  static CompletableFuture<Long> doneAt(SimulatedDevice d, java.util.concurrent.CompletionStage<?> stage) {
    return stage.thenApply(x -> d.clock().nanoTime()).toCompletableFuture();
  }

  /** Launches each of {@code kernels} on its own new stream at time 0; returns when the last completes. */
  static long makespanOnStreams(SimulatedDevice d, List<Kernel> kernels) {
    List<CompletableFuture<Long>> done = new ArrayList<>();
    for (Kernel k : kernels) {
      DeviceStream s = d.createStream(0);
      done.add(doneAt(d, d.launch(launchOf(d, k), s)));
    }
    d.runUntilIdle();
    return done.stream().mapToLong(CompletableFuture::join).max().orElseThrow();
  }

  static GpuProfile v100WithoutLaunchOverhead() {
    return GpuProfiles.V100.withTiming(GpuProfiles.V100.timing().withoutLaunchCosts());
  }
}
