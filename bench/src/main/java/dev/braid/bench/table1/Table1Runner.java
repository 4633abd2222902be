package dev.braid.bench.table1;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Gemm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs Table 1's measurement on one device: for a shape and R, allocates R independent SGEMM
 * problems (each with its own A, B and output buffers, as if from R models), then times the three
 * {@link Approach}es on them, alternating between approaches so that machine noise falls on all
 * alike, and keeps the median of each.
 *
 * <p>A run's time is from the host call of its first launch to the completion of its last, read
 * from {@link DeviceTiming#clock()} inside each completion callback.
 *
 * <p>Lifecycle: streams are created as R grows and live as long as the device (the SPI cannot
 * destroy them); problem buffers are freed after each {@link #measure}.
 */
final class Table1Runner {
  private final Device device;
  private final DeviceTiming timing;
  private final int warmupRuns;
  private final int timedRuns;
  private final long seed;
  private final List<DeviceStream> streams = new ArrayList<>();

  Table1Runner(Device device, DeviceTiming timing, int warmupRuns, int timedRuns, long seed) {
    if (warmupRuns < 0 || timedRuns < 1) {
      throw new IllegalArgumentException("warm-up runs must be >= 0 and timed runs >= 1, got " + warmupRuns
          + " and " + timedRuns);
    }
    this.device = device;
    this.timing = timing;
    this.warmupRuns = warmupRuns;
    this.timedRuns = timedRuns;
    this.seed = seed;
  }

  /** Times the three approaches on {@code r} problems of {@code shape}. */
  Table1Row measure(Table1Shape shape, int r) throws Exception {
    if (r < 1) {
      throw new IllegalArgumentException("R must be >= 1, got " + r);
    }
    while (streams.size() < r) {
      streams.add(device.createStream(0));
    }
    List<DeviceBuffer> buffers = new ArrayList<>(3 * r);
    try {
      List<KernelLaunch> problems = allocate(shape, r, buffers);
      for (int i = 0; i < warmupRuns; i++) {
        for (Approach a : Approach.values()) {
          run(a, problems);
        }
      }
      Map<Approach, long[]> nanos = new EnumMap<>(Approach.class);
      for (Approach a : Approach.values()) {
        nanos.put(a, new long[timedRuns]);
      }
      for (int i = 0; i < timedRuns; i++) {
        for (Approach a : Approach.values()) {
          nanos.get(a)[i] = run(a, problems);
        }
      }
      Map<Approach, Long> medians = new EnumMap<>(Approach.class);
      nanos.forEach((a, t) -> medians.put(a, median(t)));
      return new Table1Row(shape, r, medians, timedRuns);
    } finally {
      for (DeviceBuffer b : buffers) {
        device.free(b);
      }
    }
  }

  /** Nanoseconds from the first launch's call to the last launch's completion. */
  long run(Approach approach, List<KernelLaunch> problems) throws Exception {
    AtomicLong lastCompletion = new AtomicLong(Long.MIN_VALUE);
    List<CompletableFuture<Void>> stages = new ArrayList<>(problems.size());
    long start = timing.clock().nanoTime();
    switch (approach) {
      case TIME_ONLY -> {
        for (KernelLaunch p : problems) {
          stages.add(track(device.launch(p, streams.get(0)).toCompletableFuture(), lastCompletion));
        }
      }
      case SPACE_ONLY -> {
        for (int i = 0; i < problems.size(); i++) {
          stages.add(track(device.launch(problems.get(i), streams.get(i)).toCompletableFuture(), lastCompletion));
        }
      }
      case SPACE_TIME -> stages.add(
          track(device.launch(new GroupedLaunch(problems), streams.get(0)).toCompletableFuture(), lastCompletion));
    }
    timing.awaitAll(stages);
    long end = lastCompletion.get();
    if (end == Long.MIN_VALUE) {
      throw new IllegalStateException(approach.label() + ": no completion time was recorded");
    }
    return end - start;
  }

  private CompletableFuture<Void> track(CompletableFuture<Void> stage, AtomicLong lastCompletion) {
    return stage.whenComplete((v, e) -> lastCompletion.accumulateAndGet(timing.clock().nanoTime(), Math::max));
  }

  /**
   * R problems, each {@code Y = A * B} with its own buffers; A and B hold uniform values in
   * [-1, 1) from a seeded generator, so a device that computes sees ordinary numbers (no
   * denormals) and every run sees the same ones.
   */
  private List<KernelLaunch> allocate(Table1Shape shape, int r, List<DeviceBuffer> buffers) throws Exception {
    Gemm kernel = Gemm.of(shape.m(), shape.n(), shape.k());
    SplittableRandom random = new SplittableRandom(seed ^ ((long) shape.ordinal() << 32) ^ r);
    List<KernelLaunch> problems = new ArrayList<>(r);
    List<CompletableFuture<Void>> uploads = new ArrayList<>(2 * r);
    for (int i = 0; i < r; i++) {
      BufferSlice a = slice(kernel.argBytes(0), buffers);
      BufferSlice b = slice(kernel.argBytes(1), buffers);
      BufferSlice y = slice(kernel.argBytes(2), buffers);
      uploads.add(device.upload(randomFloats(a, random), a, streams.get(0)).toCompletableFuture());
      uploads.add(device.upload(randomFloats(b, random), b, streams.get(0)).toCompletableFuture());
      problems.add(new KernelLaunch(kernel, List.of(a, b, y)));
    }
    timing.awaitAll(uploads);
    return problems;
  }

  private BufferSlice slice(long bytes, List<DeviceBuffer> buffers) {
    DeviceBuffer buffer = device.allocate(bytes);
    buffers.add(buffer);
    return new BufferSlice(buffer, 0, bytes);
  }

  private static float[] randomFloats(BufferSlice slice, SplittableRandom random) {
    float[] values = new float[(int) slice.lengthElements()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (2 * random.nextDouble() - 1);
    }
    return values;
  }

  static long median(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
