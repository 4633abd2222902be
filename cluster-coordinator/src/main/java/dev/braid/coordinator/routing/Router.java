package dev.braid.coordinator.routing;

import dev.braid.time.NanoClock;
import dev.braid.coordinator.placement.GpuId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A frontend's routing: sends each request to the replica with the earliest predicted finish.
 * Not thread-safe: one owner (the frontend's actor) calls it.
 *
 * <p><b>Estimate of a replica</b> at time {@code now}: {@code max(0, q - (now - received)) +
 * local}, where {@code q} is the replica's queue in the latest table and {@code received} when this
 * router got that table (the coordinator's timestamp is on another clock); the queue drains at one
 * nanosecond of device time per nanosecond. {@code local} is the predicted time of every request
 * this router sent there since that table arrived and has not seen complete: added when routed,
 * subtracted on {@link #completed}. A new table starts {@code local} from zero, since its figures
 * include what was sent before it. Between tables, a burst therefore spreads over replicas instead
 * of piling onto the one that looked idlest.
 *
 * <p><b>What this router observed</b> bounds the estimate from below: {@code count * service},
 * where {@code count} is its requests still out at that replica and {@code service} the smoothed
 * time between two of them ending while others were still out (so idle gaps do not count). The
 * table's figures count device time only; for small models the per-request cost of the messages,
 * the batching and the host around the device dominates, and a frontend offered three times what
 * a remote GPU served piled its requests up until they missed their deadlines unrefused. With the
 * observed rate, the queue they form is seen, and admission refuses what it cannot hold.
 *
 * <p><b>Choice</b>: earliest predicted finish, then fewer requests in flight from this router,
 * then the lower {@link GpuId}.
 */
public final class Router {
  /** The choice's order (see the class doc), built once: it is used on every request. */
  private static final Comparator<ReplicaEstimate> BEST_FIRST = Comparator
      .comparingLong(ReplicaEstimate::predictedFinishNanos)
      .thenComparingInt(ReplicaEstimate::inFlight)
      .thenComparing(ReplicaEstimate::gpu);

  /** Weight of a new sample in the smoothed service time. */
  private static final double SERVICE_SMOOTHING = 0.05;

  private final NanoClock clock;
  private RoutingTable table = RoutingTable.EMPTY;
  private long tableReceivedNanos;
  /** Incremented on every applied table; a ticket routed under an older one no longer counts in {@code local}. */
  private long tableEpoch;
  private long nextTicket = 1;
  private final Map<Long, InFlight> inFlight = new HashMap<>();
  private final Map<GpuId, Local> local = new HashMap<>();

  private record InFlight(Route route, long epoch) {}

  /** Requests in flight to one GPU, and the device time of those routed since the current table. */
  private static final class Local {
    int count;
    long nanosSinceTable;
    /** When the last request routed here ended while others were still in flight; 0 when none. */
    long lastEndNanos;
    /** Smoothed time between two such ends: the replica's observed service time per request. */
    double serviceNanos;
  }

  public Router(NanoClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Applies {@code newer} if its version is higher than the table held; returns whether it did. */
  public boolean update(RoutingTable newer) {
    RoutingTable merged = table.merge(newer);
    if (merged == table) {
      return false;
    }
    table = merged;
    tableReceivedNanos = clock.nanoTime();
    tableEpoch++;
    local.values().forEach(l -> l.nanosSinceTable = 0);
    return true;
  }

  public RoutingTable table() {
    return table;
  }

  /**
   * Every replica of {@code model} except those on {@code excluding}, best first; empty when the
   * table has no route or no other replica.
   */
  public List<ReplicaEstimate> estimates(String model, Set<GpuId> excluding) {
    Optional<ModelRoute> route = table.route(model);
    if (route.isEmpty()) {
      return List.of();
    }
    long now = clock.nanoTime();
    long age = now - tableReceivedNanos;
    List<ReplicaEstimate> out = new ArrayList<>(route.get().replicas().size());
    for (ReplicaLoad r : route.get().replicas()) {
      if (excluding.contains(r.gpu())) {
        continue;
      }
      Local l = local.get(r.gpu());
      long queue = Math.max(0, r.predictedQueueNanos() - age) + (l == null ? 0 : l.nanosSinceTable);
      if (l != null) {
        // What this router has seen: its requests still out there, at the rate they come back.
        queue = Math.max(queue, (long) (l.count * l.serviceNanos));
      }
      out.add(new ReplicaEstimate(r.gpu(), queue, now + queue + route.get().requestNanos(), l == null ? 0 : l.count));
    }
    out.sort(BEST_FIRST);
    return out;
  }

  /** Records a request sent to {@code chosen}, one of {@link #estimates}' answers for {@code model}. */
  public Route routeTo(String model, ReplicaEstimate chosen) {
    long requestNanos = table.route(model)
        .orElseThrow(() -> new IllegalArgumentException("no route for model '" + model + "'"))
        .requestNanos();
    Route route = new Route(nextTicket++, model, chosen.gpu(), requestNanos, chosen.predictedFinishNanos());
    inFlight.put(route.ticket(), new InFlight(route, tableEpoch));
    Local l = local.computeIfAbsent(chosen.gpu(), g -> new Local());
    l.count++;
    l.nanosSinceTable += requestNanos;
    return route;
  }

  /** The request of {@code ticket} ended (answered, failed or timed out); unknown tickets are ignored. */
  public void completed(long ticket) {
    InFlight f = inFlight.remove(ticket);
    if (f == null) {
      return;
    }
    Local l = local.get(f.route().gpu());
    l.count--;
    if (f.epoch() == tableEpoch) {
      l.nanosSinceTable -= f.route().requestNanos();
    }
    long now = clock.nanoTime();
    if (l.count > 0) {
      // Busy: the time since the previous end is one request's service, as seen from here.
      if (l.lastEndNanos != 0) {
        double sample = now - l.lastEndNanos;
        l.serviceNanos = l.serviceNanos == 0 ? sample : l.serviceNanos + SERVICE_SMOOTHING * (sample - l.serviceNanos);
      }
      l.lastEndNanos = now;
    }
    if (l.count == 0) {
      // Idle: the next end starts a new busy period; the service time learnt is kept for it.
      l.lastEndNanos = 0;
      l.nanosSinceTable = 0;
    }
  }

  /** Requests routed and not yet completed (what a test checks for leaks). */
  public int inFlight() {
    return inFlight.size();
  }
}
