package dev.braid.device.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceStream;
import dev.braid.device.GpuSpec;
import dev.braid.device.cuda.LaunchPacker;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The timing model's physics on the V100 profile, each rule hand-checked. A tiled GEMM block is
 * 256 threads x 64 registers, so registers bind at 4 blocks per SM; 320 fill the GPU.
 */
class TimingModelTest {
  private static final GpuProfile V100 = GpuProfiles.V100;
  private static final GpuSpec SPEC = V100.spec();
  /** Host time per copy: the API call and its completion event. */
  private static final long COPY = V100.timing().hostNanosPerLaunch();
  /**
   * Host time per GEMM launch: Braid's CUDA device uploads the batch offsets, then launches (two
   * API calls), and records the completion event.
   */
  private static final long LAUNCH = V100.timing().hostNanosFor(2);
  /** The front end's time per grid before its blocks start. */
  private static final long GRID = V100.timing().gridLaunchNanos();

  /** A compute-bound tiled GEMM of exactly {@code blocks} 64 x 64 tiles. */
  private static Gemm gemmOfBlocks(int blocks) {
    return Gemm.of(64 * blocks, 64, 512);
  }

  private static long kernelNanos(Kernel k) {
    SimulatedDevice d = new SimulatedDevice(V100);
    var launch = Sim.launchOf(d, k);
    return d.estimateNanos(launch) - V100.timing().hostNanosFor(LaunchPacker.driverCalls(launch)) - GRID;
  }

  @Test
  void estimateIncludesOneLaunchOverheadAndOneBlockAloneRunsAtTheSmsPeakShare() {
    long t = kernelNanos(gemmOfBlocks(1));
    double flops = 2.0 * 64 * 64 * 512;
    double ideal = flops / (V100.smPeakFlopsPerSecond() * V100.timing().achievedFlopsFraction()) * 1e9;
    assertEquals(ideal + V100.timing().blockFixedNanos(), t, 2.0);
  }

  @Test
  void kernelTimeFollowsWaveCountNotBlockCount() {
    long one = kernelNanos(gemmOfBlocks(1));
    long fullFirstRow = kernelNanos(gemmOfBlocks(SPEC.smCount())); // one block per SM
    long oneMore = kernelNanos(gemmOfBlocks(SPEC.smCount() + 1)); // one SM runs two, sharing its FP32 pipes
    assertEquals(one, fullFirstRow, 2);
    long compute = one - V100.timing().blockFixedNanos();
    assertEquals(2 * compute + V100.timing().blockFixedNanos(), oneMore, 2);
    int fullGpu = 2 * SPEC.smCount(); // two resident tiled blocks per SM (116 registers x 256 threads)
    long full = kernelNanos(gemmOfBlocks(fullGpu));
    long fullPlusOne = kernelNanos(gemmOfBlocks(fullGpu + 1)); // a second wave of one block
    assertEquals(full + one, fullPlusOne, 2);
    assertEquals(2 * compute + V100.timing().blockFixedNanos(), full, 2);
  }

  @Test
  void computeBoundKernelApproachesAchievedPeakFlops() {
    Gemm big = Gemm.of(2048, 2048, 2048);
    double ideal = big.flops() / (SPEC.peakFp32FlopsPerSecond() * V100.timing().achievedFlopsFraction()) * 1e9;
    double ratio = kernelNanos(big) / ideal;
    assertTrue(ratio >= 1.0 && ratio < 1.1, "GEMM at " + ratio + " x the compute roofline");
  }

  @Test
  void memoryBoundKernelApproachesAchievedBandwidth() {
    Unary relu = Unary.of(UnaryOp.RELU, 1 << 26);
    double bytes = relu.bytesRead() + relu.bytesWritten();
    double ideal = bytes / (SPEC.memoryBandwidthBytesPerSecond() * V100.timing().achievedBandwidthFraction()) * 1e9;
    double ratio = kernelNanos(relu) / ideal;
    assertTrue(ratio >= 1.0 && ratio < 1.1, "ReLU at " + ratio + " x the bandwidth roofline");
    // far below the compute roofline: it is the bytes that cost
    assertTrue(relu.flops() / (SPEC.peakFp32FlopsPerSecond() * 0.7) * 1e9 < 0.01 * ideal);
  }

  @Test
  void aFewBlocksCannotPullTheWholeBandwidth() {
    // 8 blocks of 256 threads keep 8 * 256 * 32 bytes in flight: Little's law caps them far below HBM
    Unary small = Unary.of(UnaryOp.RELU, 8 * 1024);
    double perBlockBytes = (small.bytesRead() + small.bytesWritten()) / 8.0;
    double little = 256.0 * V100.timing().bytesInFlightPerThread() / (V100.timing().memoryLatencyNanos() * 1e-9);
    long expected = V100.timing().blockFixedNanos() + (long) Math.ceil(perBlockBytes / little * 1e9);
    assertEquals(expected, kernelNanos(small), 2);
  }

