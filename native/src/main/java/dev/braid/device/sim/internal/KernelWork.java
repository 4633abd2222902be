package dev.braid.device.sim.internal;

import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.cuda.LaunchPacker;
import dev.braid.device.plan.GroupedGeometry;
import dev.braid.device.plan.KernelGeometry;
import dev.braid.device.plan.LaunchGeometry;
import java.util.List;

/**
 * The blocks one launch puts on the GPU, as the timing model sees them: one per-block resource
 * footprint (a compiled kernel has one configuration; a grouped launch runs on its grouped CUDA
 * kernel, whose ptxas figures {@link GroupedGeometry} gives) and, per problem, a class of alike
 * blocks with that problem's share of FLOPs and bytes, so mixed elementwise ops (a Gelu beside an
 * Add) each keep their own work per block. Blocks are dispatched class by class, problem 0 first.
 *
 * <p>Host cost: the driver calls Braid's CUDA device makes for the launch ({@link
 * LaunchPacker#driverCalls}: a table upload per grouped launch and per GEMM, a call per kernel),
 * each charged the profile's API-call time, so a super-kernel pays for its problem table.
 *
 * <p>Per-block work: FLOPs are the problem's {@link KernelGeometry#issuedFlops} (padded tiles)
 * over its blocks; bytes are its unique bytes read and written over its blocks, which assumes
 * that operands re-read by several blocks of one kernel hit in L2 (inference layers at small
 * batch fit in 6-50 MB of L2).
 */
public final class KernelWork {
  /** The launch, kept to name it: the name is built only when asked for (errors, traces). */
  private final Launch launch;
  private String label;
  final LaunchGeometry footprint;
  final int[] classBlocks;
  final double[] flopsPerBlock;
  final double[] bytesPerBlock;
  final int totalBlocks;
  /** Driver API calls the host spends issuing it on Braid's CUDA device (uploads and kernel calls). */
  final int driverCalls;

  private KernelWork(Launch launch, LaunchGeometry footprint, int[] classBlocks, double[] flopsPerBlock,
      double[] bytesPerBlock) {
    this.launch = launch;
    this.footprint = footprint;
    this.classBlocks = classBlocks;
    this.flopsPerBlock = flopsPerBlock;
    this.bytesPerBlock = bytesPerBlock;
    this.driverCalls = LaunchPacker.driverCalls(launch);
    long total = 0;
    for (int b : classBlocks) {
      total += b;
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(label() + ": " + total + " blocks exceed 2^31 - 1");
    }
    this.totalBlocks = (int) total;
  }

  /** The work of {@code launch}. */
  public static KernelWork of(Launch launch) {
    if (launch instanceof GroupedLaunch g) {
      return grouped(g);
    }
    var kernel = ((KernelLaunch) launch).kernel();
    LaunchGeometry g = KernelGeometry.of(kernel);
    return new KernelWork(launch, g, new int[] {g.blocks()},
        new double[] {(double) KernelGeometry.issuedFlops(kernel) / g.blocks()},
        new double[] {(double) (kernel.bytesRead() + kernel.bytesWritten()) / g.blocks()});
  }

  /**
   * A super-kernel runs on its grouped CUDA kernel ({@link GroupedGeometry}): that kernel's block
   * resources (ptxas figures), each problem's blocks and padded FLOPs as the grouped kernel issues
   * them, and each problem's unique bytes over its blocks.
   */
  private static KernelWork grouped(GroupedLaunch launch) {
    List<KernelLaunch> problems = launch.problems();
    GroupedGeometry gg = GroupedGeometry.of(problems.stream().map(KernelLaunch::kernel).toList());
    long[] issued = gg.issuedFlops();
    int n = problems.size();
    int[] blocks = new int[n];
    double[] flops = new double[n];
    double[] bytes = new double[n];
    for (int i = 0; i < n; i++) {
      var kernel = problems.get(i).kernel();
      blocks[i] = gg.problems().get(i).blocks();
      flops[i] = (double) issued[i] / blocks[i];
      bytes[i] = (double) (kernel.bytesRead() + kernel.bytesWritten()) / blocks[i];
    }
    return new KernelWork(launch, gg.footprint(), blocks, flops, bytes);
  }

  /** Blocks in the whole launch. */
  public int totalBlocks() {
    return totalBlocks;
  }

  /** The grid and the per-block resources every block of this launch takes. */
  public LaunchGeometry footprint() {
    return footprint;
  }

  /** What logs and traces call this launch. */
  public String label() {
    if (label == null) {
      label = launch instanceof GroupedLaunch g
          ? "grouped " + g.problems().get(0).kernel().getClass().getSimpleName() + " x" + g.problems().size()
          : ((KernelLaunch) launch).kernel().toString();
    }
    return label;
  }

  /** The class (problem) of the {@code index}-th block dispatched. */
  int classOf(int index) {
    int left = index;
    for (int c = 0; c < classBlocks.length; c++) {
      if (left < classBlocks[c]) {
        return c;
      }
      left -= classBlocks[c];
    }
    throw new IndexOutOfBoundsException("block " + index + " of " + totalBlocks);
  }
}
