package dev.braid.coordinator.cluster;

import dev.braid.config.DeadlineQueue;
import dev.braid.config.NanoClock;
import dev.braid.coordinator.admission.Admission;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.coordinator.admission.Decision;
import dev.braid.coordinator.admission.InferenceRequest;
import dev.braid.coordinator.metrics.FrontendMetrics;
import dev.braid.coordinator.metrics.NodeMetrics;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.coordinator.routing.ModelRoute;
import dev.braid.coordinator.routing.ReplicaLoad;
import dev.braid.coordinator.routing.Route;
import dev.braid.coordinator.routing.Router;
import dev.braid.coordinator.routing.RoutingTable;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import dev.braid.protocol.serialization.ProtocolSettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * A frontend's way into the cluster: admits each request ({@link Admission}), sends it straight to
 * the GPU endpoint its {@link Router} picks from the coordinator's latest routing table, and
 * completes the caller's future with the one answer. Thread-safe: the gRPC threads call {@link
 * #infer}; three small actors feed it the routing tables, the GPUs' replies and membership
 * changes.
 *
 * <p><b>Nothing is left unanswered.</b> Every admitted request ends in exactly one of: the GPU's
 * outputs, the GPU's error, or a failure of this client: when the GPU answers UNAVAILABLE (it
 * drains, unloaded the model, or its device failed), when its node becomes unreachable or leaves,
 * or when no answer came within the budget plus {@code replyGrace}, the request is retried once on
 * another replica if its deadline allows (see {@link Admission#retry}), else failed UNAVAILABLE
 * naming what happened.
 *
 * <p><b>A node that goes away</b>: its replicas leave this frontend's routing at once (before the
 * coordinator's next table says so) and come back if it becomes reachable again.
 */
public final class ClusterClient {
  /** What {@link #model} tells of one model. */
  public record ModelView(String name, String state, long version, String reason) {
    public boolean ready() {
      return "READY".equals(state);
    }
  }

  /** A request sent and not yet answered. */
  private static final class Pending {
    final String requestId;
    final String model;
    final String version;
    final Map<String, Tensor> inputs;
    final long deadlineNanos;
    final int priority;
    final String tenant;
    final long payloadBytes;
    final CompletableFuture<Map<String, Tensor>> result = new CompletableFuture<>();
    volatile Route route;
    /** The id of the attempt in flight: {@code requestId#1}, then {@code #2} for the retry, so that a late answer
     * of the first attempt is not taken for the retry's. */
    volatile String attemptId;
    volatile String nodeAddress;
    volatile boolean retried;

    Pending(String requestId, String model, String version, Map<String, Tensor> inputs, long deadlineNanos,
        int priority, String tenant) {
      this.requestId = requestId;
      this.model = model;
      this.version = version;
      this.inputs = inputs;
      this.deadlineNanos = deadlineNanos;
      this.priority = priority;
      this.tenant = tenant;
      long bytes = 0;
      for (Tensor t : inputs.values()) {
        bytes += (long) t.size() * t.dtype().sizeBytes();
      }
      this.payloadBytes = bytes;
    }

    InferenceRequest request() {
      return new InferenceRequest(model, tenant, deadlineNanos);
    }
  }

  /**
   * One sending of a request, waiting for its answer until its budget plus {@code replyGrace}. It
   * stops waiting once the request is answered or sent again (a retry routes anew).
   */
  private record Attempt(Pending pending, Route route) {}

  private final ActorSystem<?> system;
  private final NanoClock clock;
  private final Duration replyGrace;
  private final int maxMessageBytes;
  /** Tensor bytes a message to a remote GPU may carry: the message bound less room for names and framing. */
  private final long maxRemotePayloadBytes;
  private final Object lock = new Object();
  private final Router router;
  private final Admission admission;
  private final String idPrefix;
  private final AtomicLong nextId = new AtomicLong();
  private final Map<String, Pending> inFlight = new ConcurrentHashMap<>();
  // Guarded by lock.
  /**
   * The attempts in flight by when they stop waiting, behind one timer for the earliest (a Pekko
   * scheduled task per request cost more than routing it).
   */
  private final DeadlineQueue<Attempt> replyWaits = new DeadlineQueue<>(
      a -> a.pending().route == a.route() && inFlight.get(a.pending().attemptId) == a.pending());
  private Cancellable replyTimer;
  /** When {@code replyTimer} fires; {@link Long#MAX_VALUE} when it is not set. */
  private long replyTimerDueNanos = Long.MAX_VALUE;
  private RoutingTableWire wireTable;
  private long localVersion;
  private final Set<String> downNodes = new HashSet<>();
  private Map<GpuId, ActorRef<InferenceWire.Infer>> endpoints = Map.of();
  private Map<GpuId, String> nodeOf = Map.of();
  private final CompletableFuture<Void> firstTable = new CompletableFuture<>();
  private volatile Map<String, ModelView> views = Map.of();
  private ActorRef<InferenceWire.Reply> replies;
  private final List<Runnable> tableListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** When the current wire table arrived, on {@code clock}; read by the metrics' scrape. */
  private volatile long tableReceivedNanos = -1;
  private volatile long tableVersion = -1;
  /** This node's frontend metrics (dev.braid.coordinator.metrics): admissions, refusals, retries, outcomes. */
  private final FrontendMetrics metrics;

  private ClusterClient(ActorSystem<?> system, AdmissionSettings admissionSettings, Duration replyGrace) {
    this.system = system;
    this.clock = NanoClock.system();
    this.replyGrace = replyGrace;
    this.maxMessageBytes = ProtocolSettings.fromConfig(system.settings().config()).maxMessageBytes();
    this.maxRemotePayloadBytes = maxMessageBytes - 64 * 1024;
    this.router = new Router(clock);
    this.admission = new Admission(admissionSettings, clock);
    this.idPrefix = Cluster.get(system).selfMember().address().toString() + "/" + Long.toHexString(System.nanoTime())
        + "/";
    this.metrics = NodeMetrics.of(system).frontend(m -> views.containsKey(m),
        m -> views.containsKey(m) ? views.get(m).version() : -1, () -> tableVersion,
        () -> tableReceivedNanos < 0 ? -1 : clock.nanoTime() - tableReceivedNanos, this::inFlight);
  }

  /** This frontend's metrics recorder (disabled when the node keeps no metrics). */
  public FrontendMetrics metrics() {
    return metrics;
  }

  /**
   * Starts the client's actors on {@code system} (which must be a cluster member) and registers
   * this frontend with the Receptionist so that the coordinator sends it tables.
   */
  public static ClusterClient start(ActorSystem<?> system, AdmissionSettings admission, Duration replyGrace) {
    ClusterClient client = new ClusterClient(system, admission, replyGrace);
    client.replies = system.systemActorOf(Behaviors.<InferenceWire.Reply>receiveMessage(r -> {
      client.onReply(r);
      return Behaviors.same();
    }), "frontend-replies", org.apache.pekko.actor.typed.Props.empty());
    ActorRef<RoutingTableWire> tables = system.systemActorOf(Behaviors.<RoutingTableWire>receiveMessage(t -> {
      client.onTable(t);
      return Behaviors.same();
    }), "frontend-tables", org.apache.pekko.actor.typed.Props.empty());
    system.receptionist().tell(Receptionist.register(Coordinator.FRONTENDS, tables));
    ActorRef<ClusterEvent.ClusterDomainEvent> members = system.systemActorOf(
        Behaviors.<ClusterEvent.ClusterDomainEvent>receiveMessage(e -> {
          client.onMemberEvent(e);
          return Behaviors.same();
        }), "frontend-members", org.apache.pekko.actor.typed.Props.empty());
    Cluster.get(system).subscriptions().tell(Subscribe.create(members.narrow(), ClusterEvent.ReachabilityEvent.class));
    Cluster.get(system).subscriptions().tell(Subscribe.create(members.narrow(), ClusterEvent.MemberEvent.class));
    return client;
  }

  /** Runs {@code listener} after every routing table or membership change (on an actor's thread: keep it short). */
  public void onChange(Runnable listener) {
    tableListeners.add(listener);
  }

  /** Completes once the first routing table has arrived. */
  public CompletionStage<Void> firstTable() {
    return firstTable;
  }

  /** The model as the latest table has it; empty when the cluster does not serve it. */
  public Optional<ModelView> model(String name) {
    return Optional.ofNullable(views.get(name));
  }

  /** Every model the latest table lists, by name. */
  public Map<String, ModelView> models() {
    return views;
  }

  /** Whether a table has arrived. */
  public boolean hasTable() {
    return firstTable.isDone();
  }

  /** Requests sent and not yet answered. */
  public int inFlight() {
    return inFlight.size();
  }

  /**
   * Runs one request somewhere in the cluster. Completes with the outputs, or fails with a {@link
   * StatusRuntimeException}: refused by admission (NOT_FOUND, RESOURCE_EXHAUSTED,
   * DEADLINE_EXCEEDED, UNAVAILABLE, at once), or the GPU's own error, or UNAVAILABLE when its
   * replica went away and no retry could make the deadline.
   *
   * @param version "" for the version the cluster serves
   * @param budget time until the client's deadline, > 0
   */
  public CompletableFuture<Map<String, Tensor>> infer(String model, String version, Map<String, Tensor> inputs,
      Duration budget, int priority, String tenant) {
    Pending p = new Pending(idPrefix + nextId.incrementAndGet(), model, version, inputs,
        clock.nanoTime() + budget.toNanos(), priority, tenant);
    Decision d;
    synchronized (lock) {
      d = admission.admit(p.request(), router);
    }
    if (d instanceof Decision.Refused refused) {
      metrics.refused(model, refused.reason());
      p.result.completeExceptionally(status(refused));
      return p.result;
    }
    metrics.admitted(model);
    send(p, ((Decision.Admitted) d).route());
    return p.result;
  }

  private void send(Pending p, Route route) {
    ActorRef<InferenceWire.Infer> endpoint;
    p.route = route;
    p.attemptId = p.requestId + (p.retried ? "#2" : "#1");
    long left = p.deadlineNanos - clock.nanoTime();
    if (left <= 0) {
      synchronized (lock) {
        router.completed(route.ticket());
      }
      fail(p, Status.DEADLINE_EXCEEDED.withDescription("model '" + p.model + "': the deadline passed before the "
          + (p.retried ? "retry" : "request") + " could be sent"));
      return;
    }
    synchronized (lock) {
      endpoint = endpoints.get(route.gpu());
      p.nodeAddress = nodeOf.get(route.gpu());
      if (endpoint != null) {
        // Under the lock that a node's loss takes too: either that loss finds it here, or this
        // send no longer finds the node's endpoint.
        inFlight.put(p.attemptId, p);
      }
    }
    if (endpoint == null) {
      retry(p, "replica " + route.gpu() + " left the routing table before the request was sent");
      return;
    }
    if (endpoint.path().address().hasGlobalScope() && p.payloadBytes > maxRemotePayloadBytes) {
      inFlight.remove(p.attemptId, p);
      synchronized (lock) {
        router.completed(route.ticket());
      }
      fail(p, Status.RESOURCE_EXHAUSTED.withDescription("model '" + p.model + "': the request's inputs take "
          + p.payloadBytes + " bytes, more than a cluster message carries to a GPU on another node ("
          + maxRemotePayloadBytes + " bytes of tensors within braid.protocol.max-message-bytes = " + maxMessageBytes
          + "); send smaller batches"));
      return;
    }
    long now = clock.nanoTime();
    long waitUntil = now + left + replyGrace.toNanos();
    synchronized (lock) {
      replyWaits.add(new Attempt(p, route), waitUntil, inFlight.size());
      if (waitUntil < replyTimerDueNanos) {
        setReplyTimer(now, waitUntil);
      }
    }
    endpoint.tell(new InferenceWire.Infer(p.attemptId, p.model, p.version, p.inputs, Duration.ofNanos(left),
        p.priority, p.tenant, replies));
  }

  private void onReply(InferenceWire.Reply reply) {
    Pending p = inFlight.remove(reply.requestId());
    if (p == null) {
      return; // answered already (a retry's first attempt answering late, or timed out)
    }
    if (reply instanceof InferenceWire.Completed done) {
      synchronized (lock) {
        router.completed(p.route.ticket());
      }
      metrics.ended(p.model, Status.Code.OK, clock.nanoTime() <= p.deadlineNanos);
      p.result.complete(done.outputs());
      return;
    }
    InferenceWire.Failed failed = (InferenceWire.Failed) reply;
    if (failed.reason() == InferenceWire.FailureReason.UNAVAILABLE) {
      retry(p, failed.message());
      return;
    }
    synchronized (lock) {
      router.completed(p.route.ticket());
    }
    fail(p, statusOf(failed.reason()).withDescription(failed.message()));
  }

  /** Sets the one reply timer for {@code dueNanos}. Holds lock. */
  private void setReplyTimer(long nowNanos, long dueNanos) {
    if (replyTimer != null) {
      replyTimer.cancel();
    }
    replyTimerDueNanos = dueNanos;
    replyTimer = system.scheduler().scheduleOnce(Duration.ofNanos(Math.max(0, dueNanos - nowNanos)),
        this::onReplyTimer, system.executionContext());
  }

  /** Retries (or fails) every attempt whose wait is over, and sets the timer for the next. */
  private void onReplyTimer() {
    List<Attempt> over = new ArrayList<>();
    long now = clock.nanoTime();
    synchronized (lock) {
      replyTimer = null;
      replyTimerDueNanos = Long.MAX_VALUE;
      replyWaits.pollDue(now, over::add);
      long next = replyWaits.nextDueNanos();
      if (next != Long.MAX_VALUE) {
        setReplyTimer(now, next);
      }
    }
    for (Attempt a : over) {
      timedOut(a.pending(), a.route());
    }
  }

  private void timedOut(Pending p, Route route) {
    if (p.route == route && inFlight.remove(p.attemptId, p)) {
      retry(p, "no answer from " + route.gpu() + " within the request's budget and " + replyGrace.toMillis()
          + " ms of grace");
    }
  }

  /** The one retry, after {@code why}; or UNAVAILABLE. */
  private void retry(Pending p, String why) {
    Decision d;
    synchronized (lock) {
      if (p.retried) {
        router.completed(p.route.ticket());
        d = null;
      } else {
        d = admission.retry(p.request(), p.route, router);
      }
    }
    if (d == null) {
      fail(p, Status.UNAVAILABLE.withDescription("model '" + p.model + "': " + why + " (after one retry)"));
    } else if (d instanceof Decision.Refused refused) {
      fail(p, Status.UNAVAILABLE.withDescription(why + "; " + refused.message()));
    } else {
      p.retried = true;
      metrics.retried(p.model);
      system.log().debug("request {} of model {} retried after: {}", p.requestId, p.model, why);
      send(p, ((Decision.Admitted) d).route());
    }
  }

  private void fail(Pending p, Status status) {
    metrics.ended(p.model, status.getCode(), false);
    p.result.completeExceptionally(status.asRuntimeException());
  }

  // ---- tables and membership ----

  private void onTable(RoutingTableWire table) {
    synchronized (lock) {
      if (wireTable != null && table.version() <= wireTable.version()) {
        return;
      }
      wireTable = table;
      tableVersion = table.version();
      tableReceivedNanos = clock.nanoTime();
      rederive();
    }
    tableListeners.forEach(Runnable::run);
    firstTable.complete(null);
  }

  private void onMemberEvent(ClusterEvent.ClusterDomainEvent e) {
    String address;
    boolean down;
    if (e instanceof ClusterEvent.UnreachableMember u) {
      address = u.member().address().toString();
      down = true;
    } else if (e instanceof ClusterEvent.MemberRemoved r) {
      address = r.member().address().toString();
      down = true;
    } else if (e instanceof ClusterEvent.ReachableMember r) {
      address = r.member().address().toString();
      down = false;
    } else if (e instanceof ClusterEvent.MemberUp u) {
      address = u.member().address().toString();
      down = false;
    } else {
      return;
    }
    List<Pending> stranded = new ArrayList<>();
    synchronized (lock) {
      boolean changed = down ? downNodes.add(address) : downNodes.remove(address);
      if (!changed) {
        return;
      }
      rederive();
    }
    tableListeners.forEach(Runnable::run);
    if (down) {
      system.log().info("node {} is {}: its replicas leave this frontend's routing; requests in flight there are "
          + "retried", address, e instanceof ClusterEvent.MemberRemoved ? "removed" : "unreachable");
      for (Pending p : inFlight.values()) {
        if (address.equals(p.nodeAddress)) {
          stranded.add(p);
        }
      }
      for (Pending p : stranded) {
        if (inFlight.remove(p.attemptId, p)) {
          retry(p, "node " + address + " holding the request became unreachable");
        }
      }
    }
  }

  /** The router's table and the endpoints from the latest wire table, less the nodes that are down. Holds lock. */
  private void rederive() {
    if (wireTable == null) {
      return;
    }
    List<ModelRoute> routes = new ArrayList<>();
    Map<GpuId, ActorRef<InferenceWire.Infer>> refs = new HashMap<>();
    Map<GpuId, String> nodes = new HashMap<>();
    Map<String, ModelView> newViews = new HashMap<>();
    for (RoutingTableWire.Route r : wireTable.models().values()) {
      List<ReplicaLoad> loads = new ArrayList<>();
      for (RoutingTableWire.Replica x : r.replicas()) {
        if (downNodes.contains(x.nodeAddress())) {
          continue;
        }
        GpuId id = new GpuId(x.nodeAddress(), x.ordinal());
        refs.put(id, x.gpu());
        nodes.put(id, x.nodeAddress());
        loads.add(new ReplicaLoad(id, x.queueDepth(), x.predictedQueueNanos(), x.sloAttainment()));
      }
      routes.add(new ModelRoute(r.model(), r.requestNanos(), loads));
      String state = r.state().equals("READY") && loads.isEmpty() ? "UNAVAILABLE" : r.state();
      String reason = loads.isEmpty() && r.reason().isEmpty() && !r.replicas().isEmpty()
          ? "every replica is on a node that is unreachable" : r.reason();
      newViews.put(r.model(), new ModelView(r.model(), state, r.modelVersion(), reason));
    }
    endpoints = refs;
    nodeOf = nodes;
    router.update(RoutingTable.of(++localVersion, clock.nanoTime(), routes));
    views = Map.copyOf(newViews);
  }

  private static StatusRuntimeException status(Decision.Refused refused) {
    return Status.fromCode(Status.Code.valueOf(refused.status().name())).withDescription(refused.message())
        .asRuntimeException();
  }

  private static Status statusOf(InferenceWire.FailureReason reason) {
    return switch (reason) {
      case MODEL_NOT_FOUND -> Status.NOT_FOUND;
      case INVALID_INPUT -> Status.INVALID_ARGUMENT;
      case OVERLOADED -> Status.RESOURCE_EXHAUSTED;
      case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case INTERNAL -> Status.INTERNAL;
    };
  }
}