  @Test
  void twoStreamsOverlapWhenEachKernelLeavesSmsIdle() {
    Kernel half = gemmOfBlocks(SPEC.smCount() / 2);
    long alone = Sim.makespanOnStreams(new SimulatedDevice(Sim.v100WithoutLaunchOverhead()), List.of(half));
    long both = Sim.makespanOnStreams(new SimulatedDevice(Sim.v100WithoutLaunchOverhead()), List.of(half, half));
    assertEquals(alone, both, 2, "each takes its own half of the SMs");
  }

  @Test
  void twoStreamsSerialiseWhenEachKernelFillsTheGpu() {
    Kernel full = gemmOfBlocks(4 * SPEC.smCount());
    long alone = Sim.makespanOnStreams(new SimulatedDevice(Sim.v100WithoutLaunchOverhead()), List.of(full));
    long both = Sim.makespanOnStreams(new SimulatedDevice(Sim.v100WithoutLaunchOverhead()), List.of(full, full));
    assertEquals(2.0, (double) both / alone, 0.02);
  }

  @Test
  void groupedLaunchBeatsSeparateLaunchesMoreAsRGrowsUntilTheGpuIsFull() {
    Gemm square = Gemm.of(256, 256, 256); // 16 tiles: 20 problems fill the V100's 320 block slots
    List<Double> ratios = new ArrayList<>();
    int[] rs = {1, 2, 5, 10, 20, 40};
    for (int r : rs) {
      SimulatedDevice separate = new SimulatedDevice(V100);
      CompletableFuture<Long> last = null;
      for (int i = 0; i < r; i++) {
        last = Sim.doneAt(separate, separate.launch(Sim.launchOf(separate, square), separate.defaultStream()));
      }
      separate.runUntilIdle();
      SimulatedDevice fused = new SimulatedDevice(V100);
      CompletableFuture<Long> one = Sim.doneAt(fused, fused.launch(Sim.grouped(fused, square, r), fused.defaultStream()));
      fused.runUntilIdle();
      ratios.add((double) last.join() / one.join());
      assertEquals(1, fused.stats().launches());
      assertEquals(16L * r, fused.stats().blocks());
    }
    assertEquals(1.0, ratios.get(0), 1e-9);
    for (int i = 1; i < 5; i++) {
      assertTrue(ratios.get(i) > ratios.get(i - 1), "ratio grows with R up to full: " + ratios);
    }
    assertTrue(ratios.get(4) > 3, ratios.toString());
    assertEquals(ratios.get(4), ratios.get(5), 0.1 * ratios.get(4), "past full it levels off: " + ratios);
  }

  @Test
  void atMostMaxResidentKernelsRunAtOnce() {
    SimulatedDevice d = new SimulatedDevice(Sim.v100WithoutLaunchOverhead());
    d.enableTrace();
    List<Kernel> kernels = Collections.nCopies(200, gemmOfBlocks(1));
    long makespan = Sim.makespanOnStreams(d, kernels);
    int resident = 0;
    int most = 0;
    for (TraceEvent e : d.trace()) {
      if (e.kind() == TraceEvent.Kind.STARTED) {
        most = Math.max(most, ++resident);
      } else if (e.kind() == TraceEvent.Kind.COMPLETED) {
        resident--;
      }
    }
    assertEquals(SPEC.maxResidentKernels(), most);
    assertEquals(200, d.stats().launches());
    // 200 one-block kernels would fit at once (80 SMs x 4); the limit makes a second round
    long one = kernelNanos(gemmOfBlocks(1));
    assertTrue(makespan > 2 * one, makespan + " vs one kernel " + one);
  }

  @Test
  void hostIssuesLaunchesOneAfterAnother() {
    SimulatedDevice d = new SimulatedDevice(V100);
    d.enableTrace();
    for (int i = 0; i < 5; i++) {
      DeviceStream s = d.createStream(0);
      d.launch(Sim.launchOf(d, gemmOfBlocks(1)), s);
    }
    d.runUntilIdle();
    List<Long> issued = d.trace().stream().filter(e -> e.kind() == TraceEvent.Kind.ISSUED).map(TraceEvent::timeNanos).toList();
    assertEquals(List.of(LAUNCH, 2 * LAUNCH, 3 * LAUNCH, 4 * LAUNCH, 5 * LAUNCH), issued);
  }

