package dev.braid.coordinator.metrics;

import dev.braid.device.DeviceInfo;
import dev.braid.gpu.engine.EngineListener;
import dev.braid.gpu.engine.EngineStats;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;

/**
 * One GPU's metrics, fed by its engine as an {@link EngineListener}: batches (Triton's exec and
 * inference counts, queue and compute times, per model), launches, super-kernels and the kernels
 * fused in each, the host's launch-path time and device faults as they happen; the gauges (policy,
 * memory, predicted queue delay, queued requests, health, utilisation) from the latest snapshot
 * the GPU's actor took, which it does on each report the coordinator asks for (every
 * {@code braid.coordinator.report-interval}).
 *
 * <p>Counters only grow: the engine's own counters start again when its actor restarts, but
 * these are fed by events, not copied from the engine. The calls come on the GPU actor's thread;
 * the scrape reads {@link #latest} from another, so a snapshot is published whole through a
 * volatile field.
 */
public final class GpuMetrics implements EngineListener {
  /** A snapshot and the utilisation since the one before. */
  record Snapshot(EngineStats stats, DeviceInfo device, long predictedQueueNanos, int restarts, double utilisation,
      long takenAtNanos) {}

  final String gpu;
  private final TritonMetrics triton;
  private final CounterDataPoint launches;
  private final CounterDataPoint superKernels;
  private final CounterDataPoint faults;
  private final CounterDataPoint launchPathSeconds;
  private final DistributionDataPoint fused;
  private volatile Snapshot latest;

  GpuMetrics(String gpu, TritonMetrics triton, CounterDataPoint launches, CounterDataPoint superKernels,
      CounterDataPoint faults, CounterDataPoint launchPathSeconds, DistributionDataPoint fused) {
    this.gpu = gpu;
    this.triton = triton;
    this.launches = launches;
    this.superKernels = superKernels;
    this.faults = faults;
    this.launchPathSeconds = launchPathSeconds;
    this.fused = fused;
  }

  @Override
  public void batchStarted(String model, long version, int requests, int rows, long queuedNanos) {
    triton.cell(model, version).executed(requests, rows, queuedNanos);
  }

  @Override
  public void batchFinished(String model, long version, int requests, long computeNanos) {
    triton.cell(model, version).computed(requests, computeNanos);
  }

  @Override
  public void launchIssued(int ops, long hostNanos) {
    launches.inc();
    if (ops > 1) {
      superKernels.inc();
      fused.observe(ops);
    }
    launchPathSeconds.inc(hostNanos / 1e9);
  }

  @Override
  public void deviceFault() {
    faults.inc();
  }

  @Override
  public void stats(EngineStats stats, DeviceInfo device, long predictedQueueNanos, int restarts) {
    Snapshot before = latest;
    double utilisation = 0;
    if (before != null) {
      long wall = stats.nowNanos() - before.stats().nowNanos();
      long busy = stats.busyNanos() - before.stats().busyNanos();
      // A restarted engine's busy time starts again from 0: no figure for that window.
      utilisation = wall > 0 && busy >= 0 ? Math.min(1, (double) busy / wall) : before.utilisation();
    }
    latest = new Snapshot(stats, device, predictedQueueNanos, restarts, utilisation, System.nanoTime());
  }

  /** The latest snapshot; null before the first. */
  Snapshot latest() {
    return latest;
  }
}
