package dev.braid.coordinator.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.braid.config.HostPort;
import dev.braid.coordinator.admin.AdminService;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.coordinator.discovery.KubernetesDiscovery;
import dev.braid.coordinator.discovery.NodeHealth;
import dev.braid.coordinator.events.NodeEvents;
import dev.braid.coordinator.frontend.FrontDoorServer;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.InferenceService;
import dev.braid.coordinator.metrics.GpuMetrics;
import dev.braid.coordinator.metrics.MetricsServer;
import dev.braid.coordinator.metrics.NodeMetrics;
import dev.braid.device.Device;
import dev.braid.gpu.EngineListeners;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.EngineListener;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * One Braid process: a Pekko Cluster member with some of the three roles.
 *
 * <ul>
 *   <li>{@code gpu}: one {@link GpuActor} per device, registered with the Receptionist under
 *       {@link Coordinator#GPUS};
 *   <li>{@code coordinator}: may host the {@link Coordinator} singleton (the oldest such node does);
 *   <li>{@code frontend}: the Open Inference Protocol's gRPC server and the HTTP health endpoint,
 *       sending requests straight to GPUs through a {@link ClusterClient}.
 * </ul>
 *
 * A node without seed nodes forms a cluster of its own (the single-node default, every role);
 * with seeds it joins theirs.
 *
 * <p>Lifecycle: starting -> serving ({@link #start} returns once a frontend's initial models
 * serve or failed and its ports are bound) -> closed ({@link #close}: ServerReady turns false and
 * the requests in flight finish, the GPUs drain, the node leaves the cluster and its actor system
 * terminates).
 */
public final class BraidNode implements AutoCloseable {
  /** What a node does. */
  public enum Role {
    FRONTEND, COORDINATOR, GPU;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "frontend", "coordinator" or "gpu" (the flag or key named {@code key}). */
    public static Role parse(String key, String text) {
      for (Role r : values()) {
        if (r.configName().equals(text.trim().toLowerCase(Locale.ROOT))) {
          return r;
        }
      }
      throw new IllegalArgumentException(key + ": expected frontend, coordinator or gpu, got '" + text + "'");
    }
  }

  /**
   * How to start a node.
   *
   * @param roles what it does, at least one
   * @param repository the model repository (every node needs it: GPUs load from it, frontends read
   *     model configurations from it, the coordinator lists it)
   * @param devices one factory per GPU this node serves (role {@code gpu}); each opens its device
   * @param clusterHost the address other nodes reach this one at
   * @param clusterPort Artery's port, 0 for any free one
   * @param seeds "host:port" of the seed nodes; empty: this node starts a cluster of its own
   * @param initialModels the models the coordinator serves from the start; empty: every model of
   *     the repository
   */
  public record Options(Set<Role> roles, ModelRepository repository, List<Supplier<Device>> devices,
      GpuSettings gpu, FrontendSettings frontend, CoordinatorSettings coordinator, AdmissionSettings admission,
      String clusterHost, int clusterPort, List<String> seeds, List<String> initialModels, String serverVersion) {
    public Options {
      roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
      if (roles.isEmpty()) {
        throw new IllegalArgumentException("roles: expected at least one of frontend, coordinator, gpu");
      }
      Objects.requireNonNull(repository, "repository");
      devices = List.copyOf(devices);
      if (roles.contains(Role.GPU) && devices.isEmpty()) {
        throw new IllegalArgumentException("a node with the gpu role needs at least one device");
      }
      seeds = List.copyOf(seeds);
      initialModels = List.copyOf(initialModels);
    }
  }

  /** One initial model's outcome at a frontend's start: serving (version, weights) or failed (why). */
  public record ModelOutcome(String name, long version, long weightsBytes, String error) {
    public boolean loaded() {
      return error == null;
    }
  }

  private final ActorSystem<Void> system;
  private final Options options;
  private final List<ActorRef<GpuWire.Command>> gpus;
  private final InferenceService service;
  private final FrontDoorServer server;
  private final List<ModelOutcome> outcomes;
  /** GET /metrics; null when braid.frontend.metrics-port is -1. */
  private final MetricsServer metricsServer;

  private BraidNode(ActorSystem<Void> system, Options options, List<ActorRef<GpuWire.Command>> gpus,
      InferenceService service, FrontDoorServer server, List<ModelOutcome> outcomes, MetricsServer metricsServer) {
    this.metricsServer = metricsServer;
    this.system = system;
    this.options = options;
    this.gpus = gpus;
    this.service = service;
    this.server = server;
    this.outcomes = outcomes;
  }

  /** The Pekko configuration of a node: cluster provider, Artery address, roles and seeds over {@code base}. */
  public static Config clusterConfig(Options o, Config base) {
    List<String> seedAddresses = o.seeds().stream().map(BraidNode::seedAddress).toList();
    return ConfigFactory.empty()
        .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
        // close() leaves in order (requests answered, GPUs drained, then the cluster left); Pekko's
        // own JVM hook would race it and stop the actors under the requests still in flight.
        .withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", ConfigValueFactory.fromAnyRef("off"))
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(o.clusterHost()))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(o.clusterPort()))
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(
            o.roles().stream().map(Role::configName).sorted().toList()))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedAddresses))
        .withFallback(base);
  }

  /** "host:port" to the seed's cluster address. */
  static String seedAddress(String hostPort) {
    HostPort.parse("--seed", hostPort);
    return "pekko://braid@" + hostPort;
  }

  /**
   * Starts the node; for a frontend, blocks until its initial models serve or failed (at most the
   * frontend's load timeout) and its ports are bound.
   */
  public static BraidNode start(Options o, Config base) throws IOException {
    Config config = dev.braid.coordinator.security.ClusterTls.apply(clusterConfig(o, base));
    config = KubernetesDiscovery.configure(config, o.seeds());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "braid", config);
    try {
      Cluster cluster = Cluster.get(system);
      // With Kubernetes discovery, Cluster Bootstrap forms or joins the cluster, not the node.
      boolean bootstrapped = KubernetesDiscovery.start(system);
      if (o.seeds().isEmpty() && !bootstrapped) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      String self = cluster.selfMember().address().toString();
      // The event stream, membership and pause watch: a node downed or paused past the downing time leaves.
      dev.braid.coordinator.events.NodeWatch.start(system, config.getDuration("braid.cluster.max-pause"));
      NodeMetrics metrics = NodeMetrics.of(system);
      MetricsServer metricsServer = metrics.enabled() ? MetricsServer.start(metrics, metrics.settings(),
          dev.braid.coordinator.security.MetricsAccessSettings.from(config)) : null;
      if (metricsServer != null) {
        system.getWhenTerminated().thenRun(metricsServer::close); // also when the start below fails
      }
      List<ActorRef<GpuWire.Command>> gpus = new ArrayList<>();
      if (o.roles().contains(Role.GPU)) {
        for (int i = 0; i < o.devices().size(); i++) {
          ActorRef<GpuWire.Command> gpu = system.systemActorOf(
              GpuActor.create(self, i, withMetrics(system, metrics, i, o.devices().get(i)), o.gpu(), o.repository()),
              "gpu-" + i,
              org.apache.pekko.actor.typed.Props.empty());
          system.receptionist().tell(Receptionist.register(Coordinator.GPUS, gpu));
          gpus.add(gpu);
        }
      }
      ClusterSingleton singleton = ClusterSingleton.get(system);
      List<String> initial = o.initialModels().isEmpty() ? o.repository().models() : o.initialModels();
      SingletonActor<CoordinatorWire.Command> coordinatorActor = SingletonActor.of(
              Coordinator.create(o.coordinator(), ModelCatalog.of(o.repository(),
                  config.getBoolean("braid.coordinator.placement.fusion-aware")), initial), "coordinator")
          .withSettings(ClusterSingletonSettings.create(system).withRole(Role.COORDINATOR.configName()));
      // On a coordinator node this also runs the singleton's manager; elsewhere only a proxy.
      ActorRef<CoordinatorWire.Command> coordinator = singleton.init(coordinatorActor);

      InferenceService service = null;
      FrontDoorServer server = null;
      List<ModelOutcome> outcomes = List.of();
      if (o.roles().contains(Role.FRONTEND)) {
        ClusterClient client = ClusterClient.start(system, o.admission(), o.frontend().replyGrace());
        service = new InferenceService(client, coordinator, o.repository(), o.frontend(), system.scheduler(),
            system.dispatchers().lookup(DispatcherSelector.blocking()), o.serverVersion());
        outcomes = awaitInitialModels(system, service, client, coordinator, initial, o.frontend().loadTimeout(),
            !o.roles().contains(Role.GPU));
        service.markReady();
        NodeHealth.get(system).frontend(service::isReady, client::hasTable);
        AdminService admin = new AdminService(new ClusterAdmin(coordinator, system.scheduler(),
            o.coordinator().askTimeout().multipliedBy(2), o.frontend().loadTimeout()));
        server = FrontDoorServer.start(service, o.frontend(), List.of(admin),
            dev.braid.coordinator.security.FrontDoorSecuritySettings.from(config));
      }
      NodeHealth.get(system).started(o.roles());
      NodeEvents.of(system).started(o.roles().stream().map(Role::configName).sorted().toList());
      return new BraidNode(system, o, gpus, service, server, outcomes, metricsServer);
    } catch (IOException | RuntimeException e) {
      system.terminate();
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      system.terminate();
      throw new IOException("interrupted while starting", e);
    }
  }

  private static List<ModelOutcome> awaitInitialModels(ActorSystem<Void> system, InferenceService service,
      ClusterClient client, ActorRef<CoordinatorWire.Command> coordinator, List<String> initial, Duration timeout,
      boolean placementIsFinal) throws InterruptedException {
    long giveUp = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < giveUp && !service.settled(initial, placementIsFinal)) {
      Thread.sleep(20);
    }
    CoordinatorWire.ClusterStatus status = null;
    try {
      status = AskPattern.<CoordinatorWire.Command, CoordinatorWire.ClusterStatus>ask(coordinator,
          CoordinatorWire.GetStatus::new, Duration.ofSeconds(5), system.scheduler()).toCompletableFuture()
          .get(6, TimeUnit.SECONDS);
    } catch (Exception e) {
      system.log().debug("no status for the start report: {}", e.toString());
    }
    List<ModelOutcome> out = new ArrayList<>();
    for (String name : initial) {
      Optional<ClusterClient.ModelView> v = client.model(name);
      if (v.isPresent() && v.get().ready()) {
        long weights = status == null ? 0 : status.gpus().stream().map(g -> g.models().get(name))
            .filter(Objects::nonNull).mapToLong(GpuWire.ModelInfo::weightsBytes).findFirst().orElse(0);
        out.add(new ModelOutcome(name, v.get().version(), weights, null));
      } else {
        out.add(new ModelOutcome(name, 0, 0, v.map(x -> x.state().toLowerCase(Locale.ROOT)
            + (x.reason().isEmpty() ? "" : ": " + x.reason())).orElse("not placed within " + timeout)));
      }
    }
    return out;
  }

  public List<ModelOutcome> outcomes() {
    return outcomes;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** This node's cluster address ("pekko://braid@host:port"). */
  public String address() {
    return Cluster.get(system).selfMember().address().toString();
  }

  public Set<Role> roles() {
    return options.roles();
  }

  public int grpcPort() {
    return server == null ? -1 : server.grpcPort();
  }

  public int httpPort() {
    return server == null ? -1 : server.httpPort();
  }

  /** The port of GET /metrics; -1 when metrics are off. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  /**
   * {@code devices} with each device it opens bound to GPU {@code ordinal}'s metrics, so that the
   * GPU actor's engine reports to them (again after a restart reopens it).
   */
  private static Supplier<Device> withMetrics(ActorSystem<?> system, NodeMetrics metrics, int ordinal,
      Supplier<Device> devices) {
    GpuMetrics gpuMetrics = metrics.gpu(ordinal);
    EngineListener listener = NodeEvents.of(system).engineListener(
        GpuWire.gpuId(Cluster.get(system).selfMember().address().toString(), ordinal),
        gpuMetrics == null ? EngineListener.NONE : gpuMetrics);
    if (listener == EngineListener.NONE) {
      return devices;
    }
    return () -> {
      Device d = devices.get();
      EngineListeners.get(system).bind(d, listener);
      return d;
    };
  }

  public Optional<InferenceService> service() {
    return Optional.ofNullable(service);
  }

  /** A short line for logs and the CLI: roles and address. */
  public String describe() {
    return options.roles().stream().map(Role::configName).sorted().collect(Collectors.joining(",")) + " node "
        + address();
  }

  /**
   * Leaves gracefully: a frontend stops taking requests and answers those in flight, the GPUs
   * finish their work (new requests for them are answered UNAVAILABLE, which frontends retry
   * elsewhere), then the node leaves the cluster and stops.
   */
  @Override
  public void close() {
    Duration wait = options.frontend().loadTimeout();
    // Started by the cluster (downed, fenced): its shutdown is at its last phase already.
    boolean byCluster = CoordinatedShutdown.get(system).getShutdownReason().isPresent();
    try {
      if (system.whenTerminated().isCompleted() || byCluster) {
        return; // downed or fenced: the cluster is gone, nothing to drain into it (finally closes the ports)
      }
      if (service != null) {
        try {
          // The service gives up by itself after the load timeout; wait a little longer than that.
          service.drain().toCompletableFuture().get(wait.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
          system.log().warn("requests still in flight at close: {}", e.toString());
        }
      }
      List<CompletableFuture<GpuWire.Drained>> drains = new ArrayList<>();
      for (ActorRef<GpuWire.Command> gpu : gpus) {
        drains.add(AskPattern.<GpuWire.Command, GpuWire.Drained>ask(gpu, GpuWire.Drain::new, wait,
            system.scheduler()).toCompletableFuture());
      }
      CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new)).get(wait.toMillis() + 5_000,
          TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      system.log().warn("drain did not finish: {}", e.toString());
    } finally {
      if (server != null) {
        server.close();
      }
      if (metricsServer != null) {
        metricsServer.close();
      }
      system.terminate(); // CoordinatedShutdown: leaves the cluster, hands the singleton over
      try {
        // A downed node's termination can hang (remoting flushing to peers it cannot reach): past
        // its last phase's timeout (10 s), give up waiting and let the process exit.
        system.getWhenTerminated().toCompletableFuture().get(byCluster ? 15 : 30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        system.log().warn("actor system did not terminate: {}", e.toString());
      }
    }
  }
}
