package dev.braid.gpu.sched;

import dev.braid.gpu.cost.CostModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link SchedulingView} of one {@link SpaceTimeScheduler#plan} call, over the scheduler's own
 * state (read, never changed here). One instance is reused by every call, so a decision allocates
 * no view, and everything beyond the time and the free slots is worked out only if the policy
 * asks: the ready ops' urgency order ({@link ReadySet#order}, a pass over every ready job), the
 * launches of less urgent jobs in flight, the models in flight and the arrivals. A policy that
 * decides from the launch path's backlog alone (space-time while the path is booked) pays for none
 * of them.
 */
final class PlanView implements SchedulingView {
  private final SchedulerConfig config;
  private final CostModel cost;
  private final Map<Long, JobState> jobs;
  private final Map<Long, PlannedLaunch> inFlight;
  private final ReadySet ready;
  private final int[] freeSlots;
  private final List<OpRef> readyList = new ArrayList<>();
  private final List<OpRef> readyOps = Collections.unmodifiableList(readyList);
  private long nowNanos;
  private int mostUrgent;
  private long backlogNanos;
  private boolean ordered;
  private int lessUrgent = -1;
  private Set<String> modelsInFlight;
  private List<Arrival> arrivals;

  /**
   * @param freeSlots per stream, the launches it can take at the current plan; the scheduler's
   *     array, filled by it before each decision
   */
  PlanView(SchedulerConfig config, CostModel cost, Map<Long, JobState> jobs, Map<Long, PlannedLaunch> inFlight,
      ReadySet ready, int[] freeSlots) {
    this.config = config;
    this.cost = cost;
    this.jobs = jobs;
    this.inFlight = inFlight;
    this.ready = ready;
    this.freeSlots = freeSlots;
  }

  /** Starts the view of one decision at {@code now}. */
  void reset(long now, int mostUrgentPriority, long launchPathBacklogNanos) {
    nowNanos = now;
    mostUrgent = mostUrgentPriority;
    backlogNanos = launchPathBacklogNanos;
    readyList.clear();
    ordered = false;
    lessUrgent = -1;
    modelsInFlight = null;
    arrivals = null;
  }

  @Override
  public long nowNanos() {
    return nowNanos;
  }

  @Override
  public List<OpRef> readyOps() {
    if (!ordered) {
      ready.order(nowNanos, config.agingThreshold().toNanos(), readyList);
      ordered = true;
    }
    return readyOps;
  }

  @Override
  public int[] fusionPartners(int position) {
    readyOps();
    return ready.partners(position);
  }

  @Override
  public int largestFusionBucketLead(int priority) {
    readyOps();
    return ready.largestBucketLead(priority);
  }

  @Override
  public int freeSlots(int stream) {
    return stream >= 0 && stream < freeSlots.length ? freeSlots[stream] : 0;
  }

  @Override
  public Set<String> modelsInFlight() {
    if (modelsInFlight == null) {
      Set<String> busy = new LinkedHashSet<>();
      for (PlannedLaunch l : inFlight.values()) {
        l.ops().forEach(o -> busy.add(o.job().model()));
      }
      modelsInFlight = Collections.unmodifiableSet(busy);
    }
    return modelsInFlight;
  }

  @Override
  public SchedulerConfig config() {
    return config;
  }

  @Override
  public CostModel cost() {
    return cost;
  }

  @Override
  public List<Arrival> arrivals() {
    if (arrivals == null) {
      arrivals = List.copyOf(predictArrivals());
    }
    return arrivals;
  }

  @Override
  public long readySinceNanos(OpRef op) {
    JobState s = jobs.get(op.job().id());
    if (s == null || s.ready == null) {
      throw new IllegalArgumentException(op + " is not a ready op of this view");
    }
    return s.readySinceNanos;
  }

  @Override
  public int mostUrgentPriority() {
    return mostUrgent;
  }

  @Override
  public int lessUrgentInFlight() {
    if (lessUrgent < 0) {
      lessUrgent = 0;
      for (PlannedLaunch l : inFlight.values()) {
        if (l.ops().get(0).job().priority() > mostUrgent) {
          lessUrgent++;
        }
      }
    }
    return lessUrgent;
  }

  @Override
  public long launchPathBacklogNanos() {
    return backlogNanos;
  }

  /**
   * The keyed ops expected to become ready within {@code maxHold} (see {@link
   * SchedulingView#arrivals()}): for each job, the op after the one in flight from its launch's
   * predicted end (now if that has passed), or the op after the ready one as if it launched now
   * and ran alone; then its later ops, each after its predecessor's predicted time alone.
   */
  private List<Arrival> predictArrivals() {
    if (!config.holds()) {
      return List.of();
    }
    long horizon = nowNanos + config.maxHold().toNanos();
    List<Arrival> out = new ArrayList<>();
    for (JobState s : jobs.values()) {
      if (s.cancelled) {
        continue;
      }
      long eta = s.inFlight()
          ? Math.max(nowNanos + 1, inFlight.get(s.launchId).window().expectedEndNanos())
          : nowNanos + cost.predictOpNanos(s.job.plan(), s.nextOp);
      for (int i = s.nextOp + 1, n = 0; i < s.job.plan().size() && eta <= horizon && n < SpaceTimeScheduler.LOOKAHEAD_OPS; i++, n++) {
        if (s.job.plan().op(i).fusionKey().isPresent()) {
          out.add(new Arrival(new OpRef(s.job, i), eta));
        }
        eta += cost.predictOpNanos(s.job.plan(), i);
      }
    }
    out.sort(Comparator.comparingLong(Arrival::etaNanos).thenComparingLong(a -> a.op().job().id()));
    return out;
  }
}
