package dev.braid.gpu.sched;

import dev.braid.gpu.cost.CostModel;
import dev.braid.protocol.cluster.FailureReason;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The per-device scheduler: holds the jobs in flight and the launches in flight, and asks its
 * {@link SchedulingPolicy} what to launch next. A plain class with no actor or device inside; not
 * thread-safe, owned by one actor, which feeds it time explicitly.
 *
 * <p>Lifecycle of a job: {@link #admit} -> its ops are {@link #plan planned} one at a time, each
 * {@link #completed} before the next is planned -> removed, exactly once, as finished (returned
 * by the {@link #completed} of its last op) or failed (by {@link #failed}, {@link #cancel} or
 * {@link #expire}, with a {@link FailureReason}).
 *
 * <p>Invariants, checked on every policy decision (a violation is a policy bug and throws):
 *
 * <ul>
 *   <li>a job has at most one op in flight and its ops run in plan order;
 *   <li>a launch groups only ops with equal, present fusion keys, at most {@link
 *       SchedulerConfig#maxOpsPerSuperKernel()} of them, each of a different job;
 *   <li>a stream never has more than {@link SchedulerConfig#maxLaunchesInFlightPerStream()}
 *       launches in flight;
 *   <li>a held op (a {@link Decision#hold}) has a fusion key and is held to a time after now and
 *       at most {@link SchedulerConfig#maxHold()} after it became ready, so no op waits longer
 *       than that for partners however often it is held again.
 * </ul>
 *
 * <p><b>Wake-ups.</b> A hold ends at a time when nothing else may happen (a partner predicted to
 * arrive may come late), so after each {@link #plan} the owner must plan again by {@link
 * #holdWakeNanos()}; any earlier event may plan sooner.
 */
public final class SpaceTimeScheduler {
  /**
   * Ops of one job looked at ahead for {@link SchedulingView#arrivals()}: with the default hold
   * of 50 us and batch-1 kernels of 5 us and more, a partner further ahead could not come in time.
   */
  public static final int LOOKAHEAD_OPS = 8;

  private final SchedulerConfig config;
  private final CostModel cost;
  private SchedulingPolicy policy;
  /** Jobs held, in admission order. */
  private final Map<Long, JobState> jobs = new LinkedHashMap<>();
  /** Launches planned and not yet settled, in planning order. */
  private final Map<Long, PlannedLaunch> inFlight = new LinkedHashMap<>();
  private final int[] launchesPerStream;
  /** The ready jobs, indexed as they change. */
  private final ReadySet ready = new ReadySet();
  /** Jobs held (waiting or in flight) per priority level: the most urgent is the first key. */
  private final TreeMap<Integer, Integer> jobsByPriority = new TreeMap<>();
  /** Free slots per stream at the current {@link #plan}, shared with its view. */
  private final int[] free;
  private final PlanView view;
  private long nextLaunchId = 1;
  private long holdWakeNanos = Long.MAX_VALUE;
  /** When the host's launch path is expected free of the launches planned so far. */
  private long launchPathFreeNanos = Long.MIN_VALUE;
  private long holds;

  public SpaceTimeScheduler(SchedulerConfig config, CostModel cost, SchedulingPolicy policy) {
    this.config = Objects.requireNonNull(config, "config");
    this.cost = Objects.requireNonNull(cost, "cost");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.launchesPerStream = new int[config.streamCount()];
    this.free = new int[config.streamCount()];
    this.view = new PlanView(config, cost, jobs, inFlight, ready, free);
  }

  /** Switches policy; launches already in flight are unaffected, the next {@link #plan} uses it. */
  public void setPolicy(SchedulingPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  public SchedulingPolicy policy() {
    return policy;
  }

  public SchedulerConfig config() {
    return config;
  }

  /** Takes {@code job} in, waiting at op 0. */
  public void admit(Job job) {
    Objects.requireNonNull(job, "job");
    if (jobs.containsKey(job.id())) {
      throw new IllegalArgumentException("job " + job.id() + " is already admitted");
    }
    JobState s = new JobState(job);
    jobs.put(job.id(), s);
    jobsByPriority.merge(job.priority(), 1, Integer::sum);
    ready.add(s);
  }

  /** Takes {@code s} out: of the jobs, the ready set and the count of its priority level. */
  private void forget(JobState s) {
    jobs.remove(s.job.id());
    dropFromCounts(s);
  }

  private void dropFromCounts(JobState s) {
    ready.remove(s);
    jobsByPriority.compute(s.job.priority(), (p, n) -> n == 1 ? null : n - 1);
  }

  /**
   * Decides what to launch at {@code nowNanos} and records it as in flight. The caller launches
   * each in list order on its stream, then settles each exactly once with {@link #completed} or
   * {@link #failed}.
   */
  public List<PlannedLaunch> plan(long nowNanos) {
    holdWakeNanos = Long.MAX_VALUE;
    if (ready.size() == 0) {
      return List.of();
    }
    for (int i = 0; i < free.length; i++) {
      free[i] = config.maxLaunchesInFlightPerStream() - launchesPerStream[i];
    }
    view.reset(nowNanos, jobsByPriority.firstKey(), launchPathBacklogNanos(nowNanos));
    List<Decision> decisions = policy.decide(view);
    DecisionCheck.check(decisions, free, nowNanos, config, jobs, policy.name());
    List<PlannedLaunch> planned = new ArrayList<>(decisions.size());
    for (Decision d : decisions) {
      if (d.isHold()) {
        holdWakeNanos = Math.min(holdWakeNanos, d.holdUntilNanos());
        holds += d.ops().size();
        continue;
      }
      PlannedLaunch launch = new PlannedLaunch(nextLaunchId++, d.ops(), d.stream(), window(d.ops(), nowNanos));
      launchPathFreeNanos = Math.max(nowNanos, launchPathFreeNanos) + cost.hostNanos(d.ops().size());
      inFlight.put(launch.launchId(), launch);
      launchesPerStream[d.stream()]++;
      for (OpRef o : d.ops()) {
        JobState js = jobs.get(o.job().id());
        js.launchId = launch.launchId();
        ready.remove(js);
      }
      planned.add(launch);
    }
    holdWakeNanos = Math.min(holdWakeNanos, policy.wakeNanos());
    return planned;
  }

  /**
   * How far the host's launch path is booked ahead of {@code nowNanos} by the launches planned so
   * far, each taking {@link CostModel#hostNanos} after the previous one (an estimate: the device
   * does not say when it issued a launch); 0 when it is expected idle.
   */
  public long launchPathBacklogNanos(long nowNanos) {
    return launchPathFreeNanos <= nowNanos ? 0 : launchPathFreeNanos - nowNanos;
  }

  /**
   * When the owner must call {@link #plan} again at the latest: the earliest end of a hold the
   * last {@link #plan} decided or of a wait its policy asked for ({@link
   * SchedulingPolicy#wakeNanos()}), or {@link Long#MAX_VALUE} when there is none.
   */
  public long holdWakeNanos() {
    return holdWakeNanos;
  }

  /** Ops held back for partners so far, counted once per {@link #plan} that held them. */
  public long holds() {
    return holds;
  }

  /**
   * Records that launch {@code launchId} completed: each of its jobs advances one op; those at
   * their last op finish, those cancelled while it ran fail with {@link FailureReason#CANCELLED}.
   */
  public Settled completed(long launchId, long nowNanos) {
    PlannedLaunch launch = settle(launchId);
    List<Job> finished = new ArrayList<>();
    List<FailedJob> failed = new ArrayList<>();
    for (OpRef o : launch.ops()) {
      JobState s = jobs.get(o.job().id());
      s.launchId = -1;
      if (s.cancelled) {
        forget(s);
        failed.add(new FailedJob(s.job, s.nextOp + 1, FailureReason.CANCELLED));
      } else if (++s.nextOp == s.job.plan().size()) {
        forget(s);
        finished.add(s.job);
      } else {
        s.readySinceNanos = nowNanos;
        ready.add(s);
      }
    }
    return new Settled(finished, failed);
  }

  /** Records that launch {@code launchId} failed: every job in it fails with {@code reason}. */
  public Settled failed(long launchId, FailureReason reason) {
    Objects.requireNonNull(reason, "reason");
    PlannedLaunch launch = settle(launchId);
    List<FailedJob> failed = new ArrayList<>();
    for (OpRef o : launch.ops()) {
      JobState s = jobs.get(o.job().id());
      forget(s);
      failed.add(new FailedJob(s.job, s.nextOp, s.cancelled ? FailureReason.CANCELLED : reason));
    }
    return new Settled(List.of(), failed);
  }

  /**
   * Withdraws job {@code jobId}. A job with no op in flight is removed and returned as failed
   * {@link FailureReason#CANCELLED}; one with an op in flight is marked and reported when that
   * launch settles (empty now). Empty too for an unknown job (already settled or never admitted).
   */
  public Optional<FailedJob> cancel(long jobId) {
    JobState s = jobs.get(jobId);
    if (s == null || s.cancelled) {
      return Optional.empty();
    }
    if (s.inFlight()) {
      s.cancelled = true;
      return Optional.empty();
    }
    forget(s);
    return Optional.of(new FailedJob(s.job, s.nextOp, FailureReason.CANCELLED));
  }

  /**
   * Removes the jobs with no op in flight that can no longer meet their deadline, as failed {@link
   * FailureReason#TOO_LATE}, in admission order: those whose latest start has passed, {@code
   * nowNanos + predictRemaining(job) > deadlineNanos}, where the remaining work is the cost model's
   * time for the job's ops from its next one to its last, run alone back to back. That is the
   * earliest the job could finish even with the device to itself, so a job failed here would have
   * missed its deadline under any policy (as far as the cost model predicts); keeping it would
   * only spend device time on an answer nobody can use, and under overload that time is taken from
   * jobs that could still make it (Clockwork drops such requests for the same reason). A job whose
   * deadline has passed is the special case with no work left to predict. Jobs with an op in
   * flight are left to settle first. Every policy gets this: it is the scheduler's admission of
   * work, not a policy's choice among admitted work.
   */
  public List<FailedJob> expire(long nowNanos) {
    List<FailedJob> expired = new ArrayList<>();
    var it = jobs.values().iterator();
    while (it.hasNext()) {
      JobState s = it.next();
      if (!s.inFlight() && !s.cancelled && cannotMeetDeadline(s, nowNanos)) {
        it.remove();
        dropFromCounts(s);
        expired.add(new FailedJob(s.job, s.nextOp, FailureReason.TOO_LATE));
      }
    }
    return expired;
  }

  /** True when {@code now} is past the job's latest start: its deadline less its remaining work. */
  private boolean cannotMeetDeadline(JobState s, long nowNanos) {
    if (nowNanos >= s.job.deadlineNanos()) {
      return true;
    }
    return nowNanos > saturatingSub(s.job.deadlineNanos(), cost.predictRemainingNanos(s.job.plan(), s.nextOp));
  }

  /** Jobs held (waiting or with an op in flight). */
  public int jobCount() {
    return jobs.size();
  }

  /** Launches planned and not yet settled, in planning order. */
  public List<PlannedLaunch> launchesInFlight() {
    return List.copyOf(inFlight.values());
  }

  /** The next op job {@code jobId} runs (the one in flight, if any); empty when not held. */
  public OptionalInt nextOpIndex(long jobId) {
    JobState s = jobs.get(jobId);
    return s == null ? OptionalInt.empty() : OptionalInt.of(s.nextOp);
  }

  /** Predicted time for job {@code jobId} to run its remaining ops alone; 0 when not held. */
  public long predictRemainingNanos(long jobId) {
    JobState s = jobs.get(jobId);
    return s == null ? 0 : cost.predictRemainingNanos(s.job.plan(), s.nextOp);
  }

  private PlannedLaunch settle(long launchId) {
    PlannedLaunch launch = inFlight.remove(launchId);
    if (launch == null) {
      throw new IllegalArgumentException("launch " + launchId + " is not in flight (unknown or already settled)");
    }
    launchesPerStream[launch.stream()]--;
    return launch;
  }

  private LaunchWindow window(List<OpRef> ops, long nowNanos) {
    long expected = ops.size() == 1
        ? cost.predictOpNanos(ops.get(0).job().plan(), ops.get(0).opIndex())
        : cost.predictGroupNanos(ops.stream().map(OpRef::planOp).toList());
    long latest = Long.MAX_VALUE;
    for (OpRef o : ops) {
      long after = cost.predictRemainingNanos(o.job().plan(), o.opIndex() + 1);
      latest = Math.min(latest, saturatingSub(o.job().deadlineNanos(), expected + after));
    }
    return new LaunchWindow(nowNanos, latest, expected);
  }

  private static long saturatingSub(long a, long b) {
    long r = a - b;
    return ((a ^ b) & (a ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
  }
}
