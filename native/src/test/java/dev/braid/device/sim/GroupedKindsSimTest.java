package dev.braid.device.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cpu.GroupedMixes;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Pool2d.PoolMode;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.plan.GroupedGeometry;
import dev.braid.device.plan.KernelGeometry;
import dev.braid.device.plan.LaunchGeometry;
import dev.braid.device.sim.internal.KernelWork;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The simulator's view of grouped launches of the wider fusion classes: one launch whose blocks
 * are the union of its problems', each problem keeping its own work per block, with the largest
 * block footprint; so a group costs one launch overhead and finishes no later than its problems
 * one after another, and no sooner than its longest problem alone.
 */
class GroupedKindsSimTest {
  private static final List<List<Kernel>> GROUPS = List.of(
      List.of(Unary.of(UnaryOp.GELU, 3000), Binary.of(BinaryOp.ADD, Shape.of(128, 768), Shape.of(768)),
          new BatchNorm(1, 64, 56 * 56), Unary.clip(100, 0f, 6f)),
      List.of(new Pool2d(PoolMode.MAX, 1, 64, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 56, 56, false),
          new GlobalAveragePool(512, 49), new GlobalAveragePool(1280, 49)),
      List.of(new Softmax(12 * 128, 128, 1), new LayerNorm(128, 768, 1e-12f, true),
          new ReduceMean(Shape.of(1, 16, 7, 7), List.of(2, 3)), new Softmax(1, 10, 1)),
      // the rows class's reductions and fibre ops: a classifier's ArgMax and LogSoftmax, a pooled
      // sum, a CumSum, beside attention's Softmax (row threads 32 to 256 in one launch)
      List.of(new Reduce(ReduceOp.ARG_MAX, Shape.of(1, 1000), List.of(1), false),
          new AlongAxis(AxisOp.LOG_SOFTMAX, 1, 1000, 1, false),
          new Reduce(ReduceOp.SUM, Shape.of(4, 128, 768), List.of(2), false),
          new AlongAxis(AxisOp.CUMSUM, 1, 64, 1, false), new Softmax(12 * 128, 128, 1)),
      List.of(Conv2d.simple(1, 32, 112, 112, 32, 3, 1, 1, 32), Conv2d.simple(1, 144, 56, 56, 144, 3, 2, 1, 144),
          Conv2d.simple(1, 960, 7, 7, 960, 5, 1, 2, 960)),
      // the tiled class: GEMMs (BERT's projections, a classifier) beside ResNet's convolutions
      List.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1), Gemm.of(128, 768, 768),
          Conv2d.simple(1, 64, 28, 28, 128, 1, 2, 0, 1), Gemm.of(128, 3072, 768, false, true, 1f, 1f, GemmBias.PER_COLUMN)));

  @Test
  void aGroupedLaunchIsTheUnionOfItsProblemsBlocksOnTheGroupedKernelsFootprint() {
    try (SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100)) {
      for (List<Kernel> group : GROUPS) {
        List<KernelLaunch> problems = new ArrayList<>();
        int blocks = 0;
        for (Kernel k : group) {
          problems.add(Sim.launchOf(sim, k));
          blocks += KernelGeometry.of(k).blocks();
        }
        // the blocks are the union of the problems'; the resources are the grouped CUDA kernel's
        LaunchGeometry grouped = GroupedGeometry.of(group).footprint();
        KernelWork work = KernelWork.of(new GroupedLaunch(problems));
        assertEquals(blocks, work.totalBlocks(), group.toString());
        assertEquals(grouped, work.footprint(), group.toString());
      }
    }
  }

  @Test
  void aGroupFinishesNoLaterThanItsProblemsInTurnAndNoSoonerThanTheLongestAlone() {
    try (SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100)) {
      for (List<Kernel> group : GROUPS) {
        List<KernelLaunch> problems = new ArrayList<>();
        long sum = 0;
        long longest = 0;
        for (Kernel k : group) {
          KernelLaunch l = Sim.launchOf(sim, k);
          problems.add(l);
          long alone = sim.estimateNanos(l);
          sum += alone;
          longest = Math.max(longest, alone);
        }
        long grouped = sim.estimateNanos(new GroupedLaunch(problems));
        assertTrue(grouped < sum, group + ": grouped " + grouped + " ns, in turn " + sum + " ns");
        assertTrue(grouped >= longest, group + ": grouped " + grouped + " ns, longest alone " + longest + " ns");
      }
    }
  }

  /**
   * TopK and PoolNd run one fibre (output) per thread, 256 per grouped block against the single
   * kernels' 1024 per block (4 per thread), so a group's blocks are its problems' at 256 each, on
   * the grouped kernel's footprint; the group beats its problems launched in turn.
   */
  @Test
  void topKAndPoolNdGroupsRunTheirProblemsAt256PerBlockAndBeatLaunchingInTurn() {
    try (SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100)) {
      for (List<Kernel> group : List.of(GroupedMixes.topKs(), GroupedMixes.poolNds())) {
        List<KernelLaunch> problems = new ArrayList<>();
        int blocks = 0;
        long sum = 0;
        for (Kernel k : group) {
          KernelLaunch l = Sim.launchOf(sim, k);
          problems.add(l);
          long threads = k instanceof TopK t ? (long) t.outer() * t.inner() : ((PoolNd) k).outputElements();
          blocks += (int) ((threads + 255) / 256);
          sum += sim.estimateNanos(l);
        }
        KernelWork work = KernelWork.of(new GroupedLaunch(problems));
        assertEquals(blocks, work.totalBlocks(), group.toString());
        assertEquals(GroupedGeometry.of(group).footprint(), work.footprint(), group.toString());
        long grouped = sim.estimateNanos(new GroupedLaunch(problems));
        assertTrue(grouped < sum, group + ": grouped " + grouped + " ns, in turn " + sum + " ns");
      }
    }
  }
}
