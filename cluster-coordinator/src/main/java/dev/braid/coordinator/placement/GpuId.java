package dev.braid.coordinator.placement;

import java.util.Comparator;
import java.util.Objects;

/**
 * One GPU of the cluster: the address of the node that hosts it and its device ordinal there.
 * Ordered by node address, then ordinal; every tie-break in placement and routing uses this order,
 * so decisions do not depend on the order GPUs were discovered in.
 *
 * @param nodeAddress the node's cluster address, e.g. {@code "pekko://braid@10.0.0.5:25520"}
 * @param ordinal the device index on that node, >= 0
 */
public record GpuId(String nodeAddress, int ordinal) implements Comparable<GpuId> {
  private static final Comparator<GpuId> ORDER =
      Comparator.comparing(GpuId::nodeAddress).thenComparingInt(GpuId::ordinal);

  public GpuId {
    Objects.requireNonNull(nodeAddress, "nodeAddress");
    if (nodeAddress.isBlank()) {
      throw new IllegalArgumentException("GpuId.nodeAddress must not be blank");
    }
    if (ordinal < 0) {
      throw new IllegalArgumentException("GpuId.ordinal must be >= 0, got " + ordinal);
    }
  }

  @Override
  public int compareTo(GpuId other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return nodeAddress + "#" + ordinal;
  }
}