  @Test
  void uploadsTakeBytesOverPcieBandwidth() {
    SimulatedDevice d = new SimulatedDevice(V100);
    float[] data = new float[3_000_000];
    CompletableFuture<Long> t = Sim.doneAt(d, d.upload(data, d.allocate(4L * data.length).whole(), d.defaultStream()));
    d.runUntilIdle();
    assertEquals(COPY + (long) Math.ceil(12e6 / V100.pcieBytesPerSecond() * 1e9), t.join());
  }

  @Test
  void smUtilizationCountsSmsHoldingBlocks() {
    SimulatedDevice d = new SimulatedDevice(Sim.v100WithoutLaunchOverhead());
    Sim.makespanOnStreams(d, List.of(gemmOfBlocks(SPEC.smCount() / 4)));
    assertEquals(0.25, d.stats().smUtilization(), 1e-9);
    assertEquals(SPEC.smCount() / 4, d.stats().blocks());
  }

  @Test
  void streamsSharingAHardwareQueueSerialiseBehindAWaitingHead() {
    GpuProfile oneQueue = V100.withTiming(V100.timing().withoutLaunchCosts().withHardwareQueues(1));
    GpuProfile manyQueues = V100.withTiming(V100.timing().withoutLaunchCosts());
    long[] ends = new long[2];
    for (int q = 0; q < 2; q++) {
      SimulatedDevice d = new SimulatedDevice(q == 0 ? oneQueue : manyQueues);
      DeviceStream a = d.createStream(0);
      DeviceStream b = d.createStream(0);
      d.launch(Sim.launchOf(d, gemmOfBlocks(1)), a);
      d.launch(Sim.launchOf(d, gemmOfBlocks(1)), a); // waits for a's first: blocks the shared queue
      CompletableFuture<Long> bDone = Sim.doneAt(d, d.launch(Sim.launchOf(d, gemmOfBlocks(1)), b));
      d.runUntilIdle();
      ends[q] = bDone.join();
    }
    long one = kernelNanos(gemmOfBlocks(1));
    assertEquals(one, ends[1], 2, "own queue: b runs beside a");
    assertEquals(2 * one, ends[0], 2, "shared queue: b waits behind a's second kernel");
  }

  @Test
  void backToBackKernelsOfOneStreamAreOneGridLaunchApart() {
    SimulatedDevice d = new SimulatedDevice(V100.withTiming(V100.timing().withoutLaunchCosts().withGridLaunchNanos(GRID)));
    CompletableFuture<Long> first = Sim.doneAt(d, d.launch(Sim.launchOf(d, gemmOfBlocks(1)), d.defaultStream()));
    CompletableFuture<Long> second = Sim.doneAt(d, d.launch(Sim.launchOf(d, gemmOfBlocks(1)), d.defaultStream()));
    d.runUntilIdle();
    long one = kernelNanos(gemmOfBlocks(1));
    assertEquals(GRID + one, first.join(), 2, "the front end takes the grid, then its block runs");
    assertEquals(2 * (GRID + one), second.join(), 2, "the second grid is launched only after the first completed");
  }

  @Test
  void theFrontEndLaunchesGridsOfAllStreamsOneAfterAnother() {
    long grid = 10_000; // large enough that the front end, not the SMs, sets the pace
    SimulatedDevice d = new SimulatedDevice(V100.withTiming(V100.timing().withoutLaunchCosts().withGridLaunchNanos(grid)));
    d.enableTrace();
    Sim.makespanOnStreams(d, Collections.nCopies(4, gemmOfBlocks(1)));
    List<Long> started = d.trace().stream().filter(e -> e.kind() == TraceEvent.Kind.STARTED)
        .map(TraceEvent::timeNanos).toList();
    assertEquals(List.of(grid, 2 * grid, 3 * grid, 4 * grid), started, "four streams, one front end");
  }

  @Test
  void eachLaunchCostsTheHostItsDriverCallsAndItsCompletionEvent() {
    assertEquals(2 * V100.timing().hostLaunchOverheadNanos() + V100.timing().hostCompletionEventNanos(), LAUNCH);
    SimulatedDevice d = new SimulatedDevice(V100);
    assertEquals(2, LaunchPacker.driverCalls(Sim.launchOf(d, gemmOfBlocks(1))), "offsets upload, then the kernel");
    assertEquals(1, LaunchPacker.driverCalls(Sim.launchOf(d, Unary.of(UnaryOp.RELU, 4096))), "the kernel alone");
    assertEquals(2, LaunchPacker.driverCalls(Sim.grouped(d, gemmOfBlocks(1), 5)), "one table upload, one kernel");
    CompletableFuture<Long> done = Sim.doneAt(d, d.launch(Sim.launchOf(d, gemmOfBlocks(1)), d.defaultStream()));
    d.runUntilIdle();
    assertEquals(LAUNCH + GRID + kernelNanos(gemmOfBlocks(1)), done.join(), 2);
  }
}
