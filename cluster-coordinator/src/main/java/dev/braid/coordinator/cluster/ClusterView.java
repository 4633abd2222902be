package dev.braid.coordinator.cluster;

import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the {@link Coordinator} knows of the cluster: its GPUs (latest report, reachability, what
 * each holds, loads and unloads in progress, drains) and the models it should serve, with the
 * bookkeeping each event does to it (a report, a load's or unload's answer, a change of
 * reachability, a tick of the arrival rates) and the reads the others build on: the serving
 * replicas, the usable GPUs, what a GPU measured. What is derived from it lives beside it: the
 * reconciler's and placement's inputs in {@link ReconcilePlanner}, the routing table in {@link
 * ClusterRoutes}, the reports for status in {@link CoordinatorReplies}. No actor, no clock, no
 * messages: the coordinator hands it each event with the time and sends what the answers call for.
 */
final class ClusterView {
  /** One GPU endpoint. */
  static final class Gpu {
    final ActorRef<GpuWire.Command> ref;
    GpuWire.Report report;
    boolean unreachable;
    boolean draining;
    boolean drainSent;
    boolean drained;
    final Set<String> loading = new HashSet<>();
    final Set<String> unloading = new HashSet<>();
    final Map<String, GpuWire.ModelInfo> loaded = new TreeMap<>();
    /** Per model, the request count of its previous report, for the arrival rate. */
    final Map<String, Long> requestsSeen = new HashMap<>();
    /** Per model, when loading it here last failed: not tried here again before the backoff. */
    final Map<String, Long> failedAt = new HashMap<>();
    /** How many reports were asked of it: a report is numbered by this when it is asked. */
    long reportsAsked;
    /**
     * Per model, {@link #reportsAsked} when its latest load or unload answer came: a report asked
     * no later may predate that answer, so it does not overrule it for that model.
     */
    final Map<String, Long> answeredAt = new HashMap<>();

    Gpu(ActorRef<GpuWire.Command> ref) {
      this.ref = ref;
    }

    GpuId id() {
      return new GpuId(report.nodeAddress(), report.ordinal());
    }

    boolean usable() {
      return report != null && !unreachable && report.healthy();
    }

    /** Whether loading {@code model} here failed within {@code backoffNanos} of {@code now}. */
    boolean failedRecently(String model, long now, long backoffNanos) {
      Long at = failedAt.get(model);
      return at != null && now - at < backoffNanos;
    }

    /** Takes new replicas and new requests. */
    boolean serving() {
      return usable() && !draining;
    }
  }

  /** One model the cluster should serve. */
  static final class Model {
    final String name;
    final long weightsEstimate;
    double requestsPerSecond;
    long requestsSinceTick;
    String failure = "";
    final List<ActorRef<CoordinatorWire.ModelReply>> waiting = new ArrayList<>();

    final FusionProfile fusion;

    Model(String name, long weightsEstimate, FusionProfile fusion) {
      this.name = name;
      this.weightsEstimate = weightsEstimate;
      this.fusion = fusion;
    }
  }

  /** What a report changed, for the coordinator to log and reconcile. */
  enum ReportEffect {
    /** From a GPU no longer listed: dropped. */
    IGNORED,
    /** The GPU's first report: it joined with what it holds. */
    JOINED,
    /** Its usability changed, or it drains by itself and its drain was not sent: reconcile. */
    CHANGED,
    /** Figures only. */
    REFRESHED
  }

  /** The GPUs, by endpoint, in the order they joined. */
  final Map<ActorRef<GpuWire.Command>, Gpu> gpus = new LinkedHashMap<>();

  /** The models the cluster should serve, by name. */
  final TreeMap<String, Model> models = new TreeMap<>();

  /**
   * The nodes an operator drains, by address, until they leave the cluster: a GPU of one drains
   * whenever it (re)joins the view, as after its node was unreachable a moment (the Receptionist
   * lists only reachable GPUs, so the view forgot it meanwhile).
   */
  final Set<String> drainingNodes = new HashSet<>();

  // ---- bookkeeping ----

  /** The GPUs a Receptionist listing added (to be asked for a report) and those that left. */
  record Listed(List<Gpu> added, List<Gpu> left) {}

