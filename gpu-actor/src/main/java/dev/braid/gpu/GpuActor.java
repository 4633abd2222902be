package dev.braid.gpu;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.gpu.engine.GpuEngine;
import dev.braid.gpu.engine.InferRequest;
import dev.braid.gpu.engine.LoadResult;
import dev.braid.gpu.engine.Mailbox;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.GpuWire.ModelInfo;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The actor that owns one GPU, as the cluster sees it: it speaks {@link GpuWire} with the
 * coordinator and {@link InferenceWire} with the frontends (over remoting), loads models by name
 * from the node's repository ({@link ModelLoads}), and drives the {@link GpuEngine} that batches,
 * schedules and launches their kernels. A thin shell: it turns messages into engine calls, device
 * completions into private messages ({@code pipeToSelf}), and both the batchers' deadlines and the
 * waits of its requests in flight ({@link InFlight}) into one timer. No handler blocks on the device.
 *
 * <p>Phases: serving -> draining (after {@link GpuWire.Drain}: new requests are answered
 * DRAINING at once, loads fail, in-flight work finishes, then {@link GpuWire.Drained}; it stays
 * draining). From serving, once the engine finds the device unhealthy (it lost its context after a
 * failure): unhealthy (every request is answered DEVICE_UNHEALTHY at once with the reason, loads fail
 * with it; reports, unloads and drains are still answered; one ERROR line names the device and
 * why). A device that does not open at the first start leaves an {@link Unopened} GPU instead,
 * which answers everything at once and reports why.
 *
 * <p>Supervision ({@link GpuRestarts}): a failure the engine can pin on a request or a model fails
 * only that request or model. An exception that escapes the engine nevertheless (a fault of Braid)
 * leaves its state in doubt: the failing incarnation answers every request it held INTERNAL (and
 * every load in progress, pending unload and drain) naming the exception, and closes its device;
 * after a back-off ({@link GpuSupervision}) a fresh incarnation opens the device again and reloads
 * the models it served ({@link Remembered}); requests arriving meanwhile wait until the reloads are
 * answered, and device events of the failed incarnation are ignored. Reports count the restarts.
 *
 * <p>Invariants: every {@link InferenceWire.Infer} is answered exactly once, with its request id
 * ({@link InFlight}); every {@link GpuWire.Load} once ({@link ModelLoads}); every unload, policy
 * switch and report at once or when the engine answers. A request's deadline is its budget added
 * to this actor's clock on arrival, so that senders on other nodes need no shared clock.
 */
public final class GpuActor extends AbstractBehavior<Object> {
  /** A device stage completed: continue the engine, unless an earlier incarnation started it. */
  private record DeviceEventArrived(int incarnation, Runnable continuation) {}

  /** The repository read of a model finished. */
  record ModelRead(String model, RepositoryModel read, Throwable failure) {}

  final String gpu;
  private final String nodeAddress;
  private final int ordinal;
  private final GpuSettings settings;
  private final NanoClock clock;
  private final DeadlineTimer timer;
  final Device device;
  final GpuEngine engine;
  final Remembered remembered;
  /** This incarnation's number (1 for the first start): device events carry it. */
  final int incarnation;
  final InFlight inFlight;
  private final ModelLoads loads;
  /** This incarnation's part in the supervision (failures, reloads). */
  private final GpuRestarts restarts;
  private boolean unhealthy;
  /** Closed once this node may have been downed (a long pause) or leaves: then it works no more. */
  private final WorkFence fence;

  /** GPU {@code ordinal} of the node at {@code nodeAddress}, loading from {@code repository}, on the system clock. */
  public static Behavior<GpuWire.Command> create(String nodeAddress, int ordinal, Supplier<Device> deviceFactory,
      GpuSettings settings, ModelRepository repository) {
    Objects.requireNonNull(repository, "repository");
    return create(nodeAddress, ordinal, deviceFactory, settings, repository::load, NanoClock.system());
  }

