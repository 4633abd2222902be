package dev.braid.gpu;

import dev.braid.device.DeviceInfo;
import dev.braid.gpu.engine.EngineStats;
import dev.braid.gpu.engine.GpuEngine;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.GpuWire.ModelInfo;
import java.util.Map;

/** The {@link GpuWire.Report} a GPU actor answers, from its engine and what it remembers. */
final class GpuReports {
  private GpuReports() {}

  /**
   * The report of a GPU serving (or draining, or unhealthy) with {@code engine}. The cost model
   * learns while serving, so each model's request time is as it predicts now, with the requests
   * counted since it loaded.
   */
  static GpuWire.Report of(String nodeAddress, int ordinal, DeviceInfo device, GpuEngine engine, Remembered r) {
    EngineStats stats = engine.stats();
    r.served.replaceAll((name, i) -> new ModelInfo(name, i.version(), i.weightsBytes(),
        Math.max(1, engine.models().contains(name) ? engine.predictRequestNanos(name) : i.requestNanos()),
        i.maxBatchSize(), r.requestCounts.get(name)[0]));
    return new GpuWire.Report(GpuWire.gpuId(nodeAddress, ordinal), nodeAddress, ordinal, device.name(),
        device.memoryBytes(), Math.max(0, stats.allocatedBytes()), r.served, stats.policy(), r.inFlight.size(),
        engine.predictQueueNanos(), r.inFlight.counters().utilisation(stats.busyNanos(), stats.nowNanos()),
        r.inFlight.counters().sloAttainment(), r.inFlight.counters().completed(), r.inFlight.counters().failed(),
        r.restarts(), r.draining, engine.isHealthy(), stats.unhealthyReason());
  }

  /** The report of a GPU whose device never opened: unhealthy for {@code why}, nothing served. */
  static GpuWire.Report withoutDevice(String nodeAddress, int ordinal, String policy, InFlight refused, String why) {
    return new GpuWire.Report(GpuWire.gpuId(nodeAddress, ordinal), nodeAddress, ordinal, "unknown", 0, 0, Map.of(),
        policy, 0, 0, 0, refused.counters().sloAttainment(), 0, refused.counters().failed(), 0, false, false, why);
  }
}
