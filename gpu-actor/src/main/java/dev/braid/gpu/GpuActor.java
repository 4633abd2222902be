package dev.braid.gpu;

import dev.braid.config.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.DeviceInfo;
import dev.braid.gpu.engine.EngineStats;
import dev.braid.gpu.engine.GpuEngine;
import dev.braid.gpu.engine.InferError;
import dev.braid.gpu.engine.InferRequest;
import dev.braid.gpu.engine.InferResult;
import dev.braid.gpu.engine.LoadResult;
import dev.braid.gpu.engine.Mailbox;
import dev.braid.model.Tensor;
import dev.braid.model.repo.RepositoryModel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.function.Function;

/**
 * The actor that owns one device: its loaded models, and the {@link GpuEngine} that batches,
 * schedules and launches their kernels. A thin shell: it turns commands into engine calls,
 * device completions into private messages ({@code pipeToSelf}), and the batchers' deadlines into
 * a timer. No handler blocks on the device.
 *
 * <p>Phases: serving -> draining (after {@link Drain}: no new inference or load, in-flight work
 * finishes, then {@link Drained}; it stays draining) -> stopped (the engine answers what it still
 * holds {@link InferError#UNLOADED} and the device is closed). From serving or draining, once the
 * engine finds the device unhealthy (it lost its context after a failure): unhealthy (every {@link
 * Infer} and {@link LoadModel} is answered at once with {@link InferError#DEVICE_UNHEALTHY} and the
 * reason; stats, unloads and drains are still answered; one ERROR line names the device and why).
 *
 * <p>Supervision: a failure the engine can pin on a request or a model fails only that request
 * or model. An exception that escapes the engine nevertheless (a fault of Braid) leaves its state in
 * doubt: the failing incarnation answers every request it held {@link InferError#INTERNAL} (and
 * every load in progress, pending unload and drain) naming the exception, logs one ERROR line with
 * the restart count, and closes its device; after a back-off ({@link GpuSupervision}) a fresh
 * incarnation opens the device again and reloads the models the actor served ({@link Remembered});
 * inference and loads arriving meanwhile wait until the reloads are answered, and device events of
 * the failed incarnation are ignored. {@link Stats#restarts()} counts the restarts.
 *
 * <p>Deadlines: {@link Infer} carries a latency budget, turned into an absolute deadline on this
 * actor's clock when the command is received, so that senders on other nodes need no shared
 * clock.
 */
public final class GpuActor extends AbstractBehavior<GpuActor.Command> {
  /** What the actor understands. */
  public sealed interface Command {}

  /** Loads {@code model} under {@code name}; answered {@link ModelLoaded} or {@link LoadFailed}. */
  public record LoadModel(String name, RepositoryModel model, ActorRef<LoadReply> replyTo) implements Command {}

  /** The answers to {@link LoadModel}. */
  public sealed interface LoadReply {}

  /**
   * The model serves; its weights take {@code weightsBytes} of device memory.
   *
   * @param maxBatchSize rows per batch; 1 for a model that does not batch
   * @param requestNanos predicted device time of one batch-1 request when it loaded (the cost model)
   */
  public record ModelLoaded(String name, long version, int maxBatchSize, long weightsBytes, long requestNanos)
      implements LoadReply {}

  /** The model did not load; {@code reason} is the model's own error message. */
  public record LoadFailed(String name, String reason) implements LoadReply {}

  /**
   * Unloads a model: its waiting requests fail {@link InferError#UNLOADED}; answered once its
   * weights are freed.
   */
  public record UnloadModel(String name, ActorRef<ModelUnloaded> replyTo) implements Command {}

  /** The model is gone; {@code wasLoaded} is false when there was no such model. */
  public record ModelUnloaded(String name, boolean wasLoaded, int requestsFailed) {}

  /**
   * Runs one inference.
   *
   * @param inputs one tensor per model input, with a leading batch dimension of n >= 1 rows for a
   *     model that batches
   * @param budget the latency budget from receipt; the request fails {@link InferError#TOO_LATE}
   *     once it is spent before the request could complete
   * @param priority Triton's priority level: 1 is the highest, 0 the model's default
   * @param tag the caller's number for this request, echoed on the answer: one message adapter
   *     then serves all of a caller's requests in flight (instead of an ask, a temporary actor and
   *     a timer, each)
   */
  public record Infer(String model, Map<String, Tensor> inputs, Duration budget, int priority, long tag,
      ActorRef<InferReply> replyTo) implements Command {
    public Infer {
      Objects.requireNonNull(budget, "budget");
    }

    /** A request whose answer needs no tag (its tag is 0). */
    public Infer(String model, Map<String, Tensor> inputs, Duration budget, int priority,
        ActorRef<InferReply> replyTo) {
      this(model, inputs, budget, priority, 0, replyTo);
    }
  }