  /**
   * @param nodeAddress the cluster address of this node, as {@link GpuWire#gpuId} takes it
   * @param ordinal the GPU's index on this node, >= 0
   * @param deviceFactory opens the device when the actor starts (and again at each restart); the
   *     actor closes it when it stops
   * @param models reads a model by name (on the blocking dispatcher), throwing with the reason
   *     when it cannot: the node's repository
   * @param clock the actor's time, on which deadlines are taken
   */
  public static Behavior<GpuWire.Command> create(String nodeAddress, int ordinal, Supplier<Device> deviceFactory,
      GpuSettings settings, Function<String, RepositoryModel> models, NanoClock clock) {
    return SupervisedGpu.create(nodeAddress, ordinal, deviceFactory, settings, models, clock);
  }

  GpuActor(ActorContext<Object> ctx, TimerScheduler<Object> timers, String nodeAddress, int ordinal,
      Device device, GpuSettings settings, NanoClock clock, Remembered remembered) {
    super(ctx);
    this.gpu = GpuWire.gpuId(nodeAddress, ordinal);
    this.nodeAddress = nodeAddress;
    this.ordinal = ordinal;
    this.settings = settings;
    this.clock = clock;
    this.timer = new DeadlineTimer(timers, clock);
    this.device = device;
    this.remembered = remembered;
    this.inFlight = remembered.inFlight;
    this.loads = remembered.loads;
    this.incarnation = ++remembered.starts;
    int self = incarnation;
    Mailbox mailbox = new Mailbox() {
      @Override
      public <T> void deliver(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> action) {
        ctx.pipeToSelf(stage, (value, error) -> new DeviceEventArrived(self, () -> action.accept(value, error)));
      }
    };
    this.engine = new GpuEngine(device, settings, clock, mailbox, timer::engineWakeAt);
    engine.listen(EngineListeners.get(ctx.getSystem()).of(device)); // the node's metrics, if it keeps any
    this.restarts = new GpuRestarts(this, ctx);
    this.fence = new WorkFence(NodeFence.get(ctx.getSystem()), gpu, engine, ctx.getLog());
    if (remembered.restarts() == 0) {
      ctx.getLog().info("GPU actor {} on {} with policy {}", gpu, device.info().name(), settings.policy());
    }
  }

  @Override
  public Receive<Object> createReceive() {
    return remembered.draining ? draining() : remembered.reloadingModel != null ? restarting() : serving();
  }

  Receive<Object> serving() {
    return common(newReceiveBuilder()
        .onMessage(InferenceWire.Infer.class, restarts.guarded(this::onInfer))
        .onMessage(GpuWire.Load.class, restarts.guarded(this::onLoad))
        .onMessage(ModelRead.class, restarts.guarded(this::onModelRead)));
  }

  /** After a restart, while the models it served reload: requests and model reads wait (the models would be unknown). */
  Receive<Object> restarting() {
    return common(newReceiveBuilder()
        .onMessage(InferenceWire.Infer.class, restarts::hold)
        .onMessage(GpuWire.Load.class, restarts.guarded(this::onLoad))
        .onMessage(ModelRead.class, restarts::hold));
  }

  /** New requests and loads are refused; the engine finishes what it holds. */
  Receive<Object> draining() {
    return common(newReceiveBuilder()
        .onMessage(InferenceWire.Infer.class, this::onInferWhileDraining)
        .onMessage(GpuWire.Load.class, this::onLoadWhileDraining)
        .onMessage(ModelRead.class, restarts.guarded(this::onModelRead)));
  }

  /** The device lost its context: requests are refused at once with the reason; the rest is served. */
  private Receive<Object> unhealthy() {
    return common(newReceiveBuilder()
        .onMessage(InferenceWire.Infer.class, this::onInferWhileUnhealthy)
        .onMessage(GpuWire.Load.class, restarts.guarded(this::onLoad))
        .onMessage(ModelRead.class, restarts.guarded(this::onModelRead)));
  }

