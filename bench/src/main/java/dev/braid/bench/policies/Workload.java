package dev.braid.bench.policies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * What every policy of one {@code bench policies} run is given, identically: the co-located model
 * instances and the batch-1 requests that arrive for them, each with its deadline.
 *
 * <p>Arrivals are a Poisson process per instance (exponential gaps at the instance's rate, drawn
 * from its own {@link SplittableRandom} split off the seed), merged into one list ordered by time,
 * ties by instance. Request {@code i} arrives {@link #arrivalNanos(int)} after the workload starts,
 * for instance {@link #instanceOf(int)}, and must be answered by arrival + that instance's SLO.
 * Invariant: arrivals are non-decreasing and all lie in {@code [0, durationNanos)}.
 *
 * @param instances the co-located models, in load order
 * @param durationNanos the window arrivals fall in
 */
record Workload(List<Instance> instances, long durationNanos, long[] arrivals, int[] instanceIndex) {

  /**
   * One co-located model: a separately loaded copy (its own device weights) of an architecture.
   *
   * @param name the name it is loaded under, {@code <arch>#<index>}
   * @param arch the zoo architecture
   * @param rateRps its Poisson arrival rate, requests per second
   * @param sloNanos its latency objective: each request's deadline is its arrival plus this
   * @param flopsPerRequest floating-point operations of one batch-1 inference
   * @param priorityLevel the Triton priority level its requests ask for: 1 is the highest, 0 the
   *     model's default
   */
  record Instance(String name, String arch, double rateRps, long sloNanos, long flopsPerRequest, int priorityLevel) {
    /** An instance whose requests ask for the model's default priority. */
    Instance(String name, String arch, double rateRps, long sloNanos, long flopsPerRequest) {
      this(name, arch, rateRps, sloNanos, flopsPerRequest, 0);
    }

    Instance {
      if (priorityLevel < 0) {
        throw new IllegalArgumentException("instance " + name + ": priority level must be >= 0, got "
            + priorityLevel);
      }
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(arch, "arch");
      if (!(rateRps > 0) || Double.isInfinite(rateRps)) {
        throw new IllegalArgumentException("instance " + name + ": rate must be a positive number of requests/s, got "
            + rateRps);
      }
      if (sloNanos <= 0) {
        throw new IllegalArgumentException("instance " + name + ": SLO must be > 0 ns, got " + sloNanos);
      }
    }
  }

  Workload {
    instances = List.copyOf(instances);
    if (arrivals.length != instanceIndex.length) {
      throw new IllegalArgumentException(arrivals.length + " arrival times but " + instanceIndex.length + " instances");
    }
  }

  /** The same instances at {@code multiplier} times their rates. */
  static List<Instance> scaled(List<Instance> instances, double multiplier) {
    List<Instance> out = new ArrayList<>(instances.size());
    for (Instance i : instances) {
      out.add(new Instance(i.name(), i.arch(), i.rateRps() * multiplier, i.sloNanos(), i.flopsPerRequest(),
          i.priorityLevel()));
    }
    return out;
  }

  /**
   * Draws the arrivals of {@code instances} over {@code durationNanos} from {@code seed}: the same
   * arguments give the same workload. Each instance's gaps are its uniform draws scaled by the mean
   * gap, so the same instances at {@code m} times the rates (same seed) arrive at the same times
   * divided by {@code m}: the same requests, compressed (cut at the duration).
   */
  static Workload generate(List<Instance> instances, long durationNanos, long seed) {
    if (durationNanos <= 0) {
      throw new IllegalArgumentException("the workload's duration must be > 0 ns, got " + durationNanos);
    }
    SplittableRandom root = new SplittableRandom(seed);
    List<long[]> events = new ArrayList<>(); // {time, instance}
    for (int i = 0; i < instances.size(); i++) {
      SplittableRandom rnd = root.split();
      double meanGapNanos = 1e9 / instances.get(i).rateRps();
      double t = 0;
      while (true) {
        // inverse-CDF exponential gap; 1 - u lies in (0, 1], so the log is finite
        t += -Math.log(1.0 - rnd.nextDouble()) * meanGapNanos;
        if (t >= durationNanos) {
          break;
        }
        events.add(new long[] {(long) t, i});
      }
    }
    events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    long[] times = new long[events.size()];
    int[] index = new int[events.size()];
    for (int k = 0; k < times.length; k++) {
      times[k] = events.get(k)[0];
      index[k] = (int) events.get(k)[1];
    }
    return new Workload(instances, durationNanos, times, index);
  }

  /**
   * The arrivals of the instance named {@code name} only, at the same times, as a workload of that
   * one instance.
   */
  Workload only(String name) {
    int keep = -1;
    for (int i = 0; i < instances.size(); i++) {
      if (instances.get(i).name().equals(name)) {
        keep = i;
      }
    }
    if (keep < 0) {
      throw new IllegalArgumentException("no instance named '" + name + "' in the workload; it has "
          + instances.stream().map(Instance::name).toList());
    }
    int n = 0;
    for (int k : instanceIndex) {
      n += k == keep ? 1 : 0;
    }
    long[] times = new long[n];
    int j = 0;
    for (int r = 0; r < arrivals.length; r++) {
      if (instanceIndex[r] == keep) {
        times[j++] = arrivals[r];
      }
    }
    return new Workload(List.of(instances.get(keep)), durationNanos, times, new int[n]);
  }

  int requestCount() {
    return arrivals.length;
  }

  long arrivalNanos(int request) {
    return arrivals[request];
  }

  int instanceOf(int request) {
    return instanceIndex[request];
  }

  /** Requests of each instance, in instance order. */
  int[] requestsPerInstance() {
    int[] counts = new int[instances.size()];
    for (int i : instanceIndex) {
      counts[i]++;
    }
    return counts;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Workload w && instances.equals(w.instances) && durationNanos == w.durationNanos
        && Arrays.equals(arrivals, w.arrivals) && Arrays.equals(instanceIndex, w.instanceIndex);
  }

  @Override
  public int hashCode() {
    return Objects.hash(instances, durationNanos, Arrays.hashCode(arrivals), Arrays.hashCode(instanceIndex));
  }

  @Override
  public String toString() {
    return "Workload[" + instances.size() + " instances, " + arrivals.length + " requests over " + durationNanos
        + " ns]";
  }
}
