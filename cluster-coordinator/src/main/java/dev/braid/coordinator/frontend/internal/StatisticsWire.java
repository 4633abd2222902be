package dev.braid.coordinator.frontend.internal;

import dev.braid.coordinator.cluster.ClusterClient;
import dev.braid.coordinator.metrics.FrontendMetrics;
import dev.braid.coordinator.metrics.TritonMetrics.Statistics;
import dev.braid.protocol.grpc.InferStatistics;
import dev.braid.protocol.grpc.ModelStatistics;
import dev.braid.protocol.grpc.ModelStatisticsRequest;
import dev.braid.protocol.grpc.ModelStatisticsResponse;
import dev.braid.protocol.grpc.StatisticDuration;
import java.util.List;
import java.util.TreeSet;

/**
 * Triton's statistics extension (the ModelStatistics RPC, which tritonclient's
 * {@code get_inference_statistics} and perf_analyzer call before and after each measurement) from
 * the counters behind the node's Triton metrics ({@code nv_inference_*}): success and failure as
 * this frontend answered them, inference and execution counts, queue and compute as this node's
 * GPUs ran them. Braid measures compute from a batch's start to its outputs, uploads and downloads
 * included, so it is all compute_infer; compute_input and compute_output carry the same count and
 * no time (perf_analyzer requires the three counts to agree).
 */
public final class StatisticsWire {
  private StatisticsWire() {}

  /**
   * The statistics of the requested model (every model when the name is empty) and version
   * (every version seen when empty); NOT_FOUND for a model the cluster does not serve and this
   * node never counted.
   */
  public static ModelStatisticsResponse answer(ClusterClient cluster, ModelStatisticsRequest request) {
    FrontendMetrics metrics = cluster.metrics();
    if (!metrics.enabled()) {
      throw Statuses.failedPrecondition("statistics are kept with this node's metrics, which are off"
          + " (braid.frontend.metrics-port); turn them on to serve ModelStatistics");
    }
    String name = request.getName();
    String version = request.getVersion();
    long wanted = -1;
    if (!version.isEmpty()) {
      try {
        wanted = Long.parseLong(version);
      } catch (NumberFormatException e) {
        throw Statuses.invalidArgument("version: expected a model version number or empty, got '" + version + "'");
      }
    }
    List<Statistics> all = metrics.statistics(name);
    if (!name.isEmpty() && all.isEmpty() && cluster.model(name).isEmpty()) {
      throw Statuses.notFound("model '" + name + "' is not loaded in this cluster; loaded: "
          + new TreeSet<>(cluster.models().keySet()));
    }
    ModelStatisticsResponse.Builder out = ModelStatisticsResponse.newBuilder();
    for (Statistics s : all) {
      if (wanted < 0 || s.version() == wanted) {
        out.addModelStats(of(s));
      }
    }
    if (out.getModelStatsCount() == 0 && !name.isEmpty()) {
      // Served, never asked (or not at this version) here: zeros, as Triton answers a fresh model.
      long v = wanted >= 0 ? wanted : cluster.model(name).map(ClusterClient.ModelView::version).orElse(0L);
      out.addModelStats(of(new Statistics(name, v, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
    }
    return out.build();
  }

  static ModelStatistics of(Statistics s) {
    return ModelStatistics.newBuilder().setName(s.model()).setVersion(String.valueOf(s.version()))
        .setLastInference(s.lastInferenceMillis()).setInferenceCount(s.inferenceCount())
        .setExecutionCount(s.executionCount())
        .setInferenceStats(InferStatistics.newBuilder()
            .setSuccess(duration(s.successCount(), s.successNanos()))
            .setFail(duration(s.failCount(), s.failNanos()))
            .setQueue(duration(s.queueCount(), s.queueNanos()))
            .setComputeInput(duration(s.computeCount(), 0))
            .setComputeInfer(duration(s.computeCount(), s.computeNanos()))
            .setComputeOutput(duration(s.computeCount(), 0)))
        .build();
  }

  private static StatisticDuration duration(long count, long nanos) {
    return StatisticDuration.newBuilder().setCount(count).setNs(nanos).build();
  }
}
