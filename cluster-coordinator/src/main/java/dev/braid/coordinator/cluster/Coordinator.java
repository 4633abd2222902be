package dev.braid.coordinator.cluster;

import dev.braid.time.NanoClock;
import dev.braid.coordinator.cluster.ClusterView.Gpu;
import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.events.NodeEvents;
import dev.braid.gpu.NodeFence;
import dev.braid.coordinator.cluster.ClusterSubscriptions.FrontendsListed;
import dev.braid.coordinator.cluster.ClusterSubscriptions.GpusListed;
import dev.braid.coordinator.cluster.ClusterSubscriptions.NodeRemoved;
import dev.braid.coordinator.cluster.ClusterSubscriptions.Reachability;
import dev.braid.coordinator.cluster.GpuAsks.DrainAnswered;
import dev.braid.coordinator.cluster.GpuAsks.LoadAnswered;
import dev.braid.coordinator.cluster.GpuAsks.ReportArrived;
import dev.braid.coordinator.cluster.GpuAsks.ReportMissing;
import dev.braid.coordinator.cluster.GpuAsks.UnloadAnswered;
import dev.braid.coordinator.metrics.NodeMetrics;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.coordinator.placement.Placement;
import dev.braid.coordinator.placement.Reconciler;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The cluster's one coordinator (a cluster singleton on a {@code coordinator} node): it learns
 * GPUs from the Receptionist, places the models the cluster should serve on them ({@link
 * Placement}), tells GPUs to load and unload, and publishes the routing table to every frontend.
 * Requests never pass through it. It keeps state and sends messages; pure classes beside it
 * decide: {@link ClusterView} (what it knows: each GPU's latest report, what each holds by its
 * reports and answers, the models wanted, each with its {@link ModelCatalog#fusion fusion
 * profile}), {@link ReconcilePlanner} and {@link Reconciler} (what to send), {@link Waiters} and
 * {@link CoordinatorReplies} (what to answer), {@link TablePublisher} (table versions), {@link
 * ClusterRoutes} (the table's entries); {@link GpuAsks} words its asks of GPUs and {@link
 * ClusterSubscriptions} its subscriptions, each turning what comes back into a message to it.
 *
 * <p><b>Reconciling</b>, after every event that changes the inputs and on every tick: places the
 * models on the usable GPUs (reported, reachable), sends the loads, unloads and drains the {@link
 * Reconciler} derives, answers the loads and unloads that waited, and publishes the table.
 *
 * <p><b>A node that leaves or dies</b>: once unreachable its GPUs leave the table and the plan at
 * the next reconcile (the frontends drop them even earlier, from their own membership events) and
 * their models are placed on the survivors; once removed they are forgotten.
 */
public final class Coordinator extends AbstractBehavior<CoordinatorWire.Command> {
  /** The key every GPU endpoint registers under. */
  public static final ServiceKey<GpuWire.Command> GPUS = ServiceKey.create(GpuWire.Command.class, "braid-gpu");

  /** The key every frontend's table receiver registers under. */
  public static final ServiceKey<RoutingTableWire> FRONTENDS =
      ServiceKey.create(RoutingTableWire.class, "braid-frontend");

  // The local messages other than the tick are its subscriptions' (ClusterSubscriptions) and its
  // asks' answers (GpuAsks).
  private enum Tick implements CoordinatorWire.Command { INSTANCE }

  private final CoordinatorSettings settings;
  private final NanoClock clock;
  private final ModelCatalog catalog;
  private final ReconcilePlanner planner;
  private final String selfAddress;
  private final ClusterView view = new ClusterView();
  private final Waiters waiters = new Waiters();
  private final TablePublisher tables = new TablePublisher(System::currentTimeMillis);
  private final GpuAsks asks;

  /**
   * @param catalog the models of this node's repository
   * @param initialModels the models to serve from the start (each must be in the catalog)
   */
  public static Behavior<CoordinatorWire.Command> create(CoordinatorSettings settings, ModelCatalog catalog,
      List<String> initialModels) {
    return create(settings, catalog, initialModels, NanoClock.system());
  }