  /**
   * Forgets the GPUs no longer listed and adds the new ones ({@code unreachable} says whether a
   * new one's node is unreachable now: a node restarted at an old address is reachable again
   * without any event for it).
   */
  Listed listed(Set<ActorRef<GpuWire.Command>> refs, Predicate<ActorRef<GpuWire.Command>> unreachable) {
    List<Gpu> left = gpus.values().stream().filter(g -> !refs.contains(g.ref)).toList();
    gpus.keySet().retainAll(refs);
    List<Gpu> added = new ArrayList<>();
    for (ActorRef<GpuWire.Command> ref : refs) {
      if (!gpus.containsKey(ref)) {
        Gpu g = new Gpu(ref);
        g.unreachable = unreachable.test(ref);
        gpus.put(ref, g);
        added.add(g);
      }
    }
    return new Listed(added, left);
  }

  /** Marks the GPUs of the node at {@code address}; returns those whose reachability changed. */
  List<Gpu> reachability(String address, boolean reachable) {
    List<Gpu> changed = new ArrayList<>();
    for (Gpu g : gpus.values()) {
      String node = g.report != null ? g.report.nodeAddress() : g.ref.path().address().toString();
      if (node.equals(address) && g.unreachable == reachable) {
        g.unreachable = !reachable;
        changed.add(g);
      }
    }
    return changed;
  }

  /**
   * Takes a GPU's report, asked as report number {@code asked} ({@link #reportAsked}): its figures,
   * the requests its models served since the previous one (for the arrival rates), a drain it
   * started by itself, and which models it holds. The report is the truth of what it holds (a
   * load that finished after its ask timed out, an unload that did not answer) but for a model
   * whose load or unload answer came after the report was asked: the report may predate it.
   */
  ReportEffect report(ActorRef<GpuWire.Command> ref, GpuWire.Report report, long asked) {
    Gpu g = gpus.get(ref);
    if (g == null) {
      return ReportEffect.IGNORED;
    }
    boolean first = g.report == null;
    boolean wasUsable = g.usable();
    g.report = report;
    // A GPU that drains by itself (its node is stopping) or whose device failed takes no new work.
    g.draining = g.draining || report.draining() || drainingNodes.contains(report.nodeAddress());
    for (GpuWire.ModelInfo info : report.models().values()) {
      long before = g.requestsSeen.getOrDefault(info.name(), info.requests());
      Model model = models.get(info.name());
      if (model != null && info.requests() >= before) {
        model.requestsSinceTick += info.requests() - before;
      }
      g.requestsSeen.put(info.name(), info.requests());
    }
    Map<String, GpuWire.ModelInfo> held = new TreeMap<>();
    g.loaded.forEach((name, info) -> {
      if (!answeredBefore(g, name, asked)) {
        held.put(name, report.models().getOrDefault(name, info));
      }
    });
    report.models().forEach((name, info) -> {
      if (answeredBefore(g, name, asked)) {
        held.put(name, info);
      }
    });
    boolean heldChanged = !held.keySet().equals(g.loaded.keySet());
    g.loaded.clear();
    g.loaded.putAll(held);
    if (first) {
      return ReportEffect.JOINED;
    }
    return wasUsable != g.usable() || heldChanged || report.draining() && !g.drainSent ? ReportEffect.CHANGED
        : ReportEffect.REFRESHED;
  }

  /** As {@link #report(ActorRef, GpuWire.Report, long)} for a report asked after every answer so far. */
  ReportEffect report(ActorRef<GpuWire.Command> ref, GpuWire.Report report) {
    return report(ref, report, Long.MAX_VALUE);
  }

  /** A report is asked of {@code ref}: its number, for {@link #report}. */
  long reportAsked(ActorRef<GpuWire.Command> ref) {
    Gpu g = gpus.get(ref);
    return g == null ? 0 : ++g.reportsAsked;
  }

  private static boolean answeredBefore(Gpu g, String model, long asked) {
    return g.answeredAt.getOrDefault(model, -1L) < asked;
  }

  /**
   * Folds the requests counted since the last tick into each model's arrival rate, an exponential
   * average whose weight halves every {@code halfLife}.
   */
  void tick(Duration interval, Duration halfLife) {
    double alpha = 1 - Math.pow(0.5, (double) interval.toNanos() / halfLife.toNanos());
    double seconds = interval.toNanos() / 1e9;
    for (Model m : models.values()) {
      m.requestsPerSecond += alpha * (m.requestsSinceTick / seconds - m.requestsPerSecond);
      m.requestsSinceTick = 0;
    }
  }

  /**
   * {@code model} serves on {@code g}: a failure of it elsewhere was that GPU's. Returns whether
   * the cluster no longer wants it (it was unloaded while it loaded), so that it is unloaded.
   */
  boolean loaded(Gpu g, String model, GpuWire.ModelInfo info) {
    g.loading.remove(model);
    g.loaded.put(model, info);
    g.answeredAt.put(model, g.reportsAsked);
    g.failedAt.remove(model);
    g.requestsSeen.put(model, info.requests());
    Model m = models.get(model);
    if (m != null) {
      m.failure = "";
    }
    return m == null;
  }

