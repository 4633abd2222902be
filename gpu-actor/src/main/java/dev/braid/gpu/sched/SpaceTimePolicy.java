package dev.braid.gpu.sched;

import dev.braid.device.plan.FusionKey;
import dev.braid.gpu.cost.CostModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Space-time scheduling: take the ready ops of all jobs in urgency order (aged jobs, then
 * priority level, then earliest deadline); the most urgent op not yet placed leads a group of the
 * later ready ops of its priority level with an equal {@link FusionKey}, sized by {@link
 * SuperKernelSizer} (ops without a key run alone, and a latency-critical op is never slowed by
 * best-effort partners). A group whose partners are about to arrive may be held for them by {@link
 * HoldRule} (bounded by {@link SchedulerConfig#maxHold()} and by its members' deadlines); a held
 * group takes no slot. The other groups, in the order of their leads, take the free stream slots
 * in round-robin over the streams by priority, so the most urgent group gets the most urgent
 * stream and the next groups run beside it on the others before any stream queues a second
 * launch. While a job of a more urgent priority level is in the scheduler, less urgent groups
 * leave the most urgent streams free for it, and at most {@link
 * SchedulerConfig#lessUrgentLaunches()} of their launches are in flight (none by default: no
 * kernel can be preempted, so a best-effort kernel beside a critical one holds SMs its blocks
 * wait for); groups led by a job past the aging threshold are exempt, so nothing starves. It goes on until no usable slot or no ready op is
 * left: apart from held groups and the streams kept for a more urgent level, every free slot is
 * used. With {@link SchedulerConfig#launchPathBacklog()} set, it also stops once the host's launch
 * path is booked that far ahead ({@link SchedulingView#launchPathBacklogNanos()}): the groups
 * left would only queue on the host, so they wait in the ready set instead, where the ops that
 * become ready meanwhile join them, and the policy asks to plan again when the path has drained
 * to the limit ({@link #wakeNanos()}). The first group of such a decision is the largest one of the
 * most urgent op's level when that op can wait ({@link #largestGroupFirst}), and groups are formed
 * one at a time as they launch, so a decision on a booked path orders and groups nothing.
 */
final class SpaceTimePolicy implements SchedulingPolicy {
  static final String NAME = "space-time";

  /**
   * Host launches of a super-kernel the most urgent op must be able to wait per op it has left
   * before {@link #largestGroupFirst} passes it over: near the goodput load the path is 80-90%
   * busy, so each of its ops already finds about one launch ahead of it, and being passed over
   * may add one more.
   */
  static final int WAIT_LAUNCHES = 2;

  /** The configuration {@link #streamOrder} and {@link #urgentStream} were worked out for. */
  private SchedulerConfig derivedFor;
  /** Stream indices, most urgent CUDA priority first ({@link SchedulerConfig#streamsByPriority}). */
  private int[] streamOrder;
  /** Per stream: of the most urgent CUDA priority while some stream has another (so reserved). */
  private boolean[] urgentStream;
  /** Scratch of {@link #nextGroup}, per ready op: already in a group. Reused: a decision's own. */
  private boolean[] placed = new boolean[64];
  /** Scratch of {@link #nextGroup}: the next ready position that may lead a group. */
  private int cursor;
  private final List<OpRef> candidates = new ArrayList<>();
  /** See {@link #wakeNanos()}: set by the last decision. */
  private long wakeNanos = Long.MAX_VALUE;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Decision> decide(SchedulingView view) {
    derive(view.config());
    wakeNanos = Long.MAX_VALUE;
    long backlogLimit = view.config().launchPathBacklog().toNanos();
    long backlog = view.launchPathBacklogNanos();
    boolean holding = view.config().holds();
    int[] slots = slots(view);
    if (!holding && (slots.length == 0 || (backlogLimit > 0 && backlog >= backlogLimit))) {
      if (slots.length > 0) {
        // the path is booked: nothing launches, so nothing needs ordering or grouping
        wakeNanos = view.nowNanos() + backlog - backlogLimit + 1;
      }
      return List.of();
    }
    startGroups(view);
    // with holding every group is formed first (a hold looks at the others); else one at a time
    List<List<OpRef>> groups = holding ? groups(view, Integer.MAX_VALUE) : null;
    List<HoldRule.Hold> holds = holding ? holds(groups, view) : null;
    List<Decision> out = new ArrayList<>();
    boolean[] taken = new boolean[slots.length];
    int launches = 0;
    int lessUrgent = -1;
    long agingNanos = view.config().agingThreshold().toNanos();
    for (int g = 0; launches < slots.length && (holding ? g < groups.size() : g < slots.length); g++) {
      List<OpRef> group;
      if (holding) {
        group = groups.get(g);
        if (holds.get(g) != null) {
          out.add(Decision.hold(group, holds.get(g).untilNanos()));
          continue;
        }
      } else {
        group = null;
      }
      if (backlogLimit > 0 && backlog >= backlogLimit) {
        // the host would only queue it: it waits, gathering partners, until the path drains
        wakeNanos = view.nowNanos() + backlog - backlogLimit + 1;
        break;
      }
      // one launch books the path to the limit: this decision launches one group, so which matters
      boolean oneLaunch = g == 0 && backlogLimit > 0 && backlog + view.cost().hostNanos(1) >= backlogLimit;
      if (group == null && (group = oneLaunch ? largestGroupFirst(view) : nextGroup(view)) == null) {
        break;
      }
      OpRef lead = group.get(0);
      boolean mostUrgentLevel = lead.job().priority() <= view.mostUrgentPriority();
      boolean aged = Urgency.isAged(lead.job(), view.nowNanos(), agingNanos);
      if (!mostUrgentLevel && lessUrgent < 0) {
        lessUrgent = view.lessUrgentInFlight();
      }
      if (!mostUrgentLevel && !aged && lessUrgent >= view.config().lessUrgentLaunches()) {
        continue; // a more urgent level is waiting or running: see SchedulerConfig#lessUrgentLaunches
      }
      int slot = firstFreeSlot(slots, taken, mostUrgentLevel);
      if (slot >= 0) {
        taken[slot] = true;
        launches++;
        if (!mostUrgentLevel) {
          lessUrgent++;
        }
        out.add(new Decision(group, slots[slot]));
        backlog += view.cost().hostNanos(group.size());
      }
    }
    return out;
  }

  @Override
  public long wakeNanos() {
    return wakeNanos;
  }

  /**
   * The first group of a decision while the launch path is the bottleneck (a limit is set and one
   * launch books the path to it, so this decision launches only that group): each
   * launch then costs the host about the same ({@link dev.braid.gpu.cost.CostModel#hostNanos}, one
   * or two driver calls) whatever its size, so the largest group of ready ops with one key at the
   * most urgent op's level issues the most kernels per microsecond of host time, while the ops left
   * gather partners for the next launch. The most urgent op's own group goes first instead when
   * that group is as large, when its job is aged, or when it cannot afford to wait: unless its
   * latest start (deadline less its remaining ops alone) is more than {@link #WAIT_LAUNCHES} host
   * launches of a super-kernel per remaining op away, since each of its later ops may also queue
   * behind other launches on the path.
   */
  private List<OpRef> largestGroupFirst(SchedulingView view) {
    List<OpRef> ready = view.readyOps();
    if (ready.isEmpty()) {
      return null;
    }
    OpRef urgent = ready.get(0);
    int lead = view.largestFusionBucketLead(urgent.job().priority());
    if (lead <= 0 || Urgency.isAged(urgent.job(), view.nowNanos(), view.config().agingThreshold().toNanos())) {
      return nextGroup(view);
    }
    int own = urgent.fusionKey().isPresent() ? view.fusionPartners(0).length : 1;
    if (view.fusionPartners(lead).length <= own) {
      return nextGroup(view);
    }
    CostModel cost = view.cost();
    int opsLeft = urgent.job().plan().size() - urgent.opIndex();
    long latestStart = urgent.job().deadlineNanos() - cost.predictRemainingNanos(urgent.job().plan(), urgent.opIndex());
    if (latestStart - view.nowNanos() <= (long) WAIT_LAUNCHES * opsLeft * cost.hostNanos(2)) {
      return nextGroup(view);
    }
    return groupLedBy(view, lead);
  }

  /** Works out the stream order and the reserved streams once per configuration. */
  private void derive(SchedulerConfig config) {
    if (config == derivedFor) {
      return;
    }
    List<Integer> priorities = config.streamPriorities();
    streamOrder = config.streamsByPriority().stream().mapToInt(Integer::intValue).toArray();
    int urgent = priorities.stream().mapToInt(Integer::intValue).min().orElseThrow();
    boolean mixed = priorities.stream().anyMatch(p -> p != urgent);
    urgentStream = new boolean[priorities.size()];
    for (int i = 0; i < urgentStream.length; i++) {
      urgentStream[i] = mixed && priorities.get(i) == urgent;
    }
    derivedFor = config;
  }

  /**
   * The first slot not yet taken, in slot order; a group of a less urgent priority level than the
   * scheduler's most urgent job skips the streams of the most urgent CUDA priority, which stay free
   * for that level's next op (a latency-critical kernel then never queues behind best-effort work
   * on its stream, and its blocks are placed first). When every stream has the same CUDA priority
   * nothing is reserved. -1 when no slot suits.
   */
  private int firstFreeSlot(int[] slots, boolean[] taken, boolean mostUrgentLevel) {
    for (int i = 0; i < slots.length; i++) {
      if (!taken[i] && (mostUrgentLevel || !urgentStream[slots[i]])) {
        return i;
      }
    }
    return -1;
  }

  /** Starts forming the groups of one decision: no ready op is placed yet. */
  private void startGroups(SchedulingView view) {
    int n = view.readyOps().size();
    if (placed.length < n) {
      placed = new boolean[Math.max(n, 2 * placed.length)];
    } else {
      Arrays.fill(placed, 0, n, false);
    }
    cursor = 0;
  }

  /** The next {@code limit} groups at most ({@link #nextGroup}), in the order of their leads. */
  private List<List<OpRef>> groups(SchedulingView view, int limit) {
    List<List<OpRef>> groups = new ArrayList<>();
    List<OpRef> g;
    while (groups.size() < limit && (g = nextGroup(view)) != null) {
      groups.add(g);
    }
    return groups;
  }

  /**
   * The next group, or null when every ready op is placed: the lead is the most urgent ready op
   * not yet placed, with the later ready ops of its key and level ({@link
   * SchedulingView#fusionPartners}) that {@link SuperKernelSizer} admits.
   */
  private List<OpRef> nextGroup(SchedulingView view) {
    List<OpRef> ready = view.readyOps();
    while (cursor < ready.size() && placed[cursor]) {
      cursor++;
    }
    if (cursor == ready.size()) {
      return null;
    }
    return groupLedBy(view, cursor++);
  }

  /** The group led by the ready op at position {@code i}, not yet placed (see {@link #nextGroup}). */
  private List<OpRef> groupLedBy(SchedulingView view, int i) {
    List<OpRef> ready = view.readyOps();
    OpRef lead = ready.get(i);
    placed[i] = true;
    if (view.config().maxOpsPerSuperKernel() == 1 || lead.fusionKey().isEmpty()) {
      return List.of(lead);
    }
    int[] partners = view.fusionPartners(i);
    candidates.clear();
    for (int p : partners) {
      if (p > i && !placed[p]) {
        candidates.add(ready.get(p));
      }
    }
    List<OpRef> group = SuperKernelSizer.size(lead, candidates, view);
    // members after the lead are a subsequence of the candidates, in their order
    int m = 1;
    for (int p : partners) {
      if (m == group.size()) {
        break;
      }
      if (p > i && !placed[p] && ready.get(p) == group.get(m)) {
        placed[p] = true;
        m++;
      }
    }
    return group;
  }

  /**
   * For each group, its hold or null. Groups are looked at in order; one may wait for arrivals
   * from jobs in flight and from ready jobs whose group launches now. A group that another's hold
   * counts on is committed to launch, and a held group's jobs are no one's partners, so no two
   * groups ever wait for each other.
   */
  private static List<HoldRule.Hold> holds(List<List<OpRef>> groups, SchedulingView view) {
    Map<Long, Integer> groupOfJob = new HashMap<>();
    for (int g = 0; g < groups.size(); g++) {
      for (OpRef o : groups.get(g)) {
        groupOfJob.put(o.job().id(), g);
      }
    }
    Map<FusionKey, List<Arrival>> arrivals = byKey(view.arrivals());
    List<HoldRule.Hold> holds = new ArrayList<>(groups.size());
    boolean[] held = new boolean[groups.size()];
    boolean[] committed = new boolean[groups.size()];
    for (int g = 0; g < groups.size(); g++) {
      List<OpRef> group = groups.get(g);
      Optional<FusionKey> key = group.get(0).fusionKey();
      HoldRule.Hold hold = null;
      if (key.isPresent() && !committed[g]) {
        List<Arrival> usable = new ArrayList<>();
        for (Arrival a : arrivals.getOrDefault(key.get(), List.of())) {
          Integer source = groupOfJob.get(a.op().job().id());
          if (source == null || (source != g && !held[source])) {
            usable.add(a);
          }
        }
        hold = HoldRule.hold(group, usable, view);
      }
      if (hold != null) {
        held[g] = true;
        for (Arrival a : hold.partners()) {
          Integer source = groupOfJob.get(a.op().job().id());
          if (source != null) {
            committed[source] = true;
          }
        }
      }
      holds.add(hold);
    }
    return holds;
  }

  private static Map<FusionKey, List<Arrival>> byKey(List<Arrival> arrivals) {
    Map<FusionKey, List<Arrival>> out = new HashMap<>();
    for (Arrival a : arrivals) {
      out.computeIfAbsent(a.op().fusionKey().orElseThrow(), k -> new ArrayList<>()).add(a);
    }
    return out;
  }

  /** Free slots as stream indices: one round over the streams by priority, then the next round. */
  private int[] slots(SchedulingView view) {
    int rounds = view.config().maxLaunchesInFlightPerStream();
    int n = 0;
    for (int stream : streamOrder) {
      n += Math.min(rounds, Math.max(0, view.freeSlots(stream)));
    }
    int[] slots = new int[n];
    int k = 0;
    for (int round = 0; round < rounds; round++) {
      for (int stream : streamOrder) {
        if (view.freeSlots(stream) > round) {
          slots[k++] = stream;
        }
      }
    }
    return slots;
  }
}
