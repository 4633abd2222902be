package dev.braid.gpu.sched;

import dev.braid.device.plan.FusionKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The ready jobs of a {@link SpaceTimeScheduler} (no op in flight, not cancelled), indexed as
 * they change instead of per decision: a job is added when its next op becomes ready (admission,
 * its previous op's completion) and removed when that op launches or the job leaves. A decision
 * then costs one ordered walk over the ready jobs ({@link #order}) and, for each op a policy wants
 * to fuse, a look at the jobs of its bucket ({@link #partners}) rather than a sort and a pass over
 * all ready ops per group.
 *
 * <p><b>Order.</b> {@link #order} lists the ready ops exactly as {@link
 * Urgency#agedDeadlineFirst} sorts them: the jobs aged at {@code now} are a prefix of the
 * admission order (aging depends on admission time only), so they come from {@link #byAdmission}
 * up to the first young one, the young ones from {@link #byUrgency} with the aged skipped. Both
 * orders are total and built from fields a job never changes, so a job's place in them is fixed
 * while it is in the set.
 *
 * <p><b>Buckets.</b> Ready ops with a fusion key are grouped by (key, priority level): the ops a
 * space-time group may take. A bucket's members are unordered; {@link #partners} gives their
 * positions in the latest {@link #order}, ascending, so in urgency order.
 *
 * <p>Not thread-safe: owned by its scheduler.
 */
final class ReadySet {
  /**
   * Young jobs: priority level, deadline, admission, id (the tail of {@code agedDeadlineFirst}).
   * Written out rather than chained from key extractors: every add and remove compares O(log n)
   * times, and the chained lambdas were the largest cost of a decision in a profile.
   */
  private static final Comparator<JobState> URGENCY = ReadySet::compareUrgency;

  /** Aged jobs: admission first, then as {@link #URGENCY}. */
  private static final Comparator<JobState> ADMISSION = (a, b) -> {
    int c = Long.compare(a.job.admittedNanos(), b.job.admittedNanos());
    return c != 0 ? c : compareUrgency(a, b);
  };

  private static int compareUrgency(JobState a, JobState b) {
    Job x = a.job;
    Job y = b.job;
    int c = Integer.compare(x.priority(), y.priority());
    if (c == 0) {
      c = Long.compare(x.deadlineNanos(), y.deadlineNanos());
    }
    if (c == 0) {
      c = Long.compare(x.admittedNanos(), y.admittedNanos());
    }
    return c != 0 ? c : Long.compare(x.id(), y.id());
  }

  private static final int[] NONE = new int[0];

  /** The ready ops of one fusion key and priority level. */
  static final class Bucket {
    private final List<JobState> members = new ArrayList<>();
    /** Positions of the members in the order of decision {@code stamp}, ascending. */
    private int[] positions = new int[0];
    private long stamp = -1;
  }

  private record BucketKey(FusionKey key, int priority) {}

  private final TreeSet<JobState> byUrgency = new TreeSet<>(URGENCY);
  private final TreeSet<JobState> byAdmission = new TreeSet<>(ADMISSION);
  private final Map<BucketKey, Bucket> buckets = new HashMap<>();
  /** The latest {@link #order}, by position. */
  private JobState[] atPosition = new JobState[16];
  private int ordered;
  /** Counts {@link #order} calls: a bucket's positions are valid for the decision they were made in. */
  private long decisions;

  /** Job {@code s}'s op {@code s.nextOp} became ready. */
  void add(JobState s) {
    if (s.ready != null) {
      throw new IllegalStateException("job " + s.job.id() + " is already ready");
    }
    s.ready = new OpRef(s.job, s.nextOp);
    byUrgency.add(s);
    byAdmission.add(s);
    s.ready.fusionKey().ifPresent(k -> {
      Bucket b = buckets.computeIfAbsent(new BucketKey(k, s.job.priority()), x -> new Bucket());
      s.bucket = b;
      s.bucketIndex = b.members.size();
      b.members.add(s);
    });
  }

  /** Job {@code s} is no longer ready (its op launched, or it left); nothing if it was not. */
  void remove(JobState s) {
    if (s.ready == null) {
      return;
    }
    byUrgency.remove(s);
    byAdmission.remove(s);
    Bucket b = s.bucket;
    if (b != null) {
      JobState last = b.members.remove(b.members.size() - 1);
      if (last != s) {
        b.members.set(s.bucketIndex, last);
        last.bucketIndex = s.bucketIndex;
      }
      s.bucket = null;
    }
    s.ready = null;
  }

  int size() {
    return byUrgency.size();
  }

  /**
   * Appends the ready ops to {@code out} in urgency order at {@code nowNanos} (see the class
   * comment) and records each job's position in it, for {@link #partners} and {@link #at}.
   */
  void order(long nowNanos, long agingNanos, List<OpRef> out) {
    decisions++;
    if (atPosition.length < byUrgency.size()) {
      atPosition = new JobState[Math.max(byUrgency.size(), 2 * atPosition.length)];
    }
    ordered = 0;
    for (JobState s : byAdmission) {
      if (!Urgency.isAged(s.job, nowNanos, agingNanos)) {
        break;
      }
      place(s, out);
    }
    if (ordered == byUrgency.size()) {
      return;
    }
    for (JobState s : byUrgency) {
      if (!Urgency.isAged(s.job, nowNanos, agingNanos)) {
        place(s, out);
      }
    }
  }

  private void place(JobState s, List<OpRef> out) {
    s.position = ordered;
    atPosition[ordered++] = s;
    out.add(s.ready);
  }

  /** The job at {@code position} of the latest {@link #order}. */
  JobState at(int position) {
    if (position < 0 || position >= ordered) {
      throw new IndexOutOfBoundsException("position " + position + " of " + ordered + " ready ops");
    }
    return atPosition[position];
  }

  /**
   * The position, in the latest {@link #order}, of the most urgent op of the largest bucket of
   * priority level {@code priority} (of two alike in size, the one whose most urgent op comes
   * first, so the answer does not depend on the buckets' hash order), or -1 when no op of that
   * level with a fusion key is ready. Costs one look at each bucket and at the largest ones'
   * members.
   */
  int largestBucketLead(int priority) {
    int best = -1;
    int bestSize = 0;
    for (Map.Entry<BucketKey, Bucket> e : buckets.entrySet()) {
      List<JobState> members = e.getValue().members;
      if (e.getKey().priority() != priority || members.isEmpty() || members.size() < bestSize) {
        continue;
      }
      int lead = Integer.MAX_VALUE;
      for (JobState s : members) {
        lead = Math.min(lead, s.position);
      }
      if (members.size() > bestSize || lead < best) {
        best = lead;
        bestSize = members.size();
      }
    }
    return best;
  }

  /**
   * The positions, in the latest {@link #order}, of the ready ops of the bucket of the op at
   * {@code position} (itself included), ascending; empty when that op has no fusion key. The array
   * is shared until the next decision: not to be modified.
   */
  int[] partners(int position) {
    Bucket b = at(position).bucket;
    if (b == null) {
      return NONE;
    }
    if (b.stamp != decisions) {
      if (b.positions.length != b.members.size()) {
        b.positions = new int[b.members.size()];
      }
      for (int i = 0; i < b.positions.length; i++) {
        b.positions[i] = b.members.get(i).position;
      }
      Arrays.sort(b.positions);
      b.stamp = decisions;
    }
    return b.positions;
  }
}
