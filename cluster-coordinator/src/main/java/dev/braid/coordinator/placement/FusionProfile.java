package dev.braid.coordinator.placement;

import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Which super-kernels a model can join: for each {@link FusionKey} of its plan, the share of the
 * plan's FLOPs spent in ops with that key. Ops without a key (they never fuse) count in the total
 * but in no share, so the shares sum to at most 1.
 *
 * <p>Two models co-locate well when much of both models' work can fuse: {@link #overlap} is the
 * histogram intersection {@code sum_k min(a_k, b_k)}, in [0, 1], 1 only for identical profiles.
 *
 * @param flopShares key to share of FLOPs, each in (0, 1], summing to at most 1; iterated in the
 *     keys' string order so sums are computed in one order on every node
 */
public record FusionProfile(Map<FusionKey, Double> flopShares) {
  /** Orders keys by their printed form; {@link FusionKey} itself is not comparable. */
  static final Comparator<FusionKey> KEY_ORDER = Comparator.comparing(FusionKey::toString);

  /** Tolerance on the sum of shares, for rounding in callers that computed them. */
  private static final double SUM_TOLERANCE = 1e-9;

  public static final FusionProfile NONE = new FusionProfile(Map.of());

  public FusionProfile {
    Objects.requireNonNull(flopShares, "flopShares");
    TreeMap<FusionKey, Double> sorted = new TreeMap<>(KEY_ORDER);
    double sum = 0;
    for (Map.Entry<FusionKey, Double> e : flopShares.entrySet()) {
      double share = e.getValue();
      if (!(share > 0 && share <= 1)) {
        throw new IllegalArgumentException("share of fusion key " + e.getKey() + " must be in (0, 1], got " + share);
      }
      sorted.put(e.getKey(), share);
      sum += share;
    }
    if (sum > 1 + SUM_TOLERANCE) {
      throw new IllegalArgumentException("fusion shares must sum to at most 1, got " + sum);
    }
    flopShares = java.util.Collections.unmodifiableSortedMap(sorted);
  }

  /** The profile of {@code plan}: FLOPs per fusion key over the plan's total FLOPs. */
  public static FusionProfile of(KernelPlan plan) {
    long total = plan.totalFlops();
    if (total <= 0) {
      return NONE;
    }
    TreeMap<FusionKey, Long> flops = new TreeMap<>(KEY_ORDER);
    for (KernelOp op : plan.ops()) {
      if (op.fusionKey().isPresent() && op.flops() > 0) {
        flops.merge(op.fusionKey().get(), op.flops(), Long::sum);
      }
    }
    TreeMap<FusionKey, Double> shares = new TreeMap<>(KEY_ORDER);
    flops.forEach((k, f) -> shares.put(k, (double) f / total));
    return new FusionProfile(shares);
  }

  /** The share of FLOPs the two profiles can fuse, {@code sum_k min(a_k, b_k)}, in [0, 1]. */
  public double overlap(FusionProfile other) {
    double sum = 0;
    for (Map.Entry<FusionKey, Double> e : flopShares.entrySet()) {
      Double theirs = other.flopShares.get(e.getKey());
      if (theirs != null) {
        sum += Math.min(e.getValue(), theirs);
      }
    }
    return sum;
  }
}
