package dev.braid.device.cuda.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.cpu.GroupedMixes;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.plan.FusionKeys;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code braid_topk_grouped_f32} and {@code braid_pool_nd_grouped_f32} over the emulated CUDA
 * driver: one grouped launch of TopKs (both orders and outputs, strided fibres, several blocks,
 * inputs with ties) and one of PoolNds (every kind over 1 to 3 spatial axes), each equal bit for
 * bit to {@code braid_topk_f32} and {@code braid_pool_nd_f32} launched alone, although the grouped
 * kernels run 256 fibres (outputs) per block, one per thread, against the single kernels' 1024.
 * Skipped, saying why, where the emulator could not be built (no g++).
 */
class GroupedTopKPoolNdEmulatedTest {
  @RegisterExtension static final EmulatedGpu GPU = new EmulatedGpu();

  @Test
  void aGroupedTopKLaunchEqualsTheSingleKernelBitForBit() throws Exception {
    List<Kernel> kernels = GroupedMixes.topKs();
    for (Kernel k : kernels) {
      assertEquals(FusionKeys.TOPK, FusionKeys.of(k).orElseThrow(), k.toString());
    }
    GroupedVsAlone.assertBitForBit(GPU.device(), kernels, GroupedVsAlone.inputs(kernels, 11));
  }

  @Test
  void aGroupedPoolNdLaunchOfEveryKindAndRankEqualsTheSingleKernelBitForBit() throws Exception {
    List<Kernel> kernels = GroupedMixes.poolNds();
    for (Kernel k : kernels) {
      assertEquals(FusionKeys.POOL_ND, FusionKeys.of(k).orElseThrow(), k.toString());
    }
    GroupedVsAlone.assertBitForBit(GPU.device(), kernels, GroupedVsAlone.inputs(kernels, 12));
  }
}
