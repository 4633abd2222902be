package dev.braid.gpu;

import dev.braid.device.Device;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.time.NanoClock;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * How one GPU's actor is started: the state that survives its restarts ({@link Remembered}) is made
 * once, outside the supervised behaviour; the device is opened at the first start (or the GPU stays
 * {@link Unopened}, reporting why) and reopened at each restart ({@link GpuRestarts#reopen}); each
 * incarnation is a fresh {@link GpuActor} under the strategy of {@link GpuSupervision}. Kept apart
 * from the actor so that the actor reads as its phases and handlers only.
 */
final class SupervisedGpu {
  private SupervisedGpu() {}

  /** The supervised GPU {@code ordinal} of {@code nodeAddress}, as {@code GpuActor.create} documents it. */
  static Behavior<GpuWire.Command> create(String nodeAddress, int ordinal, Supplier<Device> deviceFactory,
      GpuSettings settings, Function<String, RepositoryModel> models, NanoClock clock) {
    Objects.requireNonNull(nodeAddress, "nodeAddress");
    Objects.requireNonNull(deviceFactory, "deviceFactory");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(clock, "clock");
    if (ordinal < 0) {
      throw new IllegalArgumentException("ordinal must be >= 0, got " + ordinal);
    }
    return Behaviors.setup(outer -> {
      String gpu = GpuWire.gpuId(nodeAddress, ordinal);
      GpuSupervision supervision = GpuSupervision.from(outer.getSystem().settings().config());
      // Outside the supervised behaviour: survives restarts.
      Remembered remembered = new Remembered(new InFlight(clock.nanoTime()), new ModelLoads(gpu, models::apply,
          outer.getSystem().dispatchers().lookup(DispatcherSelector.blocking())));
      Device first;
      try {
        first = deviceFactory.get();
      } catch (RuntimeException e) {
        // At the first start the GPU stays, unhealthy, so that the coordinator sees why; at a
        // restart the supervisor tries again after its back-off.
        outer.getLog().error("GPU {} could not open its device", gpu, e);
        return Unopened.create(nodeAddress, ordinal, settings.policy(), "the device did not open: " + e);
      }
      Behavior<Object> incarnation = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new GpuActor(ctx,
          timers, nodeAddress, ordinal, remembered.starts == 0 ? first
              : GpuRestarts.reopen(ctx, gpu, deviceFactory, remembered), settings, clock, remembered)));
      // The actor logs its own failures (one line each, with the restart count), so Pekko's is off.
      return Behaviors.supervise(incarnation).onFailure(Throwable.class,
          supervision.strategy().withLoggingEnabled(false));
    }).narrow();
  }
}