  /** The answers to {@link Infer}. */
  public sealed interface InferReply {
    /** The {@link Infer#tag} of the request answered. */
    long tag();
  }

  /** The request's outputs, its rows only. */
  public record InferCompleted(String model, Map<String, Tensor> outputs, long tag) implements InferReply {}

  /** The request failed; {@code message} names the model and what went wrong. */
  public record InferFailed(InferError reason, String message, long tag) implements InferReply {}

  /** Switches the scheduling policy; answered {@link PolicySet} or {@link PolicyRejected}. */
  public record SetPolicy(String name, ActorRef<PolicyReply> replyTo) implements Command {}

  /** The answers to {@link SetPolicy}. */
  public sealed interface PolicyReply {}

  public record PolicySet(String name) implements PolicyReply {}

  /** Unknown policy; {@code reason} lists the valid names. */
  public record PolicyRejected(String name, String reason) implements PolicyReply {}

  /** Asks for the counters; answered {@link Stats}. */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * @param draining whether the actor takes no new work because of a {@link Drain}
   * @param healthy false once the device went unhealthy; {@code engine} says why
   * @param device what the device is, and its memory
   * @param requestNanos per model serving, in load order, its predicted batch-1 device time by the
   *     cost model now
   * @param predictedQueueNanos device time the work held still needs, by the cost model ({@link
   *     GpuEngine#predictQueueNanos()})
   * @param restarts how often the actor was restarted after an unexpected exception ({@code
   *     engine} counts since the last restart)
   */
  public record Stats(EngineStats engine, boolean draining, boolean healthy, DeviceInfo device,
      Map<String, Long> requestNanos, long predictedQueueNanos, int restarts) {
    public Stats {
      requestNanos = Collections.unmodifiableMap(new LinkedHashMap<>(requestNanos));
    }
  }

  /** Stops taking new work and answers {@link Drained} once in-flight work has finished. */
  public record Drain(ActorRef<Drained> replyTo) implements Command {}

  public enum Drained { INSTANCE }

  /**
   * A device stage completed: continue the engine on the actor's thread, unless the stage was
   * started by an earlier incarnation (whose engine was given up).
   */
  private record DeviceEventArrived(int incarnation, Runnable continuation) implements Command {}

  /** A model the actor served before its restart was loaded again, or failed to. */
  private record Reloaded(int incarnation, String name, LoadResult result) implements Command {}

  /** The batchers' next deadline came. */
  private enum WakeUp implements Command { INSTANCE }

  private final GpuEngine engine;
  private final Device device;
  private final Remembered remembered;
  /** This incarnation's number (1 for the first start): device events carry it. */
  private final int incarnation;
  /** The models still to reload after a restart, one at a time (so that a failure names its model). */
  private final ArrayDeque<String> toReload = new ArrayDeque<>();
  private boolean unhealthy;

  /**
   * @param deviceFactory opens the device when the actor starts; the actor closes it when it stops
   * @param clock the actor's time, on which deadlines are taken
   */
  public static Behavior<Command> create(Supplier<Device> deviceFactory, GpuSettings settings, NanoClock clock) {
    return Behaviors.setup(outer -> {
      GpuSupervision supervision = GpuSupervision.from(outer.getSystem().settings().config());
      Remembered remembered = new Remembered(); // outside the supervised behaviour: survives restarts
      // Opened outside the supervisor: a device that does not open at the first start stops the
      // actor (its parent sees why); at a restart the supervisor tries again after its back-off.
      Device first = deviceFactory.get();
      Behavior<Command> incarnation = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new GpuActor(ctx,
          timers, remembered.starts == 0 ? first : reopen(ctx, deviceFactory, remembered), settings, clock,
          remembered)));
      // The actor logs its own failures (one line each, with the restart count), so Pekko's is off.
      return Behaviors.supervise(incarnation).onFailure(Throwable.class,
          supervision.strategy().withLoggingEnabled(false));
    });
  }

