package dev.braid.coordinator.placement;

import java.util.Map;
import java.util.TreeMap;

/**
 * One healthy GPU's account during a single {@link Placement#place} call: the replicas it holds,
 * the memory their weights take and the utilisation their load shares add up to.
 *
 * <p>Invariant: {@code usedBytes <= capacityBytes}, {@code usedBytes} and {@code utilisation} are
 * the sums over {@code replicas}.
 */
final class GpuLedger {
  final GpuInfo info;
  /** Memory that weights may fill: the device's memory less the reserve, never negative. */
  final long capacityBytes;
  /** Model name to the demand of its replica here. */
  private final TreeMap<String, ModelDemand> replicas = new TreeMap<>();
  /** Model name to the share of this GPU's time its replica's load takes. */
  private final TreeMap<String, Double> shares = new TreeMap<>();
  private long usedBytes;
  private double utilisation;

  GpuLedger(GpuInfo info, long reserveBytes) {
    this.info = info;
    this.capacityBytes = Math.max(0, info.memoryBytes() - reserveBytes);
  }

  GpuId id() {
    return info.id();
  }

  long freeBytes() {
    return capacityBytes - usedBytes;
  }

  double utilisation() {
    return utilisation;
  }

  boolean hosts(String model) {
    return replicas.containsKey(model);
  }

  boolean fits(ModelDemand d) {
    return !hosts(d.model()) && d.weightsBytes() <= freeBytes();
  }

  /** Adds a replica carrying {@code share} of a GPU's time; the caller checked {@link #fits}. */
  void add(ModelDemand d, double share) {
    replicas.put(d.model(), d);
    shares.put(d.model(), share);
    usedBytes += d.weightsBytes();
    utilisation += share;
  }

  void remove(String model) {
    ModelDemand d = replicas.remove(model);
    shares.remove(model);
    usedBytes -= d.weightsBytes();
    // Recompute rather than subtract so that rounding does not drift across many moves.
    utilisation = 0;
    for (double s : shares.values()) {
      utilisation += s;
    }
  }

  /** The models here, by name, with their load shares. */
  Map<String, Double> shares() {
    return shares;
  }

  ModelDemand demand(String model) {
    return replicas.get(model);
  }

  /**
   * How well {@code d} fuses with what is here: the mean of its {@link FusionProfile#overlap} with
   * each resident model, in [0, 1]; 0 on an empty GPU.
   */
  double fusionAffinity(ModelDemand d) {
    if (replicas.isEmpty()) {
      return 0;
    }
    double sum = 0;
    for (ModelDemand other : replicas.values()) {
      sum += d.fusion().overlap(other.fusion());
    }
    return sum / replicas.size();
  }

  /** {@link #fusionAffinity} of {@code d} with the other models here, as if its replica were not here. */
  double fusionAffinityWithout(ModelDemand d) {
    double sum = 0;
    int others = 0;
    for (ModelDemand other : replicas.values()) {
      if (!other.model().equals(d.model())) {
        sum += d.fusion().overlap(other.fusion());
        others++;
      }
    }
    return others == 0 ? 0 : sum / others;
  }
}
