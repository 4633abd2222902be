package dev.braid.gpu;

import dev.braid.config.DeadlineQueue;
import dev.braid.config.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.DeviceInfo;
import dev.braid.gpu.endpoint.FailureReasons;
import dev.braid.gpu.endpoint.ServingCounters;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.GpuWire.ModelInfo;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.InferenceWire.FailureReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The face one GPU shows the cluster: speaks {@link GpuWire} and {@link InferenceWire} with the
 * coordinator and frontends (over remoting), and drives its {@link GpuActor}, a child it spawns and
 * watches. Models are loaded by name from the node's {@link ModelRepository}, read on the blocking
 * dispatcher.
 *
 * <p>Phases: serving -> draining (after {@link GpuWire.Drain}: new requests are answered
 * UNAVAILABLE at once, loads fail; {@link GpuWire.Drained} once the GPU actor has drained) ->
 * orphaned, from either, once the GPU actor stopped or failed: every request it held is answered
 * (UNAVAILABLE if it stopped, INTERNAL if it failed), new ones UNAVAILABLE at once, and reports say
 * unhealthy. The endpoint itself lives on, so the coordinator sees why.
 *
 * <p>Invariants: every {@link InferenceWire.Infer} is answered exactly once, with its request id:
 * by the GPU actor's answer, by the endpoint at once (draining, orphaned, wrong version), when the
 * GPU actor stops, or when no answer came within the budget plus {@link
 * GpuSettings#endpointReplyGrace()}; a later answer is dropped. Likewise every unload, policy switch
 * and report: by the GPU actor, when it stops, or at {@link GpuSettings#endpointControlTimeout()}. At most one load per model is in
 * progress; every {@link GpuWire.Load} of it is answered by its outcome. {@code models} holds
 * exactly the models loaded through this endpoint and not unloaded since.
 *
 * <p>Time: a request's deadline is its budget added to this endpoint's clock on arrival (the GPU
 * actor does the same on its own, a little later); utilisation is on the GPU actor's clock, which
 * must be the same clock.
 */
public final class GpuEndpoint extends AbstractBehavior<Object> {
  /**
   * Longest budget taken as given: Pekko's scheduler refuses delays beyond about 248 days, and a
   * request allowed a day has no deadline in practice. Longer budgets count as this.
   */
  static final Duration MAX_BUDGET = Duration.ofDays(1);

  /** The GPU actor answered an Infer; the reply's tag is the request's seq. */
  private record InferAnswered(GpuActor.InferReply reply) {}

  /** The earliest wait for a GPU actor's answer may be over (one timer for all requests held). */
  private enum ReplyWaitOver { INSTANCE }

  /** The repository read of a model finished. */
  private record ModelRead(String model, RepositoryModel read, Throwable failure) {}

  /** The GPU actor answered a load. */
  private record LoadAnswered(GpuActor.LoadReply reply) {}

  private record UnloadAnswered(long seq, GpuWire.Unload request, boolean known, GpuActor.ModelUnloaded reply,
      Throwable failure) {}

  private record PolicyAnswered(long seq, GpuWire.SetPolicy request, GpuActor.PolicyReply reply, Throwable failure) {}

  private record StatsAnswered(long seq, ActorRef<GpuWire.Report> replyTo, GpuActor.Stats stats,
      Throwable failure) {}

  private enum DrainAnswered { INSTANCE }

  /** A request the GPU actor holds. */
  private record Pending(String requestId, ActorRef<InferenceWire.Reply> replyTo, long deadlineNanos) {}

  /** A model being read or loaded, and who waits for it. */
  private static final class Loading {
    final List<ActorRef<GpuWire.LoadReply>> waiters = new ArrayList<>();
    /** The repository config's max_batch_size (0: it does not batch), once read. */
    int maxBatchSize;
    /** An Unload came while it loaded: whatever the GPU actor answers, it is not served. */
    boolean unloaded;
  }

  private final String gpu;
  private final String nodeAddress;
  private final int ordinal;
  private final GpuSettings settings;
  private final ModelRepository repository;
  private final NanoClock clock;
  private final Executor blocking;
  private final ActorRef<GpuActor.Command> gpuActor;
  private final ActorRef<GpuActor.LoadReply> loadAdapter;
  private final ActorRef<GpuActor.Drained> drainAdapter;
  /** Where the GPU actor answers every Infer, tagged with the request's seq. */
  private final ActorRef<GpuActor.InferReply> inferAdapter;
  private final TimerScheduler<Object> timers;
  private final Map<Long, Pending> pending = new LinkedHashMap<>();
  /** When each request held stops waiting for the GPU actor: budget plus grace after arrival. */
  private final DeadlineQueue<Long> replyWaits = new DeadlineQueue<>(pending::containsKey);
  /** When the {@link ReplyWaitOver} timer fires; {@link Long#MAX_VALUE} when it is not set. */
  private long replyTimerDueNanos = Long.MAX_VALUE;
  /** Unloads, policy switches and stats asked of the GPU actor: how each is answered should it go. */
  private final Map<Long, Runnable> controls = new LinkedHashMap<>();
  private final Map<String, ModelInfo> models = new LinkedHashMap<>();
  /** Per loaded model, the requests received since it loaded (one cell, bumped on every Infer). */
  private final Map<String, long[]> requestCounts = new HashMap<>();
  private final Map<String, Loading> loading = new LinkedHashMap<>();
  private final List<ActorRef<GpuWire.Drained>> drainWaiters = new ArrayList<>();
  private final ServingCounters counters;
  private long nextSeq;
  private boolean draining;
  private boolean drained;
  /** Why the GPU actor is gone; null while it lives. */
  private String goneReason;
  /** The device as the last stats described it; null before the first. */
  private DeviceInfo device;
  private String policy;

  /**
   * An endpoint whose GPU actor opens {@code deviceFactory}'s device, on the system clock.
   *
   * @param nodeAddress the cluster address of this node, as {@link GpuWire#gpuId} takes it
   * @param ordinal the GPU's index on this node, >= 0
   * @param repository where {@link GpuWire.Load} finds models
   */
  public static Behavior<GpuWire.Command> create(String nodeAddress, int ordinal, Supplier<Device> deviceFactory,
      GpuSettings settings, ModelRepository repository) {
    NanoClock clock = NanoClock.system();
    return create(nodeAddress, ordinal, GpuActor.create(deviceFactory, settings, clock), settings, repository, clock);
  }

  /**
   * An endpoint in front of {@code gpuActor}, spawned as its child: the real {@link GpuActor} or a
   * stand-in with the same protocol.
   *
   * @param clock this endpoint's time; {@code gpuActor} must run on the same
   */
  public static Behavior<GpuWire.Command> create(String nodeAddress, int ordinal, Behavior<GpuActor.Command> gpuActor,
      GpuSettings settings, ModelRepository repository, NanoClock clock) {
    Objects.requireNonNull(nodeAddress, "nodeAddress");
    Objects.requireNonNull(gpuActor, "gpuActor");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(clock, "clock");
    if (ordinal < 0) {
      throw new IllegalArgumentException("ordinal must be >= 0, got " + ordinal);
    }
    return Behaviors.<Object>withTimers(timers -> Behaviors.setup(ctx -> new GpuEndpoint(ctx, timers, nodeAddress,
        ordinal, gpuActor, settings, repository, clock))).narrow();
  }

  private GpuEndpoint(ActorContext<Object> ctx, TimerScheduler<Object> timers, String nodeAddress, int ordinal,
      Behavior<GpuActor.Command> child, GpuSettings settings, ModelRepository repository, NanoClock clock) {
    super(ctx);
    this.timers = timers;
    this.gpu = GpuWire.gpuId(nodeAddress, ordinal);
    this.nodeAddress = nodeAddress;
    this.ordinal = ordinal;
    this.settings = settings;
    this.repository = repository;
    this.clock = clock;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.policy = settings.policy();
    this.counters = new ServingCounters(clock.nanoTime());
    this.gpuActor = ctx.spawn(child, "gpu-actor");
    ctx.watch(gpuActor);
    this.loadAdapter = ctx.messageAdapter(GpuActor.LoadReply.class, LoadAnswered::new);
    this.drainAdapter = ctx.messageAdapter(GpuActor.Drained.class, d -> DrainAnswered.INSTANCE);
    this.inferAdapter = ctx.messageAdapter(GpuActor.InferReply.class, InferAnswered::new);
    ctx.getLog().info("GPU endpoint {} serving from repository {}", gpu, repository.root());
  }

  @Override
  public Receive<Object> createReceive() {
    return serving();
  }

  private Receive<Object> serving() {
    return common(newReceiveBuilder()
        .onMessage(InferenceWire.Infer.class, this::onInfer)
        .onMessage(GpuWire.Load.class, this::onLoad)
        .onMessage(GpuWire.Drain.class, this::onDrain));
  }

  /** New requests and loads are refused; the GPU actor finishes what it holds. */
  private Receive<Object> draining() {
    return common(newReceiveBuilder()
        .onMessage(InferenceWire.Infer.class, this::onInferWhileDraining)
        .onMessage(GpuWire.Load.class, this::onLoadWhileDraining)
        .onMessage(GpuWire.Drain.class, this::onDrainWhileDraining));
  }

  /** The GPU actor is gone: everything is answered at once from what the endpoint knows. */
  private Receive<Object> orphaned() {
    return newReceiveBuilder()
        .onMessage(InferenceWire.Infer.class, this::onInferWhileOrphaned)
        .onMessage(GpuWire.Load.class, this::onLoadWhileOrphaned)
        .onMessage(GpuWire.Unload.class, this::onUnloadWhileOrphaned)
        .onMessage(GpuWire.SetPolicy.class, this::onSetPolicyWhileOrphaned)
        .onMessage(GpuWire.GetReport.class, this::onGetReportWhileOrphaned)
        .onMessage(GpuWire.Drain.class, this::onDrainWhileOrphaned)
        // Answers still arriving from before: the requests they belong to were answered already.
        .onMessage(InferAnswered.class, this::onInferAnswered)
        .onMessageEquals(ReplyWaitOver.INSTANCE, Behaviors::same)
        .onMessage(ModelRead.class, m -> Behaviors.same())
        .onMessage(LoadAnswered.class, m -> Behaviors.same())
        .onMessage(UnloadAnswered.class, m -> Behaviors.same())
        .onMessage(PolicyAnswered.class, m -> Behaviors.same())
        .onMessage(StatsAnswered.class, m -> Behaviors.same())
        .onMessageEquals(DrainAnswered.INSTANCE, Behaviors::same)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  /** What every phase with a GPU actor handles alike. */
  private Receive<Object> common(ReceiveBuilder<Object> phase) {
    return phase
        .onMessage(GpuWire.Unload.class, this::onUnload)
        .onMessage(GpuWire.SetPolicy.class, this::onSetPolicy)
        .onMessage(GpuWire.GetReport.class, this::onGetReport)
        .onMessage(InferAnswered.class, this::onInferAnswered)
        .onMessageEquals(ReplyWaitOver.INSTANCE, this::onReplyWaitOver)
        .onMessage(ModelRead.class, this::onModelRead)
        .onMessage(LoadAnswered.class, this::onLoadAnswered)
        .onMessage(UnloadAnswered.class, this::onUnloadAnswered)
        .onMessage(PolicyAnswered.class, this::onPolicyAnswered)
        .onMessage(StatsAnswered.class, this::onStatsAnswered)
        .onMessageEquals(DrainAnswered.INSTANCE, this::onDrainAnswered)
        .onSignal(ChildFailed.class, s -> onGpuActorGone("the GPU actor failed: " + s.cause(), FailureReason.INTERNAL))
        .onSignal(Terminated.class, s -> onGpuActorGone("the GPU actor stopped", FailureReason.UNAVAILABLE))
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  // ---- inference ----

  private Behavior<Object> onInfer(InferenceWire.Infer m) {
    ModelInfo info = models.get(m.model());
    if (!m.version().isEmpty() && (info == null || !m.version().equals(Long.toString(info.version())))) {
      fail(m.requestId(), m.replyTo(), FailureReason.MODEL_NOT_FOUND, info == null
          ? "model '" + m.model() + "' version " + m.version() + " is not loaded on gpu " + gpu + "; loaded models: "
              + models.keySet()
          : "model '" + m.model() + "' has no version '" + m.version() + "' on gpu " + gpu + "; loaded: version "
              + info.version());
      return Behaviors.same();
    }
    if (info != null) {
      requestCounts.get(m.model())[0]++; // for the coordinator's arrival rates
    }
    Duration budget = m.deadlineBudget().compareTo(MAX_BUDGET) > 0 ? MAX_BUDGET : m.deadlineBudget();
    Duration wait = budget.plus(settings.endpointReplyGrace());
    long now = clock.nanoTime();
    long seq = nextSeq++;
    pending.put(seq, new Pending(m.requestId(), m.replyTo(), now + budget.toNanos()));
    long waitUntil = now + (wait.compareTo(MAX_BUDGET) > 0 ? MAX_BUDGET : wait).toNanos();
    replyWaits.add(seq, waitUntil, pending.size());
    if (waitUntil < replyTimerDueNanos) {
      setReplyTimer(now, waitUntil);
    }
    gpuActor.tell(new GpuActor.Infer(m.model(), m.inputs(), budget, m.priority(), seq, inferAdapter));
    return Behaviors.same();
  }

  /** Fails DEADLINE_EXCEEDED every request whose wait is over, and sets the timer for the next. */
  private Behavior<Object> onReplyWaitOver() {
    long now = clock.nanoTime();
    replyTimerDueNanos = Long.MAX_VALUE;
    replyWaits.pollDue(now, seq -> {
      Pending p = pending.remove(seq);
      String why = "no answer from the GPU actor within the budget and " + settings.endpointReplyGrace()
          + " of grace";
      getContext().getLog().warn("gpu {}: request {}: {}", gpu, p.requestId(), why);
      fail(p.requestId(), p.replyTo(), FailureReason.DEADLINE_EXCEEDED, "gpu " + gpu + ": " + why);
    });
    long next = replyWaits.nextDueNanos();
    if (next != Long.MAX_VALUE) {
      setReplyTimer(now, next);
    }
    return Behaviors.same();
  }

  private void setReplyTimer(long nowNanos, long dueNanos) {
    replyTimerDueNanos = dueNanos;
    timers.startSingleTimer(ReplyWaitOver.INSTANCE, Duration.ofNanos(Math.max(0, dueNanos - nowNanos)));
  }

  private Behavior<Object> onInferWhileDraining(InferenceWire.Infer m) {
    fail(m.requestId(), m.replyTo(), FailureReason.UNAVAILABLE, "gpu " + gpu + " is draining and takes no new work");
    return Behaviors.same();
  }

  private Behavior<Object> onInferWhileOrphaned(InferenceWire.Infer m) {
    fail(m.requestId(), m.replyTo(), FailureReason.UNAVAILABLE, "gpu " + gpu + ": " + goneReason);
    return Behaviors.same();
  }

  private Behavior<Object> onInferAnswered(InferAnswered m) {
    Pending p = pending.remove(m.reply().tag());
    if (p == null) {
      return Behaviors.same(); // answered already: its wait was over
    }
    if (m.reply() instanceof GpuActor.InferCompleted c) {
      counters.onCompleted(clock.nanoTime() <= p.deadlineNanos());
      p.replyTo().tell(new InferenceWire.Completed(p.requestId(), c.outputs()));
    } else {
      GpuActor.InferFailed f = (GpuActor.InferFailed) m.reply();
      fail(p.requestId(), p.replyTo(), FailureReasons.of(f.reason()), f.message());
    }
    return Behaviors.same();
  }

  private void fail(String requestId, ActorRef<InferenceWire.Reply> replyTo, FailureReason reason, String message) {
    counters.onFailed();
    replyTo.tell(new InferenceWire.Failed(requestId, reason, message));
  }

  // ---- models ----

  private Behavior<Object> onLoad(GpuWire.Load m) {
    ModelInfo info = models.get(m.model());
    if (info != null) {
      m.replyTo().tell(new GpuWire.Loaded(gpu, info));
      return Behaviors.same();
    }
    Loading l = loading.get(m.model());
    if (l != null && !l.unloaded) {
      l.waiters.add(m.replyTo());
      return Behaviors.same();
    }
    if (l != null) {
      // Unloaded while it loaded: that load answers its own waiters; this one waits for a new one.
      m.replyTo().tell(new GpuWire.LoadFailed(gpu, m.model(), "model '" + m.model() + "' is being unloaded on gpu "
          + gpu + "; retry once it is"));
      return Behaviors.same();
    }
    l = new Loading();
    l.waiters.add(m.replyTo());
    loading.put(m.model(), l);
    String name = m.model();
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> repository.load(name), blocking),
        (read, failure) -> new ModelRead(name, read, failure));
    return Behaviors.same();
  }

  private Behavior<Object> onLoadWhileDraining(GpuWire.Load m) {
    m.replyTo().tell(new GpuWire.LoadFailed(gpu, m.model(), "gpu " + gpu + " is draining and takes no new models"));
    return Behaviors.same();
  }

  private Behavior<Object> onLoadWhileOrphaned(GpuWire.Load m) {
    m.replyTo().tell(new GpuWire.LoadFailed(gpu, m.model(), "gpu " + gpu + ": " + goneReason));
    return Behaviors.same();
  }

  private Behavior<Object> onModelRead(ModelRead m) {
    Loading l = loading.get(m.model());
    if (l == null) {
      return Behaviors.same();
    }
    if (m.failure() != null || l.unloaded) {
      answerLoad(m.model(), new GpuWire.LoadFailed(gpu, m.model(), m.failure() != null ? message(m.failure())
          : "model '" + m.model() + "' was unloaded while it loaded"));
      return Behaviors.same();
    }
    l.maxBatchSize = m.read().config().maxBatchSize();
    // Sent even while draining: the GPU actor refuses it with its own reason.
    gpuActor.tell(new GpuActor.LoadModel(m.model(), m.read(), loadAdapter));
    return Behaviors.same();
  }

  private Behavior<Object> onLoadAnswered(LoadAnswered m) {
    if (m.reply() instanceof GpuActor.ModelLoaded ok) {
      Loading l = loading.get(ok.name());
      if (l == null) {
        return Behaviors.same();
      }
      if (l.unloaded) {
        answerLoad(ok.name(), new GpuWire.LoadFailed(gpu, ok.name(), "model '" + ok.name()
            + "' was unloaded while it loaded"));
        return Behaviors.same();
      }
      ModelInfo info = new ModelInfo(ok.name(), ok.version(), ok.weightsBytes(), Math.max(1, ok.requestNanos()),
          l.maxBatchSize, 0);
      models.put(ok.name(), info);
      requestCounts.put(ok.name(), new long[1]);
      answerLoad(ok.name(), new GpuWire.Loaded(gpu, info));
    } else {
      GpuActor.LoadFailed f = (GpuActor.LoadFailed) m.reply();
      answerLoad(f.name(), new GpuWire.LoadFailed(gpu, f.name(), f.reason()));
    }
    return Behaviors.same();
  }

  private void answerLoad(String model, GpuWire.LoadReply reply) {
    Loading l = loading.remove(model);
    if (l != null) {
      l.waiters.forEach(w -> w.tell(reply));
    }
  }

  private Behavior<Object> onUnload(GpuWire.Unload m) {
    boolean known = models.remove(m.model()) != null;
    requestCounts.remove(m.model());
    Loading l = loading.get(m.model());
    if (l != null) {
      l.unloaded = true;
      known = true;
    }
    boolean wasKnown = known;
    long seq = nextSeq++;
    controls.put(seq, () -> m.replyTo().tell(new GpuWire.Unloaded(gpu, m.model(), wasKnown)));
    getContext().ask(GpuActor.ModelUnloaded.class, gpuActor, settings.endpointControlTimeout(),
        replyTo -> new GpuActor.UnloadModel(m.model(), replyTo),
        (reply, failure) -> new UnloadAnswered(seq, m, wasKnown, reply, failure));
    return Behaviors.same();
  }

  private Behavior<Object> onUnloadAnswered(UnloadAnswered m) {
    if (controls.remove(m.seq()) == null) {
      return Behaviors.same();
    }
    boolean wasLoaded = m.known();
    if (m.reply() != null) {
      wasLoaded = m.reply().wasLoaded();
    } else {
      getContext().getLog().warn("gpu {}: unload of '{}' not confirmed within {}: {}", gpu, m.request().model(),
          settings.endpointControlTimeout(), m.failure().toString());
    }
    m.request().replyTo().tell(new GpuWire.Unloaded(gpu, m.request().model(), wasLoaded));
    return Behaviors.same();
  }

  // ---- control ----

  private Behavior<Object> onSetPolicy(GpuWire.SetPolicy m) {
    long seq = nextSeq++;
    controls.put(seq, () -> m.replyTo().tell(new GpuWire.PolicyReply(gpu, false, "gpu " + gpu + ": " + goneReason)));
    getContext().ask(GpuActor.PolicyReply.class, gpuActor, settings.endpointControlTimeout(),
        replyTo -> new GpuActor.SetPolicy(m.policy(), replyTo),
        (reply, failure) -> new PolicyAnswered(seq, m, reply, failure));
    return Behaviors.same();
  }

  private Behavior<Object> onPolicyAnswered(PolicyAnswered m) {
    if (controls.remove(m.seq()) == null) {
      return Behaviors.same();
    }
    GpuWire.PolicyReply reply;
    if (m.reply() instanceof GpuActor.PolicySet set) {
      policy = set.name();
      reply = new GpuWire.PolicyReply(gpu, true, "gpu " + gpu + " schedules with " + set.name());
    } else if (m.reply() instanceof GpuActor.PolicyRejected r) {
      reply = new GpuWire.PolicyReply(gpu, false, r.reason());
    } else {
      reply = new GpuWire.PolicyReply(gpu, false, "the GPU actor did not answer within "
          + settings.endpointControlTimeout());
    }
    m.request().replyTo().tell(reply);
    return Behaviors.same();
  }

  private Behavior<Object> onGetReport(GpuWire.GetReport m) {
    long seq = nextSeq++;
    controls.put(seq, () -> m.replyTo().tell(report(null, goneReason)));
    getContext().ask(GpuActor.Stats.class, gpuActor, settings.endpointControlTimeout(), GpuActor.GetStats::new,
        (stats, failure) -> new StatsAnswered(seq, m.replyTo(), stats, failure));
    return Behaviors.same();
  }

  private Behavior<Object> onStatsAnswered(StatsAnswered m) {
    if (controls.remove(m.seq()) == null) {
      return Behaviors.same();
    }
    m.replyTo().tell(report(m.stats(), m.stats() != null ? ""
        : "the GPU actor did not answer within " + settings.endpointControlTimeout()));
    return Behaviors.same();
  }

  /**
   * The report from {@code stats}, or from what the endpoint knows when there are none, in which
   * case it reads unhealthy for {@code problem}.
   */
  private GpuWire.Report report(GpuActor.Stats stats, String problem) {
    long allocated = 0;
    long predictedQueue = 0;
    double utilisation = 0;
    boolean healthy = false;
    int restarts = 0;
    String unhealthyReason = problem;
    if (stats != null) {
      device = stats.device();
      policy = stats.engine().policy();
      allocated = Math.max(0, stats.engine().allocatedBytes());
      predictedQueue = stats.predictedQueueNanos();
      utilisation = counters.utilisation(stats.engine().busyNanos(), stats.engine().nowNanos());
      healthy = stats.healthy();
      restarts = stats.restarts();
      unhealthyReason = stats.engine().unhealthyReason();
    }
    // The cost model learns while serving: each model's request time as it predicts now, and the
    // requests counted since it loaded.
    Map<String, Long> predicted = stats == null ? Map.of() : stats.requestNanos();
    models.replaceAll((name, i) -> new ModelInfo(name, i.version(), i.weightsBytes(),
        Math.max(1, predicted.getOrDefault(name, i.requestNanos())), i.maxBatchSize(), requestCounts.get(name)[0]));
    return new GpuWire.Report(gpu, nodeAddress, ordinal, device == null ? "unknown" : device.name(),
        device == null ? 0 : device.memoryBytes(), allocated, models, policy, pending.size(), predictedQueue,
        utilisation, counters.sloAttainment(), counters.completed(), counters.failed(), restarts, draining, healthy,
        unhealthyReason);
  }

  private Behavior<Object> onDrain(GpuWire.Drain m) {
    getContext().getLog().info("GPU endpoint {} draining: {} request(s) in progress", gpu, pending.size());
    draining = true;
    drainWaiters.add(m.replyTo());
    gpuActor.tell(new GpuActor.Drain(drainAdapter));
    return draining();
  }

  private Behavior<Object> onDrainWhileDraining(GpuWire.Drain m) {
    if (drained) {
      m.replyTo().tell(new GpuWire.Drained(gpu));
    } else {
      drainWaiters.add(m.replyTo());
    }
    return Behaviors.same();
  }

  private Behavior<Object> onDrainAnswered() {
    drained = true;
    getContext().getLog().info("GPU endpoint {} drained", gpu);
    drainWaiters.forEach(w -> w.tell(new GpuWire.Drained(gpu)));
    drainWaiters.clear();
    return Behaviors.same();
  }

  // ---- the GPU actor's end, and ours ----

  /** Answers everything the GPU actor held, and from now on everything at once. */
  private Behavior<Object> onGpuActorGone(String why, FailureReason heldRequests) {
    goneReason = why;
    getContext().getLog().error("GPU endpoint {} has no GPU actor: {}; {} request(s) answered {}", gpu, why,
        pending.size(), heldRequests);
    answerAllHeld(heldRequests, "gpu " + gpu + ": " + why);
    models.clear();
    requestCounts.clear();
    List.copyOf(controls.values()).forEach(Runnable::run);
    controls.clear();
    drainWaiters.forEach(w -> w.tell(new GpuWire.Drained(gpu)));
    drainWaiters.clear();
    return orphaned();
  }

  private Behavior<Object> onPostStop(PostStop signal) {
    answerAllHeld(FailureReason.UNAVAILABLE, "gpu " + gpu + " stopped");
    return Behaviors.same();
  }

  private void answerAllHeld(FailureReason reason, String message) {
    for (Pending p : List.copyOf(pending.values())) {
      fail(p.requestId(), p.replyTo(), reason, message);
    }
    pending.clear();
    for (String model : List.copyOf(loading.keySet())) {
      answerLoad(model, new GpuWire.LoadFailed(gpu, model, message));
    }
  }

  private Behavior<Object> onUnloadWhileOrphaned(GpuWire.Unload m) {
    m.replyTo().tell(new GpuWire.Unloaded(gpu, m.model(), false));
    return Behaviors.same();
  }

  private Behavior<Object> onSetPolicyWhileOrphaned(GpuWire.SetPolicy m) {
    m.replyTo().tell(new GpuWire.PolicyReply(gpu, false, "gpu " + gpu + ": " + goneReason));
    return Behaviors.same();
  }

  private Behavior<Object> onGetReportWhileOrphaned(GpuWire.GetReport m) {
    m.replyTo().tell(report(null, goneReason));
    return Behaviors.same();
  }

  private Behavior<Object> onDrainWhileOrphaned(GpuWire.Drain m) {
    m.replyTo().tell(new GpuWire.Drained(gpu));
    return Behaviors.same();
  }

  private static String message(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
        : failure;
    return cause.getMessage() != null ? cause.getMessage() : cause.toString();
  }
}