  /** Opens the device again at a restart, logging a failure (the supervisor retries after its back-off). */
  private static Device reopen(ActorContext<Command> ctx, Supplier<Device> deviceFactory, Remembered remembered) {
    try {
      return deviceFactory.get();
    } catch (RuntimeException e) {
      remembered.lastFailure = "opening the device failed: " + e;
      ctx.getLog().error("GPU actor could not open its device again (restart {}); retrying after the back-off",
          remembered.starts, e);
      throw e;
    }
  }

  /** On the system clock. */
  public static Behavior<Command> create(Supplier<Device> deviceFactory, GpuSettings settings) {
    return create(deviceFactory, settings, NanoClock.system());
  }

  private GpuActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, Device device, GpuSettings settings,
      NanoClock clock, Remembered remembered) {
    super(ctx);
    this.device = device;
    this.remembered = remembered;
    this.incarnation = ++remembered.starts;
    int self = incarnation;
    Mailbox mailbox = new Mailbox() {
      @Override
      public <T> void deliver(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> action) {
        ctx.pipeToSelf(stage, (value, error) -> new DeviceEventArrived(self, () -> action.accept(value, error)));
      }
    };
    this.engine = new GpuEngine(device, settings, clock, mailbox,
        at -> timers.startSingleTimer(WakeUp.INSTANCE, Duration.ofNanos(Math.max(0, at - clock.nanoTime()))));
    engine.listen(EngineListeners.get(ctx.getSystem()).of(device)); // the node's metrics, if it keeps any
    if (remembered.restarts() == 0) {
      ctx.getLog().info("GPU actor on {} with policy {}", device.info().name(), settings.policy());
      return;
    }
    ctx.getLog().warn("GPU actor on {} restarted (restart {}) after: {}; reloading {} model(s){}", device.info().name(),
        remembered.restarts(), remembered.lastFailure, remembered.draining ? 0 : remembered.models.size(),
        remembered.draining ? " (it was draining: it stays draining)" : "");
    if (remembered.draining) {
      remembered.models.clear();
      engine.drain(() -> { });
    } else {
      toReload.addAll(remembered.models.keySet());
    }
    if (!reloadNext()) {
      // Nothing to reload: what an incarnation that failed during its reloads held goes on now.
      remembered.held.forEach(ctx.getSelf()::tell);
      remembered.held.clear();
    }
  }

  /** Starts the next reload after a restart; false when none is left. */
  private boolean reloadNext() {
    String name = toReload.poll();
    remembered.reloadingModel = name;
    if (name == null) {
      return false;
    }
    ActorRef<Command> self = getContext().getSelf();
    int mine = incarnation;
    engine.load(name, remembered.models.get(name), result -> self.tell(new Reloaded(mine, name, result)));
    return true;
  }

  @Override
  public Receive<Command> createReceive() {
    return remembered.draining ? draining() : remembered.reloadingModel != null ? restarting() : serving();
  }

  /**
   * After a restart, while the models it served reload: inference and loads wait (the models
   * would be unknown); the rest is served.
   */
  private Receive<Command> restarting() {
    return controlAndDevice(newReceiveBuilder()
        .onMessage(LoadModel.class, this::hold)
        .onMessage(Infer.class, this::hold));
  }

  private Receive<Command> serving() {
    return controlAndDevice(newReceiveBuilder()
        .onMessage(LoadModel.class, guarded(this::onLoadModel))
        .onMessage(Infer.class, guarded(this::onInfer)));
  }

  /** Like serving, but inference and loads are refused; completions and control go on. */
  private Receive<Command> draining() {
    return controlAndDevice(newReceiveBuilder()
        .onMessage(LoadModel.class, this::onLoadWhileDraining)
        .onMessage(Infer.class, this::onInferWhileDraining));
  }

  /**
   * The device lost its context: inference and loads are refused at once with the reason; control
   * messages are answered, and device events still arriving are handed to the engine, which has
   * already answered the requests they belonged to.
   */
  private Receive<Command> unhealthy() {
    return controlAndDevice(newReceiveBuilder()
        .onMessage(LoadModel.class, this::onLoadWhileUnhealthy)
        .onMessage(Infer.class, this::onInferWhileUnhealthy));
  }

  /** The handlers both phases share: control messages, device events and the stop signal. */
  private Receive<Command> controlAndDevice(ReceiveBuilder<Command> phase) {
    return phase
        .onMessage(UnloadModel.class, guarded(this::onUnloadModel))
        .onMessage(SetPolicy.class, guarded(this::onSetPolicy))
        .onMessage(GetStats.class, guarded(this::onGetStats))
        .onMessage(Drain.class, guarded(this::onDrain))
        .onMessage(DeviceEventArrived.class, guarded(this::onDeviceEventArrived))
        .onMessage(WakeUp.class, guarded(w -> onWakeUp()))
        .onMessage(Reloaded.class, guarded(this::onReloaded))
        .onSignal(PreRestart.class, this::onPreRestart)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  /**
   * {@code handler}, with an exception (or a non-fatal error, such as an assertion in a device
   * binding) that escapes it answered before it reaches the supervisor:
   * the engine is given up ({@link GpuEngine#abandon}), so every request, load, unload and drain it
   * held is answered naming the exception, and the failure is remembered for the next incarnation.
   */
  private <M> Function<M, Behavior<Command>> guarded(Function<M, Behavior<Command>> handler) {
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
          getContext().getLog().error("GPU actor on {}: model '{}' is dropped: the actor failed while reloading it",
              device.info().name(), culprit);
        }
        int answered = 0;
        try {
          answered = engine.abandon("the GPU actor failed unexpectedly and restarts: " + cause);
        } catch (RuntimeException again) {
          e.addSuppressed(again);
        }
        getContext().getLog().error("GPU actor on {} failed handling {} and restarts (restart {}); {} request(s)"
            + " answered INTERNAL; {} model(s) to reload", device.info().name(), m.getClass().getSimpleName(),
            remembered.restarts() + 1, answered, remembered.models.size(), e);
        throw e;
      }
    };
  }

  private Behavior<Command> hold(Command m) {
    remembered.held.add(m);
    return Behaviors.same();
  }

  private Behavior<Command> onReloaded(Reloaded m) {
    if (m.incarnation() != incarnation) {
      return Behaviors.same(); // answered by the engine an earlier incarnation gave up
    }
    if (m.result() instanceof LoadResult.LoadError err && !remembered.draining) {
      remembered.models.remove(m.name());
      remembered.dropped.put(m.name(), "model '" + m.name() + "' is not served: it did not reload after the GPU"
          + " actor restarted: " + err.message());
      getContext().getLog().error("GPU actor on {}: model '{}' did not reload after the restart: {}",
          device.info().name(), m.name(), err.message());
    }
    if (reloadNext()) {
      return Behaviors.same();
    }
    getContext().getLog().info("GPU actor on {} serving again: {} model(s) reloaded, {} held request(s) and load(s)"
        + " resumed", device.info().name(), remembered.models.size(), remembered.held.size());
    List<Command> resumed = List.copyOf(remembered.held);
    remembered.held.clear();
    for (Command c : resumed) {
      if (c instanceof Infer i) {
        onInfer(i);
      } else {
        onLoadModel((LoadModel) c);
      }
    }
    return afterEngine(remembered.draining ? draining() : serving());
  }

  private Behavior<Command> onLoadModel(LoadModel m) {
    engine.load(m.name(), m.model(), result -> {
      if (result instanceof LoadResult.Loaded l) {
        remembered.models.put(m.name(), m.model());
        remembered.dropped.remove(m.name());
        m.replyTo().tell(new ModelLoaded(l.model(), l.version(), l.maxBatchSize(), l.weightsBytes(),
            requestNanos(l.model())));
      } else {
        m.replyTo().tell(new LoadFailed(m.name(), ((LoadResult.LoadError) result).message()));
      }
    });
    return afterEngine();
  }

  private Behavior<Command> onLoadWhileDraining(LoadModel m) {
    m.replyTo().tell(new LoadFailed(m.name(), "cannot load model '" + m.name() + "': the GPU is draining"));
    return Behaviors.same();
  }

  private Behavior<Command> onLoadWhileUnhealthy(LoadModel m) {
    m.replyTo().tell(new LoadFailed(m.name(), "cannot load model '" + m.name() + "': " + engine.unhealthyReason()));
    return Behaviors.same();
  }

  private Behavior<Command> onUnloadModel(UnloadModel m) {
    remembered.models.remove(m.name());
    remembered.dropped.remove(m.name());
    engine.unload(m.name(), u -> m.replyTo().tell(new ModelUnloaded(u.model(), u.wasLoaded(), u.requestsFailed())));
    return afterEngine();
  }

  private Behavior<Command> onInfer(Infer m) {
    String dropped = remembered.dropped.get(m.model());
    if (dropped != null) {
      m.replyTo().tell(new InferFailed(InferError.INTERNAL, dropped, m.tag()));
      return Behaviors.same();
    }
    long now = engine.clock().nanoTime();
    long budget = m.budget().toNanos();
    long deadline = budget > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + budget;
    engine.submit(new InferRequest(m.model(), m.inputs(), deadline, m.priority(), result -> m.replyTo().tell(
        result instanceof InferResult.Completed c ? new InferCompleted(m.model(), c.outputs(), m.tag())
            : new InferFailed(((InferResult.Failed) result).reason(), ((InferResult.Failed) result).message(),
                m.tag()))));
    return afterEngine();
  }

  private Behavior<Command> onInferWhileUnhealthy(Infer m) {
    m.replyTo().tell(new InferFailed(InferError.DEVICE_UNHEALTHY, "model '" + m.model() + "': "
        + engine.unhealthyReason(), m.tag()));
    return Behaviors.same();
  }

  private Behavior<Command> onInferWhileDraining(Infer m) {
    m.replyTo().tell(new InferFailed(InferError.DRAINING, "model '" + m.model()
        + "': the GPU is draining and takes no new work", m.tag()));
    return Behaviors.same();
  }

  private Behavior<Command> onSetPolicy(SetPolicy m) {
    try {
      engine.setPolicy(m.name());
      m.replyTo().tell(new PolicySet(m.name()));
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(new PolicyRejected(m.name(), e.getMessage()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onGetStats(GetStats m) {
    Map<String, Long> requestNanos = new LinkedHashMap<>();
    for (String model : engine.models()) {
      requestNanos.put(model, requestNanos(model));
    }
    Stats stats = new Stats(engine.stats(), engine.isDraining(), engine.isHealthy(), device.info(), requestNanos,
        engine.predictQueueNanos(), remembered.restarts());
    engine.listener().stats(stats.engine(), stats.device(), stats.predictedQueueNanos(), stats.restarts());
    m.replyTo().tell(stats);
    return Behaviors.same();
  }

  /** The model's predicted batch-1 time; 0 if it no longer serves (unloaded before its answer). */
  private long requestNanos(String model) {
    return engine.models().contains(model) ? engine.predictRequestNanos(model) : 0;
  }

  private Behavior<Command> onDrain(Drain m) {
    remembered.draining = true;
    engine.drain(() -> m.replyTo().tell(Drained.INSTANCE));
    return unhealthy ? Behaviors.same() : afterEngine(draining());
  }

  private Behavior<Command> onDeviceEventArrived(DeviceEventArrived m) {
    if (m.incarnation() != incarnation) {
      return Behaviors.same(); // a stage of the engine given up at a restart: its requests were answered then
    }
    m.continuation().run();
    return afterEngine();
  }

  private Behavior<Command> onWakeUp() {
    engine.onWakeup();
    return afterEngine();
  }

  /** The phase after an engine call: unchanged, or unhealthy the first time the engine says so. */
  private Behavior<Command> afterEngine() {
    return afterEngine(Behaviors.same());
  }

  private Behavior<Command> afterEngine(Behavior<Command> next) {
    if (unhealthy || engine.isHealthy()) {
      return next;
    }
    unhealthy = true;
    getContext().getLog().error("GPU actor on {} stops taking work: {}", device.info().name(),
        engine.unhealthyReason());
    return unhealthy();
  }

  /** The engine was given up by {@link #guarded}; its device is closed before the next incarnation opens one. */
  private Behavior<Command> onPreRestart(PreRestart signal) {
    try {
      device.close();
    } catch (RuntimeException e) {
      getContext().getLog().warn("GPU actor on {}: closing the device before the restart failed: {}",
          device.info().name(), e.toString());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onPostStop(PostStop signal) {
    engine.close();
    device.close();
    return Behaviors.same();
  }
}
