package dev.braid.gpu.batch;

import dev.braid.model.repo.DynamicBatching;
import dev.braid.model.repo.ModelConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * One model's request queue, batching as Triton's dynamic batcher does. Not thread-safe: owned by
 * one actor, which passes the time in.
 *
 * <p>Requests queue per priority level (level 1 first), in arrival order within a level. The
 * candidate batch is taken from that order while it stays within {@code maxBatchSize} rows,
 * stopping at the first request that does not fit. It is released by {@link #poll} when:
 *
 * <ol>
 *   <li>it holds {@code maxBatchSize} rows, or the next queued request does not fit beside it;
 *   <li>otherwise, some prefix of it has a preferred size: the longest such prefix is released
 *       (the largest preferred size available);
 *   <li>otherwise, the oldest queued request has waited {@code maxQueueDelay}: all of it.
 * </ol>
 *
 * <p>Lifecycle of a request: offered -> queued -> released in a {@link Batch}, or, if its deadline
 * passes while queued ({@code now >= deadlineNanos}), removed and reported by {@link
 * #takeRejected}, or withdrawn by {@link #removeAll}. Every offered request ends in exactly one of
 * these.
 *
 * <p>Cost: every operation but {@link #removeAll} takes time in the batch size and the number of
 * levels, or amortized logarithmic time in the queue length ({@link #expire} per request it
 * removes), never a pass over the queue: under overload the queue holds every request the client
 * keeps outstanding (hundreds of thousands), and a pass per event made each event slower as the
 * queue grew. A min-heap by deadline finds the overdue; entries of requests that already left are
 * dropped from it lazily, and it is rebuilt once it holds more than twice as many as are queued.
 */
public final class DynamicBatcher {
  /** Heap order: deadline, then arrival and id, so that expiry order is deterministic. */
  private static final Comparator<Request> BY_DEADLINE = Comparator.comparingLong(Request::deadlineNanos)
      .thenComparingLong(Request::arrivalNanos).thenComparingLong(Request::id);

  private final String model;
  private final int maxBatchSize;
  private final TreeSet<Integer> preferredBatchSizes;
  private final long maxQueueDelayNanos;
  private final int defaultLevel;
  /** Index {@code level - 1}; one queue when the model has no priority levels. */
  private final List<LinkedHashSet<Request>> queues = new ArrayList<>();
  /** Every queued request, plus entries of some that left (dropped when they reach the top). */
  private final PriorityQueue<Request> deadlines = new PriorityQueue<>(BY_DEADLINE);
  private final List<Rejected> rejected = new ArrayList<>();
  /** Requests queued, over all levels. */
  private int queued;

  /**
   * @param maxBatchSize rows per batch, >= 1
   * @param preferredBatchSizes each in [1, maxBatchSize]
   * @param priorityLevels 0 for none, else levels 1..priorityLevels
   * @param defaultPriorityLevel the level of requests that ask for level 0; in [1, priorityLevels]
   *     when there are levels
   */
  public DynamicBatcher(String model, int maxBatchSize, List<Integer> preferredBatchSizes,
      Duration maxQueueDelay, int priorityLevels, int defaultPriorityLevel) {
    this.model = Objects.requireNonNull(model, "model");
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException(model + ": maxBatchSize must be >= 1, got " + maxBatchSize);
    }
    for (int p : preferredBatchSizes) {
      if (p < 1 || p > maxBatchSize) {
        throw new IllegalArgumentException(model + ": preferred batch size must be in [1, " + maxBatchSize
            + "], got " + p);
      }
    }
    if (maxQueueDelay.isNegative()) {
      throw new IllegalArgumentException(model + ": maxQueueDelay must be >= 0, got " + maxQueueDelay);
    }
    if (priorityLevels < 0 || (priorityLevels > 0
        && (defaultPriorityLevel < 1 || defaultPriorityLevel > priorityLevels))) {
      throw new IllegalArgumentException(model + ": need priorityLevels >= 0 and defaultPriorityLevel in [1, "
          + "priorityLevels], got " + priorityLevels + " and " + defaultPriorityLevel);
    }
    this.maxBatchSize = maxBatchSize;
    this.preferredBatchSizes = new TreeSet<>(preferredBatchSizes);
    this.maxQueueDelayNanos = maxQueueDelay.toNanos();
    this.defaultLevel = priorityLevels == 0 ? 1 : defaultPriorityLevel;
    for (int i = 0; i < Math.max(1, priorityLevels); i++) {
      queues.add(new LinkedHashSet<>());
    }
  }

  /**
   * The batcher {@code config.pbtxt} describes: a model that does not batch ({@code max_batch_size}
   * 0) runs one row at a time; without {@code dynamic_batching}, queued requests go at once.
   */
  public static DynamicBatcher of(ModelConfig config) {
    DynamicBatching db = config.dynamicBatching() == null ? DynamicBatching.immediate() : config.dynamicBatching();
    int max = Math.max(1, config.maxBatchSize());
    return new DynamicBatcher(config.name(), max, db.preferredBatchSizes(), db.maxQueueDelay(),
        Math.toIntExact(db.priorityLevels()), Math.toIntExact(db.defaultPriorityLevel()));
  }

  public String model() {
    return model;
  }

  /**
   * Queues {@code request}; one whose deadline has already passed goes straight to the rejected.
   *
   * @throws IllegalArgumentException if it has more rows than {@code maxBatchSize} or names a
   *     level the model does not have
   */
  public void offer(Request request, long nowNanos) {
    if (request.batchSize() > maxBatchSize) {
      throw new IllegalArgumentException("request " + request.id() + " of model '" + model + "' has batch size "
          + request.batchSize() + ", more than max_batch_size " + maxBatchSize);
    }
    int level = request.priorityLevel() == 0 ? defaultLevel : request.priorityLevel();
    if (queues.size() > 1 && level > queues.size()) {
      throw new IllegalArgumentException("request " + request.id() + " of model '" + model + "' asks for priority "
          + level + "; the model has levels 1 to " + queues.size());
    }
    if (nowNanos >= request.deadlineNanos()) {
      rejected.add(new Rejected(request, nowNanos));
      return;
    }
    queues.get(Math.min(level, queues.size()) - 1).add(request);
    deadlines.add(request);
    queued++;
  }

  /** The next batch releasable at {@code nowNanos}, after expiring overdue requests. */
  public Optional<Batch> poll(long nowNanos) {
    expire(nowNanos);
    List<Request> candidate = new ArrayList<>();
    boolean blocked = candidate(candidate);
    if (candidate.isEmpty()) {
      return Optional.empty();
    }
    int take = releasableWithoutWaiting(candidate, blocked);
    if (take == 0 && nowNanos - oldestArrivalNanos() >= maxQueueDelayNanos) {
      take = candidate.size();
    }
    return take == 0 ? Optional.empty() : Optional.of(release(take, nowNanos));
  }

  /**
   * The next batch that waiting cannot grow, after expiring overdue requests: the candidate when
   * it holds {@code maxBatchSize} rows or the next queued request does not fit beside it (rule 1
   * alone). For an owner that holds back batches that could still fill up.
   */
  public Optional<Batch> pollFull(long nowNanos) {
    expire(nowNanos);
    List<Request> candidate = new ArrayList<>();
    boolean blocked = candidate(candidate);
    if (candidate.isEmpty() || !(blocked || rows(candidate) == maxBatchSize)) {
      return Optional.empty();
    }
    return Optional.of(release(candidate.size(), nowNanos));
  }

  /** Every batch releasable at {@code nowNanos}, in release order. */
  public List<Batch> drain(long nowNanos) {
    List<Batch> out = new ArrayList<>();
    for (Optional<Batch> b = poll(nowNanos); b.isPresent(); b = poll(nowNanos)) {
      out.add(b.get());
    }
    return out;
  }

  /**
   * The candidate batch at {@code nowNanos} whatever the release rules say, after expiring overdue
   * requests; empty when nothing is queued. For an owner that stops waiting for more requests
   * (draining): calling it until empty releases every queued request.
   */
  public Optional<Batch> flush(long nowNanos) {
    expire(nowNanos);
    List<Request> candidate = new ArrayList<>();
    candidate(candidate);
    return candidate.isEmpty() ? Optional.empty() : Optional.of(release(candidate.size(), nowNanos));
  }

  /**
   * Removes every queued request unserved, in queue order (priority level, then arrival), for an
   * owner that withdraws the model; the owner answers each. Requests already reported to {@link
   * #takeRejected} are not among them.
   */
  public List<Request> removeAll() {
    List<Request> out = new ArrayList<>();
    for (LinkedHashSet<Request> q : queues) {
      out.addAll(q);
      q.clear();
    }
    deadlines.clear();
    queued = 0;
    return out;
  }

  /** Requests removed since the last call because their deadline passed while queued. */
  public List<Rejected> takeRejected() {
    List<Rejected> out = List.copyOf(rejected);
    rejected.clear();
    return out;
  }

  /**
   * When the owner must next call {@link #poll}, absent new offers: the earliest of a request's
   * deadline and the oldest request's delay expiry; the oldest arrival when a batch is releasable
   * already (a time at or before now); {@link Long#MAX_VALUE} when empty.
   */
  public long nextDeadlineNanos() {
    if (size() == 0) {
      return Long.MAX_VALUE;
    }
    long oldest = oldestArrivalNanos();
    long earliestDeadline = earliestDeadlineNanos();
    List<Request> candidate = new ArrayList<>();
    boolean blocked = candidate(candidate);
    if (releasableWithoutWaiting(candidate, blocked) > 0) {
      return oldest;
    }
    long delayEnds = oldest > Long.MAX_VALUE - maxQueueDelayNanos ? Long.MAX_VALUE : oldest + maxQueueDelayNanos;
    return Math.min(delayEnds, earliestDeadline);
  }

  /**
   * The earliest deadline among the queued requests; {@link Long#MAX_VALUE} when empty. For an
   * owner that holds batches back (its model has no room for another batch): it need not poll
   * before then, except to release once room frees.
   */
  public long earliestDeadlineNanos() {
    for (Request top = deadlines.peek(); top != null; top = deadlines.peek()) {
      if (queueOf(top).contains(top)) {
        return top.deadlineNanos();
      }
      deadlines.poll(); // it left in a batch: drop its entry
    }
    return Long.MAX_VALUE;
  }

  /**
   * Removes the queued requests whose deadline has passed at {@code nowNanos} (reported by {@link
   * #takeRejected}) without releasing anything: for an owner that holds batches back. {@link
   * #poll}, {@link #drain} and {@link #flush} do this themselves.
   */
  public void expire(long nowNanos) {
    for (Request top = deadlines.peek(); top != null && nowNanos >= top.deadlineNanos(); top = deadlines.peek()) {
      deadlines.poll();
      if (queueOf(top).remove(top)) {
        queued--;
        rejected.add(new Rejected(top, nowNanos));
      }
    }
  }

  /** Requests queued. */
  public int size() {
    return queued;
  }

  /** Fills {@code out} with the candidate batch; true when a queued request did not fit after it. */
  private boolean candidate(List<Request> out) {
    int rows = 0;
    for (LinkedHashSet<Request> q : queues) {
      for (Request r : q) {
        if (rows + r.batchSize() > maxBatchSize) {
          return true;
        }
        rows += r.batchSize();
        out.add(r);
      }
    }
    return false;
  }

  private static int rows(List<Request> requests) {
    int rows = 0;
    for (Request r : requests) {
      rows += r.batchSize();
    }
    return rows;
  }

  /** How many requests of the candidate rules 1 and 2 release (0: none), whatever the time. */
  private int releasableWithoutWaiting(List<Request> candidate, boolean blocked) {
    int rows = 0;
    int longestPreferred = 0;
    for (int i = 0; i < candidate.size(); i++) {
      rows += candidate.get(i).batchSize();
      if (preferredBatchSizes.contains(rows)) {
        longestPreferred = i + 1;
      }
    }
    if (rows == maxBatchSize || blocked) {
      return candidate.size();
    }
    return longestPreferred;
  }

  /** The earliest arrival: each level's first request, since a level queues in arrival order. */
  private long oldestArrivalNanos() {
    long oldest = Long.MAX_VALUE;
    for (LinkedHashSet<Request> q : queues) {
      if (!q.isEmpty()) {
        oldest = Math.min(oldest, q.iterator().next().arrivalNanos());
      }
    }
    return oldest;
  }

  private LinkedHashSet<Request> queueOf(Request r) {
    int level = r.priorityLevel() == 0 ? defaultLevel : r.priorityLevel();
    return queues.get(Math.min(level, queues.size()) - 1);
  }

  private Batch release(int count, long nowNanos) {
    List<Request> taken = new ArrayList<>(count);
    int bestLevel = Integer.MAX_VALUE;
    for (int level = 1; level <= queues.size() && taken.size() < count; level++) {
      LinkedHashSet<Request> q = queues.get(level - 1);
      for (Iterator<Request> it = q.iterator(); it.hasNext() && taken.size() < count; ) {
        taken.add(it.next());
        it.remove();
        bestLevel = Math.min(bestLevel, level);
      }
    }
    queued -= taken.size();
    if (deadlines.size() > 2 * queued + 64) { // mostly entries of requests that left: rebuild
      deadlines.clear();
      queues.forEach(deadlines::addAll);
    }
    return new Batch(model, taken, nowNanos, queues.size() > 1 ? bestLevel - 1 : 0);
  }
}
