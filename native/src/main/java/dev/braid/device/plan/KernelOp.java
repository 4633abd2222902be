package dev.braid.device.plan;

import dev.braid.device.kernel.Kernel;
import java.util.List;
import java.util.Optional;

/**
 * One kernel of a {@link KernelPlan}: the kernel with its static parameters, the ops whose
 * outputs it reads, its cost figures and launch geometry, and its fusion key when a grouped
 * super-kernel can take it.
 *
 * @param index position in the plan; ops run in index order within one request
 * @param node the graph node it came from, for logs and errors
 * @param dependsOn indices (all lower than {@code index}) of the ops whose outputs it reads
 * @param fusionKey present when the op may join a super-kernel with other ops of equal key
 */
public record KernelOp(
    int index,
    String node,
    Kernel kernel,
    List<Integer> dependsOn,
    LaunchGeometry geometry,
    Optional<FusionKey> fusionKey) {
  public KernelOp {
    dependsOn = List.copyOf(dependsOn);
    for (int d : dependsOn) {
      if (d < 0 || d >= index) {
        throw new IllegalArgumentException("op " + index + " (" + node + ") depends on op " + d
            + ", which does not come before it");
      }
    }
  }

  public long flops() {
    return kernel.flops();
  }

  public long bytesRead() {
    return kernel.bytesRead();
  }

  public long bytesWritten() {
    return kernel.bytesWritten();
  }
}
