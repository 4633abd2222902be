package dev.braid.coordinator.cluster;

import dev.braid.time.NanoClock;
import dev.braid.coordinator.admission.Admission;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.coordinator.admission.Decision;
import dev.braid.coordinator.cluster.ClientRequest.Attempt;
import dev.braid.coordinator.metrics.FrontendMetrics;
import dev.braid.coordinator.metrics.NodeMetrics;
import dev.braid.coordinator.routing.Route;
import dev.braid.coordinator.routing.Router;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import dev.braid.protocol.serialization.ProtocolSettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * A frontend's way into the cluster: admits each request ({@link Admission}), sends it straight to
 * the GPU endpoint its {@link Router} picks from the coordinator's latest routing table ({@link
 * FrontendRouting}), and completes the caller's future with the one answer. Thread-safe: the gRPC
 * threads call {@link #infer}; three small actors feed it the routing tables, the GPUs' replies and
 * membership changes.
 *
 * <p><b>Nothing is left unanswered.</b> Every admitted request ends in exactly one of: the GPU's
 * outputs, the GPU's error, or a failure of this client: when the GPU answers UNAVAILABLE (it
 * drains, unloaded the model, or its device failed), when its node becomes unreachable or leaves,
 * or when no answer came within the budget plus {@code replyGrace} ({@link ReplyDeadlines}), the
 * request is retried once on another replica if its deadline allows (see {@link Admission#retry}),
 * else failed UNAVAILABLE naming what happened.
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

  private final ActorSystem<?> system;
  private final NanoClock clock;
  private final Duration replyGrace;
  private final int maxMessageBytes;
  /** Tensor bytes a message to a remote GPU may carry: the message bound less room for names and framing. */
  private final long maxRemotePayloadBytes;
  private final FrontendRouting routing;
  private final String idPrefix;
  private final AtomicLong nextId = new AtomicLong();
  /** The requests sent and not answered, by the id of their attempt in flight. */
  private final Map<String, ClientRequest> inFlight = new ConcurrentHashMap<>();
  private final ReplyDeadlines deadlines;
  private final CompletableFuture<Void> firstTable = new CompletableFuture<>();
  private ActorRef<InferenceWire.Reply> replies;
  private final List<Runnable> tableListeners = new CopyOnWriteArrayList<>();
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
    this.routing = new FrontendRouting(admissionSettings, clock);
    this.deadlines = new ReplyDeadlines(system, clock,
        a -> a.request().route == a.route() && inFlight.get(a.request().attemptId) == a.request(), this::timedOut);
    this.idPrefix = Cluster.get(system).selfMember().address().toString() + "/" + Long.toHexString(clock.nanoTime())
        + "/";
    this.metrics = NodeMetrics.of(system).frontend(m -> routing.views().containsKey(m),
        m -> routing.views().containsKey(m) ? routing.views().get(m).version() : -1, () -> tableVersion < 0 ? -1 : TablePublisher.counterOf(tableVersion),
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
    }), "frontend-replies", Props.empty());
    ActorRef<RoutingTableWire> tables = system.systemActorOf(Behaviors.<RoutingTableWire>receiveMessage(t -> {
      client.onTable(t);
      return Behaviors.same();
    }), "frontend-tables", Props.empty());
    system.receptionist().tell(Receptionist.register(Coordinator.FRONTENDS, tables));
    ActorRef<ClusterEvent.ClusterDomainEvent> members = system.systemActorOf(
        Behaviors.<ClusterEvent.ClusterDomainEvent>receiveMessage(e -> {
          MemberChange.of(e).ifPresent(client::onMemberChange);
          return Behaviors.same();
        }), "frontend-members", Props.empty());
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
    return Optional.ofNullable(routing.views().get(name));
  }

  /** Every model the latest table lists, by name. */
  public Map<String, ModelView> models() {
    return routing.views();
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
    return infer(model, version, inputs, budget, priority, tenant, "");
  }

  /** As {@link #infer(String, String, Map, Duration, int, String)}, telling the GPU the client's own id of the request. */
  public CompletableFuture<Map<String, Tensor>> infer(String model, String version, Map<String, Tensor> inputs,
      Duration budget, int priority, String tenant, String clientRequestId) {
    ClientRequest p = new ClientRequest(idPrefix + nextId.incrementAndGet(), model, version, inputs,
        clock.nanoTime() + budget.toNanos(), priority, tenant, clientRequestId);
    Decision d = routing.admit(p.admissionRequest());
    if (d instanceof Decision.Refused refused) {
      metrics.refused(model, refused.reason());
      p.result.completeExceptionally(refused.reason().status(refused.message()).asRuntimeException());
      return p.result;
    }
    metrics.admitted(model);
    send(p, ((Decision.Admitted) d).route());
    return p.result;
  }

  private void send(ClientRequest p, Route route) {
    p.route = route;
    p.attemptId = p.requestId + (p.retried ? "#2" : "#1");
    long left = p.deadlineNanos - clock.nanoTime();
    if (left <= 0) {
      routing.completed(route);
      fail(p, FailureReason.TOO_LATE.status("model '" + p.model + "': the deadline passed before the "
          + (p.retried ? "retry" : "request") + " could be sent"));
      return;
    }
    ActorRef<InferenceWire.Infer> endpoint = routing.claim(p, inFlight);
    if (endpoint == null) {
      retry(p, "replica " + route.gpu() + " left the routing table before the request was sent");
      return;
    }
    if (endpoint.path().address().hasGlobalScope() && p.payloadBytes > maxRemotePayloadBytes) {
      inFlight.remove(p.attemptId, p);
      routing.completed(route);
      fail(p, Status.RESOURCE_EXHAUSTED.withDescription("model '" + p.model + "': the request's inputs take "
          + p.payloadBytes + " bytes, more than a cluster message carries to a GPU on another node ("
          + maxRemotePayloadBytes + " bytes of tensors within braid.protocol.max-message-bytes = " + maxMessageBytes
          + "); send smaller batches"));
      return;
    }
    long now = clock.nanoTime();
    deadlines.add(new Attempt(p, route), now, now + left + replyGrace.toNanos(), inFlight.size());
    endpoint.tell(new InferenceWire.Infer(p.attemptId, p.model, p.version, p.inputs, Duration.ofNanos(left),
        p.priority, p.tenant, replies, p.clientRequestId));
  }

  private void onReply(InferenceWire.Reply reply) {
    ClientRequest p = inFlight.remove(reply.requestId());
    if (p == null) {
      return; // answered already (a retry's first attempt answering late, or timed out)
    }
    if (reply instanceof InferenceWire.Completed done) {
      routing.completed(p.route);
      metrics.ended(p.model, Status.Code.OK, clock.nanoTime() <= p.deadlineNanos);
      p.result.complete(done.outputs());
      return;
    }
    InferenceWire.Failed failed = (InferenceWire.Failed) reply;
    if (failed.reason().retriesElsewhere()) {
      retry(p, failed.message());
      return;
    }
    routing.completed(p.route);
    fail(p, failed.reason().status(failed.message()));
  }

  private void timedOut(Attempt a) {
    ClientRequest p = a.request();
    if (p.route == a.route() && inFlight.remove(p.attemptId, p)) {
      retry(p, "no answer from " + a.route().gpu() + " within the request's budget and " + replyGrace.toMillis()
          + " ms of grace");
    }
  }

  /** The one retry, after {@code why}; or UNAVAILABLE. */
  private void retry(ClientRequest p, String why) {
    if (p.retried) {
      routing.completed(p.route);
      fail(p, FailureReason.RETRY_IMPOSSIBLE.status("model '" + p.model + "': " + why + " (after one retry)"));
      return;
    }
    Decision d = routing.retry(p.admissionRequest(), p.route);
    if (d instanceof Decision.Refused refused) {
      fail(p, FailureReason.RETRY_IMPOSSIBLE.status(why + "; " + refused.message()));
    } else {
      p.retried = true;
      metrics.retried(p.model);
      system.log().debug("request {} of model {} retried after: {}", p.requestId, p.model, why);
      send(p, ((Decision.Admitted) d).route());
    }
  }

  private void fail(ClientRequest p, Status status) {
    metrics.ended(p.model, status.getCode(), false);
    p.result.completeExceptionally(status.asRuntimeException());
  }

  // ---- tables and membership ----

  private void onTable(RoutingTableWire table) {
    if (!routing.table(table)) {
      return;
    }
    tableVersion = table.version();
    tableReceivedNanos = clock.nanoTime();
    tableListeners.forEach(Runnable::run);
    firstTable.complete(null);
  }

  /** A node down: its replicas leave routing and the requests in flight there are retried. */
  private void onMemberChange(MemberChange change) {
    if (!routing.member(change)) {
      return;
    }
    tableListeners.forEach(Runnable::run);
    if (change.down()) {
      system.log().info("node {} is {}: its replicas leave this frontend's routing; requests in flight there are "
          + "retried", change.address(), change.removed() ? "removed" : "unreachable");
      List<ClientRequest> stranded = inFlight.values().stream()
          .filter(p -> change.address().equals(p.nodeAddress)).toList();
      for (ClientRequest p : stranded) {
        if (inFlight.remove(p.attemptId, p)) {
          retry(p, "node " + change.address() + " holding the request became unreachable");
        }
      }
    }
  }
}