  /**
   * Loading {@code model} on {@code g} failed at {@code now} with {@code reason}: not tried there
   * again within the back-off, and, when it serves nowhere, the reason its waiters are told.
   */
  void loadFailed(Gpu g, String model, String reason, long now) {
    g.loading.remove(model);
    g.failedAt.put(model, now);
    Model m = models.get(model);
    if (m != null && replicas(model, false).isEmpty()) {
      m.failure = reason;
    }
  }

  /**
   * {@code g} answered an unload of {@code model} ({@code answered}): it is gone from it; or it did
   * not in time: it may still hold it, so the next reconcile asks again unless a report says it
   * is gone.
   */
  void unloaded(ActorRef<GpuWire.Command> ref, String model, boolean answered) {
    Gpu g = gpus.get(ref);
    if (g != null) {
      g.unloading.remove(model);
      if (answered) {
        g.loaded.remove(model);
        g.answeredAt.put(model, g.reportsAsked);
      }
    }
  }

  /**
   * {@code ref} answered its drain: drained, or not in time (then its drain is sent again at the
   * next reconcile).
   */
  void drainAnswered(ActorRef<GpuWire.Command> ref, boolean drained) {
    Gpu g = gpus.get(ref);
    if (g != null && drained) {
      g.drained = true;
    } else if (g != null) {
      g.drainSent = false;
    }
  }

  /**
   * {@code g} did not answer its load of {@code model} in time: the next reconcile retries, and
   * if the load finished after all, the GPU's next report says so.
   */
  void loadUnanswered(Gpu g, String model) {
    g.loading.remove(model);
  }

  /** An operator drains the node at {@code address}: its GPUs drain, now and if they rejoin; returns them. */
  List<Gpu> drain(String address) {
    drainingNodes.add(address);
    List<Gpu> onNode = onNode(address);
    onNode.forEach(g -> g.draining = true);
    return onNode;
  }

  /** The node at {@code address} left the cluster: it drains no more (one that joins there anew is another). */
  void nodeRemoved(String address) {
    drainingNodes.remove(address);
  }

  /** The reachable GPUs that hold {@code model}. */
  List<Gpu> holders(String model) {
    return gpus.values().stream().filter(g -> g.loaded.containsKey(model) && !g.unreachable).toList();
  }

  // ---- reads ----

  /** The GPUs reported, reachable and healthy. */
  List<Gpu> usable() {
    return gpus.values().stream().filter(Gpu::usable).toList();
  }

  /** The GPUs that have reported, in the order they joined. */
  List<Gpu> reported() {
    return gpus.values().stream().filter(g -> g.report != null).toList();
  }

  /** The usable GPUs by id (the first where two report one id). */
  Map<GpuId, Gpu> usableById() {
    Map<GpuId, Gpu> byId = new LinkedHashMap<>();
    usable().forEach(g -> byId.putIfAbsent(g.id(), g));
    return byId;
  }

  /** The reported GPUs of the node at {@code address}. */
  List<Gpu> onNode(String address) {
    return gpus.values().stream().filter(g -> g.report != null && g.report.nodeAddress().equals(address)).toList();
  }

  /**
   * The GPUs holding {@code model} that take requests; for routing, a draining GPU only while no
   * other serves it.
   */
  List<Gpu> replicas(String model, boolean forRouting) {
    List<Gpu> holding = gpus.values().stream()
        .filter(g -> g.usable() && g.loaded.containsKey(model) && !g.unloading.contains(model) && !g.drainSent)
        .toList();
    if (!forRouting) {
      return holding;
    }
    List<Gpu> serving = holding.stream().filter(g -> !g.draining).toList();
    return serving.isEmpty() ? holding : serving;
  }

  /** The figures of {@code model} as the first GPU that holds it measured them. */
  Optional<GpuWire.ModelInfo> measured(String model) {
    return gpus.values().stream().map(g -> g.loaded.get(model)).filter(i -> i != null).findFirst();
  }

  /** Whether a GPU loads {@code model} now, or one that has not reported yet may take it. */
  boolean mayStillLoad(String model) {
    return gpus.values().stream().anyMatch(g -> g.loading.contains(model) || g.report == null && !g.unreachable);
  }

  static String describe(Gpu g) {
    return g.report != null ? g.report.gpu() : g.ref.path().toString();
  }
}