  /** What every phase handles alike: control, device events, the timer and the signals. */
  private Receive<Object> common(ReceiveBuilder<Object> phase) {
    return phase
        .onMessage(InferenceWire.Cancel.class, restarts.guarded(this::onCancel))
        .onMessage(GpuWire.Unload.class, restarts.guarded(this::onUnload))
        .onMessage(GpuWire.SetPolicy.class, restarts.guarded(this::onSetPolicy))
        .onMessage(GpuWire.GetReport.class, restarts.guarded(this::onGetReport))
        .onMessage(GpuWire.Drain.class, restarts.guarded(this::onDrain))
        .onMessage(DeviceEventArrived.class, restarts.guarded(this::onDeviceEventArrived))
        .onMessage(DeadlineTimer.Tick.class, restarts.guarded(t -> onTick()))
        .onMessage(GpuRestarts.Reloaded.class, restarts.guarded(restarts::onReloaded))
        .onSignal(PreRestart.class, restarts::onPreRestart)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  // ---- inference ----

  Behavior<Object> onInfer(InferenceWire.Infer m) {
    if (!fence.open()) {
      inFlight.refuse(m, FailureReason.DRAINING, "gpu " + gpu + " takes no work: " + fence.reason());
      return Behaviors.same();
    }
    String versionRefusal = remembered.versionRefusal(m.model(), m.version(), gpu);
    if (versionRefusal != null) {
      inFlight.refuse(m, FailureReason.UNKNOWN_MODEL, versionRefusal);
      return Behaviors.same();
    }
    if (remembered.served.containsKey(m.model())) {
      remembered.requestCounts.get(m.model())[0]++; // for the coordinator's arrival rates
    }
    String dropped = remembered.dropped.get(m.model());
    if (dropped != null) {
      inFlight.refuse(m, FailureReason.INTERNAL, dropped);
      return Behaviors.same();
    }
    Duration budget = InFlight.capped(m.deadlineBudget());
    long now = clock.nanoTime();
    long deadline = now + budget.toNanos();
    long waitUntil = now + InFlight.capped(budget.plus(settings.endpointReplyGrace())).toNanos();
    long seq = inFlight.add(m, deadline, waitUntil);
    timer.waitUntil(now, waitUntil);
    InferRequest request = new InferRequest(m.model(), m.inputs(), deadline, m.priority(),
        result -> inFlight.answer(seq, result, clock.nanoTime()), m.clientRequestId());
    inFlight.submitted(m.requestId(), request);
    engine.submit(request);
    return afterEngine();
  }

  Behavior<Object> onInferWhileDraining(InferenceWire.Infer m) {
    inFlight.refuse(m, FailureReason.DRAINING, "gpu " + gpu + " is draining and takes no new work");
    return Behaviors.same();
  }

  private Behavior<Object> onInferWhileUnhealthy(InferenceWire.Infer m) {
    inFlight.refuse(m, FailureReason.DEVICE_UNHEALTHY, "model '" + m.model() + "': " + engine.unhealthyReason());
    return Behaviors.same();
  }

  /** The frontend's client gave up on a request: the engine drops it unless its batch runs already ({@code Cancels}). */
  private Behavior<Object> onCancel(InferenceWire.Cancel m) {
    InferRequest request = inFlight.submission(m.requestId());
    if (request != null) {
      engine.cancel(request, "request " + m.requestId() + " was cancelled by its client");
    }
    return afterEngine();
  }

  /** Fails TOO_LATE every request whose wait is over, wakes the engine if due, and re-arms. */
  private Behavior<Object> onTick() {
    fence.open();
    long now = clock.nanoTime();
    boolean wakeEngine = timer.fired(now);
    inFlight.expireDue(now, gpu, settings.endpointReplyGrace(), getContext().getLog());
    if (wakeEngine) {
      engine.onWakeup();
    }
    timer.rearm(now, inFlight.nextDueNanos());
    return afterEngine();
  }

  // ---- models ----

  private Behavior<Object> onLoad(GpuWire.Load m) {
    ModelInfo info = remembered.served.get(m.model());
    if (info != null && !remembered.dropped.containsKey(m.model())) {
      m.replyTo().tell(new GpuWire.Loaded(gpu, info));
      return Behaviors.same();
    }
    if (loads.start(m) == ModelLoads.Start.READ) {
      String name = m.model();
      getContext().pipeToSelf(loads.read(name), (read, failure) -> new ModelRead(name, read, failure));
    }
    return Behaviors.same();
  }

  private Behavior<Object> onLoadWhileDraining(GpuWire.Load m) {
    m.replyTo().tell(new GpuWire.LoadFailed(gpu, m.model(), "gpu " + gpu + " is draining and takes no new models"));
    return Behaviors.same();
  }

  Behavior<Object> onModelRead(ModelRead m) {
    String name = m.model();
    RepositoryModel read = loads.onRead(name, m.read(), m.failure());
    if (read == null) {
      return Behaviors.same();
    }
    String refusal = remembered.draining ? "the GPU is draining" : engine.isHealthy() ? null : engine.unhealthyReason();
    if (refusal != null) {
      loads.answer(name, new GpuWire.LoadFailed(gpu, name, "cannot load model '" + name + "': " + refusal));
      return Behaviors.same();
    }
    engine.load(name, read, result -> onLoaded(name, read, result));
    return afterEngine();
  }

  private void onLoaded(String name, RepositoryModel model, LoadResult result) {
    if (result instanceof LoadResult.LoadError e) {
      loads.answer(name, new GpuWire.LoadFailed(gpu, name, e.message()));
    } else if (!loads.wanted(name)) {
      loads.answer(name, new GpuWire.LoadFailed(gpu, name, "model '" + name + "' was unloaded while it loaded"));
    } else if (result instanceof LoadResult.Loaded l) {
      ModelInfo info = remembered.loaded(name, model, l,
          engine.models().contains(name) ? engine.predictRequestNanos(name) : 0, loads.maxBatchSize(name));
      loads.answer(name, new GpuWire.Loaded(gpu, info));
    }
  }

  private Behavior<Object> onUnload(GpuWire.Unload m) {
    remembered.forget(m.model());
    loads.unload(m.model());
    engine.unload(m.model(), u -> m.replyTo().tell(new GpuWire.Unloaded(gpu, m.model(), u.wasLoaded())));
    return afterEngine();
  }

  private Behavior<Object> onSetPolicy(GpuWire.SetPolicy m) {
    try {
      engine.setPolicy(m.policy());
      m.replyTo().tell(new GpuWire.PolicyReply(gpu, true, "gpu " + gpu + " schedules with " + m.policy()));
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(new GpuWire.PolicyReply(gpu, false, e.getMessage()));
    }
    return Behaviors.same();
  }

  private Behavior<Object> onGetReport(GpuWire.GetReport m) {
    engine.listener().stats(engine.stats(), device.info(), engine.predictQueueNanos(), remembered.restarts());
    m.replyTo().tell(GpuReports.of(nodeAddress, ordinal, device.info(), engine, remembered));
    return Behaviors.same();
  }

  private Behavior<Object> onDrain(GpuWire.Drain m) {
    if (remembered.drained) {
      m.replyTo().tell(new GpuWire.Drained(gpu));
      return Behaviors.same();
    }
    remembered.drainWaiters.add(m.replyTo());
    if (!remembered.draining) {
      getContext().getLog().info("GPU actor {} draining: {} request(s) in progress", gpu, inFlight.size());
      remembered.draining = true;
      engine.drain(this::onDrained);
    }
    return afterEngine(draining());
  }

  /** The engine drained: every drain waiter is answered, and later drains at once. */
  void onDrained() {
    if (!remembered.drained) {
      getContext().getLog().info("GPU actor {} drained", gpu);
    }
    remembered.drained = true;
    remembered.drainWaiters.forEach(w -> w.tell(new GpuWire.Drained(gpu)));
    remembered.drainWaiters.clear();
  }

  private Behavior<Object> onDeviceEventArrived(DeviceEventArrived m) {
    if (m.incarnation() != incarnation) {
      return Behaviors.same(); // a stage of the engine given up at a restart: its requests were answered then
    }
    fence.open();
    m.continuation().run();
    return afterEngine();
  }

  /** The phase after an engine call: unchanged, or unhealthy the first time the engine says so. */
  Behavior<Object> afterEngine() {
    return afterEngine(Behaviors.same());
  }

  Behavior<Object> afterEngine(Behavior<Object> next) {
    if (unhealthy || engine.isHealthy()) {
      return next;
    }
    unhealthy = true;
    getContext().getLog().error("GPU actor {} on {} stops taking work: {}", gpu, device.info().name(),
        engine.unhealthyReason());
    return remembered.draining ? draining() : unhealthy();
  }

  /** Stopped: the engine answers what it holds, the device closes, and whatever is left is answered. */
  private Behavior<Object> onPostStop(PostStop signal) {
    engine.close();
    device.close();
    remembered.answerAll("gpu " + gpu + " stopped");
    return Behaviors.same();
  }
}
