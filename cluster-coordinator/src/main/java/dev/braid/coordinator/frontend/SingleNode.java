package dev.braid.coordinator.frontend;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.coordinator.cluster.BraidNode;
import dev.braid.coordinator.cluster.CoordinatorSettings;
import dev.braid.coordinator.metrics.MetricsSettings;
import dev.braid.device.Device;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * A node with every role on one device, in a cluster of its own on the loopback interface (an
 * ephemeral Artery port, no seeds): what benchmarks and tests embed. {@code braid serve} starts a
 * {@link BraidNode} with its options from the configuration and flags instead.
 */
public final class SingleNode implements AutoCloseable {
  private final BraidNode node;

  private SingleNode(BraidNode node) {
    this.node = node;
  }

  /**
   * Starts the node; blocks until every model of the repository has loaded or failed and the
   * ports are bound.
   *
   * @param device opened by the caller; the node closes it when it stops
   * @param config the actor system's configuration
   */
  public static SingleNode start(ModelRepository repository, Device device, GpuSettings gpuSettings,
      FrontendSettings settings, Config config, String serverVersion) throws IOException {
    BraidNode.Options options = new BraidNode.Options(EnumSet.allOf(BraidNode.Role.class), repository,
        List.of(() -> device), gpuSettings, settings, CoordinatorSettings.from(config), AdmissionSettings.from(config),
        "127.0.0.1", 0, List.of(), List.of(), serverVersion);
    // Metrics on any free port unless the configuration turns them off (-1): tests and benchmarks
    // run several nodes on one host, where Triton's 8002 would be taken.
    Config withMetrics = config.getInt(MetricsSettings.PORT_KEY) == MetricsSettings.OFF ? config
        : ConfigFactory.parseMap(Map.of(MetricsSettings.PORT_KEY, 0)).withFallback(config);
    return new SingleNode(BraidNode.start(options, withMetrics));
  }

  /** The port of GET /metrics; -1 when {@code braid.frontend.metrics-port} is -1 (off). */
  public int metricsPort() {
    return node.metricsPort();
  }

  /** Each model's outcome at start: serving (version, weights) or not (why). */
  public List<BraidNode.ModelOutcome> outcomes() {
    return node.outcomes();
  }

  public int grpcPort() {
    return node.grpcPort();
  }

  public int httpPort() {
    return node.httpPort();
  }

  public InferenceService service() {
    return node.service().orElseThrow();
  }

  /** Answers the requests in flight, then stops the servers and the actors. */
  @Override
  public void close() {
    node.close();
  }
}
