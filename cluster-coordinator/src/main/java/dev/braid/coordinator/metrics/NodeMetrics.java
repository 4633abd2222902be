package dev.braid.coordinator.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One node's Prometheus metrics: its own registry (several nodes may share a JVM in tests), the
 * JVM's collectors (heap, GC pauses, threads...), the cluster's members as this node sees them,
 * the coordinator's placement changes when the singleton runs here, the frontend's metrics when
 * the node is a frontend ({@link #frontend}), each GPU's when it serves GPUs ({@link #gpu}), and
 * Triton's per-model families ({@link TritonMetrics}). {@link #scrape} renders them all in
 * Prometheus's text format; {@link MetricsServer} serves that on {@code GET /metrics}.
 *
 * <p>A Pekko extension, so that the parts of a node that record (the cluster client, the inference
 * service, the coordinator) find it from their actor system; its settings come from the system's
 * configuration ({@link MetricsSettings}). When they say off, every part gets a recorder that
 * does nothing and nothing is registered.
 */
public final class NodeMetrics implements Extension {
  private static final ExtensionId<NodeMetrics> ID = new ExtensionId<>() {
    @Override
    public NodeMetrics createExtension(ActorSystem<?> system) {
      return new NodeMetrics(system, MetricsSettings.from(system.settings().config()));
    }
  };

  /** Buckets of the kernels fused per super-kernel (a super-kernel holds at least 2). */
  static final double[] FUSED_BUCKETS = {2, 3, 4, 6, 8, 12, 16, 24, 32, 64};

  private final ActorSystem<?> system;
  private final MetricsSettings settings;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final TritonMetrics triton = new TritonMetrics();
  private final List<GpuMetrics> gpus = new CopyOnWriteArrayList<>();
  private final Counter placementChanges;
  private FrontendMetrics frontend;
  private Counter launches;
  private Counter superKernels;
  private Counter faults;
  private Counter launchPathSeconds;
  private Histogram fused;

  private NodeMetrics(ActorSystem<?> system, MetricsSettings settings) {
    this.system = system;
    this.settings = settings;
    if (!settings.enabled()) {
      placementChanges = null;
      return;
    }
    JvmMetrics.builder().register(registry);
    placementChanges = Counter.builder().name("braid_placement_changes_total")
        .help("Placement actions the coordinator took on this node (load, unload, drain of a GPU)")
        .labelNames("action").withoutExemplars().register(registry);
    GaugeWithCallback.builder().name("braid_cluster_members")
        .help("Cluster members as this node sees them, by status and role")
        .labelNames("status", "role").callback(cb -> members().forEach((k, n) -> cb.call(n, k.get(0), k.get(1))))
        .register(registry);
    GaugeWithCallback.builder().name("braid_cluster_unreachable_members")
        .help("Members this node's failure detector finds unreachable, by role")
        .labelNames("role").callback(cb -> unreachable().forEach((role, n) -> cb.call(n, role)))
        .register(registry);
  }

  /** The node's metrics on {@code system}. */
  public static NodeMetrics of(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public MetricsSettings settings() {
    return settings;
  }

  public boolean enabled() {
    return settings.enabled();
  }

  /**
   * The frontend's recorder, registering its families on the first call (one frontend per node).
   *
   * @param known whether the cluster serves a model of that name
   * @param servedVersion the version served of a model; -1 when none
   * @param tableVersion the version of the routing table the frontend routes with; -1 before the first
   * @param tableAgeNanos how long ago that table arrived; -1 before the first
   * @param inFlight requests sent to GPUs and not yet answered
   */
  public synchronized FrontendMetrics frontend(Predicate<String> known, ToLongFunction<String> servedVersion,
      LongSupplier tableVersion, LongSupplier tableAgeNanos, IntSupplier inFlight) {
    if (!enabled()) {
      return FrontendMetrics.disabled();
    }
    if (frontend == null) {
      frontend = FrontendMetrics.register(registry, triton, known, servedVersion);
      GaugeWithCallback.builder().name("braid_frontend_routing_table_version")
          .help("Number of the routing table this frontend routes with among its coordinator's tables (the "
              + "version's counter; the whole version does not fit a double); -1 before the first").callback(cb -> cb.call(tableVersion.getAsLong())).register(registry);
      GaugeWithCallback.builder().name("braid_frontend_routing_table_age_seconds")
          .help("Seconds since this frontend received its routing table; -1 before the first")
          .callback(cb -> {
            long age = tableAgeNanos.getAsLong();
            cb.call(age < 0 ? -1 : age / 1e9);
          }).register(registry);
      GaugeWithCallback.builder().name("braid_frontend_in_flight_requests")
          .help("Requests this frontend sent to GPUs and has not had answered yet")
          .callback(cb -> cb.call(inFlight.getAsInt())).register(registry);
    }
    return frontend;
  }

  /** The frontend's recorder if one was made; a disabled one otherwise. */
  public synchronized FrontendMetrics frontend() {
    return frontend != null ? frontend : FrontendMetrics.disabled();
  }

  /**
   * The metrics of this node's GPU {@code ordinal} (its engine's listener), registering the GPU
   * families on the first call; null when metrics are off.
   */
  public synchronized GpuMetrics gpu(int ordinal) {
    if (!enabled()) {
      return null;
    }
    if (launches == null) {
      registerGpuFamilies();
    }
    String label = String.valueOf(ordinal);
    for (GpuMetrics g : gpus) {
      if (g.gpu.equals(label)) {
        return g;
      }
    }
    GpuMetrics g = new GpuMetrics(label, triton, launches.labelValues(label), superKernels.labelValues(label),
        faults.labelValues(label), launchPathSeconds.labelValues(label), fused.labelValues(label));
    gpus.add(g);
    return g;
  }

  /** Counts one placement action of the coordinator: "load", "unload" or "drain". */
  public void placementChange(String action) {
    if (placementChanges != null) {
      placementChanges.labelValues(action).inc();
    }
  }

  /** Everything, in Prometheus's text format (version 0.0.4). */
  public byte[] scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
    triton.write(w, pending());
    w.flush();
    return out.toByteArray();
  }

  private void registerGpuFamilies() {
    launches = gpuCounter("braid_gpu_launches_total", "Launches issued to the device (a super-kernel counts once); "
        + "launches per second is its rate");
    superKernels = gpuCounter("braid_gpu_super_kernels_total", "Super-kernels launched (launches grouping several "
        + "kernels, of one or several models)");
    faults = gpuCounter("braid_gpu_device_faults_total", "Device failures: a launch, a transfer or a batch's start "
        + "that the device failed");
    launchPathSeconds = gpuCounter("braid_gpu_launch_path_busy_seconds_total", "Seconds the host spent issuing "
        + "launches (building them and the driver call); its rate is the launch path's busy share");
    fused = Histogram.builder().name("braid_gpu_kernels_per_super_kernel")
        .help("Kernels fused into each super-kernel").labelNames("gpu").classicOnly()
        .classicUpperBounds(FUSED_BUCKETS).withoutExemplars().register(registry);
    gpuGauge("nv_gpu_utilization", "gpu_uuid", "GPU utilization rate [0.0 - 1.0]: share of the time between the "
        + "last two snapshots with a launch on the device", s -> s.utilisation());
    gpuGauge("nv_gpu_memory_total_bytes", "gpu_uuid", "GPU total memory, in bytes", s -> s.device().memoryBytes());
    gpuGauge("nv_gpu_memory_used_bytes", "gpu_uuid", "GPU used memory (Braid's allocations), in bytes",
        s -> Math.max(0, s.stats().allocatedBytes()));
    gpuGauge("braid_gpu_predicted_queue_delay_seconds", "gpu", "Device time the work this GPU holds still needs, "
        + "by its cost model: what a new request would wait", s -> s.predictedQueueNanos() / 1e9);
    gpuGauge("braid_gpu_healthy", "gpu", "1 while the device is healthy, 0 once it lost its context",
        s -> s.stats().healthy() ? 1 : 0);
    gpuGauge("braid_gpu_actor_restarts", "gpu", "Restarts of the GPU's actor after an unexpected exception",
        s -> s.restarts());
    gpuGauge("braid_gpu_snapshot_age_seconds", "gpu", "Age of the snapshot the GPU's gauges come from",
        s -> (System.nanoTime() - s.takenAtNanos()) / 1e9);
    GaugeWithCallback.builder().name("braid_gpu_policy").help("The GPU's scheduling policy (1 for the one in use)")
        .labelNames("gpu", "policy").callback(cb -> {
          for (GpuMetrics g : gpus) {
            GpuMetrics.Snapshot s = g.latest();
            if (s != null) {
              cb.call(1, g.gpu, s.stats().policy());
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("braid_gpu_queued_requests")
        .help("Requests queued in the GPU's batcher of each model, waiting for a batch").labelNames("gpu", "model")
        .callback(cb -> {
          for (GpuMetrics g : gpus) {
            GpuMetrics.Snapshot s = g.latest();
            if (s != null) {
              s.stats().queuedRequests().forEach((model, n) -> cb.call(n, g.gpu, model));
            }
          }
        }).register(registry);
  }

  private interface SnapshotValue {
    double of(GpuMetrics.Snapshot s);
  }

  private Counter gpuCounter(String name, String help) {
    return Counter.builder().name(name).help(help).labelNames("gpu").withoutExemplars().register(registry);
  }

  private void gpuGauge(String name, String label, String help, SnapshotValue value) {
    GaugeWithCallback.builder().name(name).help(help).labelNames(label).callback(cb -> {
      for (GpuMetrics g : gpus) {
        GpuMetrics.Snapshot s = g.latest();
        if (s != null) {
          cb.call(value.of(s), g.gpu);
        }
      }
    }).register(registry);
  }

  /** Per model, requests queued now on this node's GPUs (their latest snapshots). */
  private Map<String, Long> pending() {
    Map<String, Long> pending = new HashMap<>();
    for (GpuMetrics g : gpus) {
      GpuMetrics.Snapshot s = g.latest();
      if (s != null) {
        s.stats().queuedRequests().forEach((model, n) -> pending.merge(model, (long) n, Long::sum));
      }
    }
    return pending;
  }

  private Map<List<String>, Integer> members() {
    Map<List<String>, Integer> counts = new HashMap<>();
    for (Member m : Cluster.get(system).state().getMembers()) {
      String status = m.status().toString().toLowerCase(Locale.ROOT);
      for (String role : m.getRoles()) {
        if (!role.startsWith("dc-")) { // Pekko's data-centre role, on every member
          counts.merge(List.of(status, role), 1, Integer::sum);
        }
      }
    }
    return counts;
  }

  private Map<String, Integer> unreachable() {
    Map<String, Integer> counts = new HashMap<>();
    for (Member m : Cluster.get(system).state().getUnreachable()) {
      for (String role : m.getRoles()) {
        if (!role.startsWith("dc-")) {
          counts.merge(role, 1, Integer::sum);
        }
      }
    }
    return counts;
  }
}
