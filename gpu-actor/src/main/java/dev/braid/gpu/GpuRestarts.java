package dev.braid.gpu;

import dev.braid.device.Device;
import dev.braid.gpu.engine.LoadResult;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.function.Function;

/**
 * One incarnation of a {@link GpuActor}'s part in its supervision: answering everything it holds
 * when an exception escapes a handler (so that the supervisor restarts a clean actor), and, in a
 * restarted incarnation, reloading the models the actor served one at a time (so that a failure
 * names its model) while requests wait. What survives the restart is in {@link Remembered}.
 */
final class GpuRestarts {
  /** A model the actor served before its restart was loaded again, or failed to. */
  record Reloaded(int incarnation, String name, LoadResult result) {}

  private final GpuActor actor;
  private final ActorContext<Object> ctx;
  private final Remembered remembered;
  /** The models still to reload after a restart. */
  private final ArrayDeque<String> toReload = new ArrayDeque<>();

  /** Starts {@code actor}'s reloads if it is a restarted incarnation. */
  GpuRestarts(GpuActor actor, ActorContext<Object> ctx) {
    this.actor = actor;
    this.ctx = ctx;
    this.remembered = actor.remembered;
    if (remembered.restarts() == 0) {
      return;
    }
    ctx.getLog().warn("GPU actor {} on {} restarted (restart {}) after: {}; reloading {} model(s){}", actor.gpu,
        actor.device.info().name(), remembered.restarts(), remembered.lastFailure,
        remembered.draining ? 0 : remembered.models.size(),
        remembered.draining ? " (it was draining: it stays draining)" : "");
    if (remembered.draining) {
      remembered.models.clear();
      actor.engine.drain(actor::onDrained);
    } else {
      toReload.addAll(remembered.models.keySet());
    }
    if (!reloadNext()) {
      // Nothing to reload: what an incarnation that failed during its reloads held goes on now.
      remembered.held.forEach(ctx.getSelf()::tell);
      remembered.held.clear();
    }
  }

  /** Opens the device again at a restart, logging a failure (the supervisor retries after its back-off). */
  static Device reopen(ActorContext<Object> ctx, String gpu, Supplier<Device> deviceFactory, Remembered remembered) {
    try {
      return deviceFactory.get();
    } catch (RuntimeException e) {
      remembered.lastFailure = "opening the device failed: " + e;
      ctx.getLog().error("GPU actor {} could not open its device again (restart {}); retrying after the back-off",
          gpu, remembered.starts, e);
      throw e;
    }
  }

  /** Starts the next reload after a restart; false when none is left. */
  private boolean reloadNext() {
    String name = toReload.poll();
    remembered.reloadingModel = name;
    if (name == null) {
      return false;
    }
    ActorRef<Object> self = ctx.getSelf();
    int mine = actor.incarnation;
    actor.engine.load(name, remembered.models.get(name), result -> self.tell(new Reloaded(mine, name, result)));
    return true;
  }

  /**
   * {@code handler}, with an exception (or a non-fatal error, such as an assertion in a device
   * binding) that escapes it answered before it reaches the supervisor: the engine is given up
   * ({@link dev.braid.gpu.engine.GpuEngine#abandon}), so every request, load, unload and drain it
   * held is answered naming the exception, and the failure is remembered for the next incarnation.
   */
  <M> Function<M, Behavior<Object>> guarded(Function<M, Behavior<Object>> handler) {
    return m -> {
      try {
        return handler.apply(m);
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError || e instanceof LinkageError) {
          throw e; // fatal to the JVM, not the actor's to mend (Pekko does not restart on these)
        }
        String cause = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        remembered.lastFailure = cause;
        String culprit = remembered.reloadingModel;
        if (culprit != null) {
          remembered.models.remove(culprit);
          remembered.dropped.put(culprit, "model '" + culprit + "' is not served: the GPU actor failed while"
              + " reloading it after a restart (" + cause + "); load it again once that is mended");
          remembered.reloadingModel = null;
          ctx.getLog().error("GPU actor {}: model '{}' is dropped: the actor failed while reloading it", actor.gpu,
              culprit);
        }
        String why = "the GPU actor failed unexpectedly and restarts: " + cause;
        int answered = 0;
        try {
          answered = actor.engine.abandon(why);
        } catch (RuntimeException again) {
          e.addSuppressed(again);
        }
        answered += actor.inFlight.failAll(FailureReason.INTERNAL, "gpu " + actor.gpu + ": " + why);
        ctx.getLog().error("GPU actor {} failed handling {} and restarts (restart {}); {} request(s) answered"
            + " INTERNAL; {} model(s) to reload", actor.gpu, m.getClass().getSimpleName(),
            remembered.restarts() + 1, answered, remembered.models.size(), e);
        throw e;
      }
    };
  }

  /** Keeps a request or a model read until the reloads are answered. */
  Behavior<Object> hold(Object m) {
    remembered.held.add(m);
    return Behaviors.same();
  }

  Behavior<Object> onReloaded(Reloaded m) {
    if (m.incarnation() != actor.incarnation) {
      return Behaviors.same(); // answered by the engine an earlier incarnation gave up
    }
    if (m.result() instanceof LoadResult.LoadError err && !remembered.draining) {
      remembered.models.remove(m.name());
      remembered.dropped.put(m.name(), "model '" + m.name() + "' is not served: it did not reload after the GPU"
          + " actor restarted: " + err.message());
      ctx.getLog().error("GPU actor {}: model '{}' did not reload after the restart: {}", actor.gpu, m.name(),
          err.message());
    }
    if (reloadNext()) {
      return Behaviors.same();
    }
    ctx.getLog().info("GPU actor {} serving again: {} model(s) reloaded, {} held request(s) and read(s) resumed",
        actor.gpu, remembered.models.size(), remembered.held.size());
    List<Object> resumed = List.copyOf(remembered.held);
    remembered.held.clear();
    for (Object c : resumed) {
      if (c instanceof InferenceWire.Infer i) {
        if (remembered.draining) {
          actor.onInferWhileDraining(i);
        } else {
          actor.onInfer(i);
        }
      } else {
        actor.onModelRead((GpuActor.ModelRead) c);
      }
    }
    return actor.afterEngine(remembered.draining ? actor.draining() : actor.serving());
  }

  /** The engine was given up by {@link #guarded}; its device is closed before the next incarnation opens one. */
  Behavior<Object> onPreRestart(PreRestart signal) {
    try {
      actor.device.close();
    } catch (RuntimeException e) {
      ctx.getLog().warn("GPU actor {}: closing the device before the restart failed: {}", actor.gpu, e.toString());
    }
    return Behaviors.same();
  }
}
