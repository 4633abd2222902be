package dev.braid.coordinator.frontend;

import com.typesafe.config.Config;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.coordinator.cluster.BraidNode;
import dev.braid.coordinator.cluster.CoordinatorSettings;
import dev.braid.device.Device;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;

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
    return new SingleNode(BraidNode.start(options, config));
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