  /**
   * As {@link #create(CoordinatorSettings, ModelCatalog, List)}, reading time from {@code clock}
   * (the load-retry back-off); table versions start from the wall clock at this coordinator's
   * start, which orders coordinators (see {@link TablePublisher}).
   */
  public static Behavior<CoordinatorWire.Command> create(CoordinatorSettings settings, ModelCatalog catalog,
      List<String> initialModels, NanoClock clock) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new Coordinator(context, timers, settings, catalog, initialModels, clock)));
  }

  private Coordinator(ActorContext<CoordinatorWire.Command> context, TimerScheduler<CoordinatorWire.Command> timers,
      CoordinatorSettings settings, ModelCatalog catalog, List<String> initialModels, NanoClock clock) {
    super(context);
    this.settings = settings;
    this.clock = clock;
    this.catalog = catalog;
    this.planner = new ReconcilePlanner(settings);
    this.asks = new GpuAsks(context, view, settings.askTimeout(), settings.loadTimeout());
    Cluster cluster = Cluster.get(context.getSystem());
    this.selfAddress = cluster.selfMember().address().toString();
    initialModels.forEach(name -> view.models.put(name, newModel(name)));
    ClusterSubscriptions.subscribe(context);
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.reportInterval());
    context.getLog().info("coordinator started on {} with models {}", selfAddress, view.models.keySet());
    NodeEvents.of(context.getSystem()).coordinatorStarted();
  }

  @Override
  public Receive<CoordinatorWire.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GpusListed.class, this::onGpusListed)
        .onMessage(FrontendsListed.class, this::onFrontendsListed)
        .onMessage(Tick.class, t -> onTick())
        .onMessage(ReportArrived.class, this::onReportArrived)
        .onMessage(ReportMissing.class, this::onReportMissing)
        .onMessage(LoadAnswered.class, this::onLoadAnswered)
        .onMessage(UnloadAnswered.class, this::onUnloadAnswered)
        .onMessage(DrainAnswered.class, this::onDrainAnswered)
        .onMessage(Reachability.class, this::onReachability)
        .onMessage(NodeRemoved.class, this::onNodeRemoved)
        .onMessage(CoordinatorWire.LoadModel.class, this::onLoadModel)
        .onMessage(CoordinatorWire.UnloadModel.class, this::onUnloadModel)
        .onMessage(CoordinatorWire.GetStatus.class, this::onGetStatus)
        .onMessage(CoordinatorWire.DrainNode.class, this::onDrainNode)
        .onMessage(CoordinatorWire.SetPolicy.class, this::onSetPolicy)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, stop -> {
          NodeEvents.of(getContext().getSystem()).coordinatorStopped();
          return this;
        })
        .build();
  }

  // ---- membership ----

  private Behavior<CoordinatorWire.Command> onGpusListed(GpusListed m) {
    ClusterView.Listed listed = view.listed(m.refs(), ClusterSubscriptions.unreachableNow(getContext().getSystem()));
    listed.left().forEach(g -> getContext().getLog().info("GPU {} left", ClusterView.describe(g)));
    listed.added().forEach(asks::report);
    if (!listed.left().isEmpty()) {
      waiters.gpusRemain(view.gpus.keySet());
      reconcile();
    }
    return this;
  }

  private Behavior<CoordinatorWire.Command> onFrontendsListed(FrontendsListed m) {
    tables.frontends(m.refs());
    return this;
  }

  private Behavior<CoordinatorWire.Command> onReachability(Reachability m) {
    List<Gpu> changed = view.reachability(m.address(), m.reachable());
    changed.forEach(g -> getContext().getLog().info("GPU {} is {}", ClusterView.describe(g),
        m.reachable() ? "reachable again" : "unreachable"));
    if (!changed.isEmpty()) {
      reconcile();
    }
    return this;
  }

  private Behavior<CoordinatorWire.Command> onNodeRemoved(NodeRemoved m) {
    view.nodeRemoved(m.address());
    waiters.nodeRemoved(m.address()).forEach(Waiters.Answer::send);
    return this;
  }

  // ---- reports ----

  private Behavior<CoordinatorWire.Command> onTick() {
    view.tick(settings.reportInterval(), settings.rateHalfLife());
    view.gpus.values().forEach(asks::report);
    reconcile();
    return this;
  }

  private Behavior<CoordinatorWire.Command> onReportArrived(ReportArrived m) {
    ClusterView.ReportEffect effect = view.report(m.ref(), m.report(), m.asked());
    if (effect == ClusterView.ReportEffect.JOINED) {
      getContext().getLog().info("GPU {} joined: {} with {} bytes, holding {}", m.report().gpu(), m.report().device(),
          m.report().memoryBytes(), m.report().models().keySet());
    }
    if (effect == ClusterView.ReportEffect.JOINED || effect == ClusterView.ReportEffect.CHANGED) {
      reconcile();
    }
    return this;
  }

  private Behavior<CoordinatorWire.Command> onReportMissing(ReportMissing m) {
    Gpu g = view.gpus.get(m.ref());
    if (g != null) {
      getContext().getLog().debug("GPU {} did not report: {}", ClusterView.describe(g), m.why());
    }
    return this;
  }

  // ---- loads and unloads ----

  private Behavior<CoordinatorWire.Command> onLoadAnswered(LoadAnswered m) {
    Gpu g = view.gpus.get(m.ref());
    if (g == null) {
      return this;
    }
    if (m.reply() instanceof GpuWire.Loaded loaded) {
      getContext().getLog().info("model {} version {} serves on GPU {}", m.model(), loaded.info().version(),
          ClusterView.describe(g));
      if (view.loaded(g, m.model(), loaded.info())) {
        asks.unload(g, m.model()); // unloaded while it loaded
      }
    } else if (m.reply() instanceof GpuWire.LoadFailed failed) {
      getContext().getLog().warn("model {} failed to load on GPU {}: {}", m.model(), ClusterView.describe(g),
          failed.reason());
      view.loadFailed(g, m.model(), failed.reason(), clock.nanoTime());
    } else {
      // No answer: the GPU is slow or gone; the model is not at fault, the next reconcile retries.
      view.loadUnanswered(g, m.model());
      getContext().getLog().warn("no answer from GPU {} to loading model {}: {}", ClusterView.describe(g), m.model(),
          m.failure());
    }
    reconcile();
    return this;
  }

  private Behavior<CoordinatorWire.Command> onUnloadAnswered(UnloadAnswered m) {
    view.unloaded(m.ref(), m.model(), m.answered());
    waiters.unloadAnswered(m.model(), m.ref(), m.answered());
    reconcile();
    return this;
  }

  // ---- the repository API ----

  private Behavior<CoordinatorWire.Command> onLoadModel(CoordinatorWire.LoadModel m) {
    List<String> available = catalog.models();
    if (!available.contains(m.model())) {
      m.replyTo().tell(CoordinatorReplies.notInRepository(m.model(), available));
      return this;
    }
    Model model = view.models.computeIfAbsent(m.model(), this::newModel);
    model.failure = ""; // a new request retries a model that failed before (the repository may have been fixed)
    model.waiting.add(m.replyTo());
    reconcile();
    return this;
  }

  private Model newModel(String name) {
    return new Model(name, catalog.weightsEstimate(name), catalog.fusion(name));
  }

  private Behavior<CoordinatorWire.Command> onUnloadModel(CoordinatorWire.UnloadModel m) {
    Model model = view.models.remove(m.model());
    if (model == null && waiters.unloading(m.model())) {
      waiters.unload(m.model(), m.replyTo(), List.of()); // answered with the unload under way
      return this;
    }
    if (model == null) {
      m.replyTo().tell(CoordinatorReplies.notLoaded(m.model(), view.models.keySet()));
      return this;
    }
    model.waiting.forEach(w -> w.tell(CoordinatorReplies.unloadedWhileLoading(m.model())));
    List<Gpu> holders = view.holders(m.model());
    holders.stream().filter(g -> !g.unloading.contains(m.model())).forEach(g -> asks.unload(g, m.model()));
    waiters.unload(m.model(), m.replyTo(), holders);
    reconcile();
    return this;
  }

  private void reconcile() {
    if (!NodeFence.get(getContext().getSystem()).isOpen()) {
      return; // this node may have been downed (a long pause): another coordinator may be placing now
    }
    List<Reconciler.Step> steps = planner.next(view, clock.nanoTime());
    Map<GpuId, Gpu> byId = view.usableById();
    for (Reconciler.Step step : steps) {
      Gpu g = byId.get(step.gpu());
      NodeMetrics.of(getContext().getSystem()).placementChange(step instanceof Reconciler.Step.Load ? "load"
          : step instanceof Reconciler.Step.Unload ? "unload" : "drain");
      if (step instanceof Reconciler.Step.Load l) {
        asks.load(g, l.model());
      } else if (step instanceof Reconciler.Step.Unload u) {
        asks.unload(g, u.model());
      } else {
        asks.drain(g);
      }
    }
    waiters.loadsAndUnloadsDue(view, planner.shortfalls()).forEach(Waiters.Answer::send);
    waiters.drainsDue(view).forEach(Waiters.Answer::send);
    tables.publish(ClusterRoutes.of(view, planner.shortfalls(), settings.defaultRequestTime().toNanos()));
    PlacementEvents.emit(NodeEvents.of(getContext().getSystem()), tables.version(), steps);
  }

  // ---- operators ----

  private Behavior<CoordinatorWire.Command> onDrainNode(CoordinatorWire.DrainNode m) {
    List<Gpu> onNode = view.onNode(m.address());
    if (onNode.isEmpty()) {
      m.replyTo().tell(CoordinatorReplies.nothingToDrain(m.address(),
          CoordinatorReplies.members(Cluster.get(getContext().getSystem()).state())));
      return this;
    }
    view.drain(m.address());
    waiters.drain(m.address(), m.replyTo());
    getContext().getLog().info("draining node {} ({} GPU(s))", m.address(), onNode.size());
    reconcile();
    return this;
  }

  private Behavior<CoordinatorWire.Command> onDrainAnswered(DrainAnswered m) {
    view.drainAnswered(m.ref(), m.drained());
    reconcile();
    return this;
  }

  private Behavior<CoordinatorWire.Command> onSetPolicy(CoordinatorWire.SetPolicy m) {
    List<Gpu> reported = view.reported();
    List<Gpu> targets = reported.stream().filter(g -> m.gpu().equals("*") || g.report.gpu().equals(m.gpu())).toList();
    if (targets.isEmpty()) {
      m.replyTo().tell(CoordinatorReplies.noSuchGpu(m.gpu(), reported.stream().map(g -> g.report.gpu()).toList()));
      return this;
    }
    PolicyFanOut.ask(targets, m.policy(), settings.askTimeout(), getContext().getSystem().scheduler())
        .thenAccept(m.replyTo()::tell);
    return this;
  }

  private Behavior<CoordinatorWire.Command> onGetStatus(CoordinatorWire.GetStatus m) {
    m.replyTo().tell(CoordinatorReplies.status(selfAddress, tables.version(),
        Cluster.get(getContext().getSystem()).state(), view, tables.last()));
    return this;
  }
}
