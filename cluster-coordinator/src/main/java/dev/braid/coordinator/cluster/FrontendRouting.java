package dev.braid.coordinator.cluster;

import dev.braid.time.NanoClock;
import dev.braid.coordinator.admission.Admission;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.coordinator.admission.Decision;
import dev.braid.coordinator.admission.InferenceRequest;
import dev.braid.coordinator.cluster.ClusterClient.ModelView;
import dev.braid.coordinator.routing.Route;
import dev.braid.coordinator.routing.Router;
import dev.braid.coordinator.routing.RoutingTable;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A frontend's routing: the coordinator's latest table, the nodes this frontend sees down (their
 * replicas leave routing at once, before the coordinator's next table says so, and come back if
 * they become reachable again), and the {@link Router} and {@link Admission} that decide from what
 * {@link TableDerivation} makes of them. Thread-safe: one monitor guards it all, so that a request
 * is either registered in flight before its node's loss is taken, and that loss finds it, or finds
 * its node's endpoint gone.
 */
final class FrontendRouting {
  private final NanoClock clock;
  private final Router router;
  private final Admission admission;
  // Guarded by this.
  private RoutingTableWire table;
  private long localVersion;
  private final Set<String> downNodes = new HashSet<>();
  private TableDerivation derived;
  private volatile Map<String, ModelView> views = Map.of();

  FrontendRouting(AdmissionSettings admissionSettings, NanoClock clock) {
    this.clock = clock;
    this.router = new Router(clock);
    this.admission = new Admission(admissionSettings, clock);
  }

  /** Each model as the latest table has it, less the nodes down. */
  Map<String, ModelView> views() {
    return views;
  }

  /** Admits {@code request} and picks its replica ({@link Admission#admit}). */
  synchronized Decision admit(InferenceRequest request) {
    return admission.admit(request, router);
  }

  /** Admits {@code request} again on another replica than {@code failed} ({@link Admission#retry}). */
  synchronized Decision retry(InferenceRequest request, Route failed) {
    return admission.retry(request, failed, router);
  }

  /** The request routed by {@code route} is answered (or failed): the replica's load goes. */
  synchronized void completed(Route route) {
    router.completed(route.ticket());
  }

  /**
   * The endpoint of the replica {@code request} is routed to ({@code request.route}), null when it
   * left routing; when there is one, {@code request} is registered in {@code inFlight} under its
   * attempt id and its node noted, before any loss of that node is taken.
   */
  synchronized ActorRef<InferenceWire.Infer> claim(ClientRequest request, Map<String, ClientRequest> inFlight) {
    ActorRef<InferenceWire.Infer> endpoint = derived == null ? null : derived.endpoints().get(request.route.gpu());
    request.nodeAddress = derived == null ? null : derived.nodeOf().get(request.route.gpu());
    if (endpoint != null) {
      inFlight.put(request.attemptId, request);
    }
    return endpoint;
  }

  /** Takes {@code newer} unless a table as new was taken; true when it was. */
  synchronized boolean table(RoutingTableWire newer) {
    if (table != null && newer.version() <= table.version()) {
      return false;
    }
    table = newer;
    rederive();
    return true;
  }

  /** Takes a node's going down or coming back; true when it changed anything. */
  synchronized boolean member(MemberChange change) {
    boolean changed = change.down() ? downNodes.add(change.address()) : downNodes.remove(change.address());
    if (changed) {
      rederive();
    }
    return changed;
  }

  /** The router's table and the endpoints from the latest table, less the nodes that are down. Holds this. */
  private void rederive() {
    if (table == null) {
      return;
    }
    derived = TableDerivation.of(table, downNodes);
    router.update(RoutingTable.of(++localVersion, clock.nanoTime(), derived.routes()));
    views = derived.views();
  }
}
