package dev.braid.coordinator.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.DeviceSpec;
import dev.braid.time.NanoClock;
import dev.braid.config.RuntimeSettings;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.coordinator.cluster.BraidNode;
import dev.braid.coordinator.cluster.CoordinatorSettings;
import dev.braid.coordinator.metrics.MetricsSettings;
import dev.braid.device.Device;
import dev.braid.device.Devices;
import dev.braid.device.trace.TraceRecorder;
import dev.braid.device.trace.TracingDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.model.repo.ModelRepository;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid serve}: one cluster node. By default every role in a cluster of its own: it loads
 * every model of the repository (the embedded zoo without {@code --repo}) onto the chosen device,
 * prints a line per model loaded or failed and one line with the ports, and serves the Open
 * Inference Protocol. With {@code --role} and {@code --seed} it joins another node's cluster with
 * the roles given (a GPU node: {@code --role gpu --seed HOST:PORT}). Runs until SIGTERM or SIGINT;
 * then it leaves gracefully (in-flight requests finish) and exits 0. A node that the cluster downed,
 * or that was paused past {@code braid.cluster.max-pause}, stops working and exits {@link
 * #EXIT_LEFT_CLUSTER} (3) once Pekko's coordinated shutdown has run, saying why.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Run a Braid node: by default a complete single-node server of the Open Inference Protocol (gRPC); "
        + "with --role and --seed, a node that joins a cluster.")
final class ServeCommand implements Callable<Integer> {
  /** The stop signals of the serve commands running in this JVM; see {@link #stopAll()}. */
  private static final Set<CountDownLatch> RUNNING = ConcurrentHashMap.newKeySet();

  /** The exit code of a node that left because the cluster downed it or it was paused too long. */
  static final int EXIT_LEFT_CLUSTER = 3;

  @Spec CommandSpec spec;

  @picocli.CommandLine.Mixin ServeSecurityOptions security;

  @picocli.CommandLine.Mixin ZooRepoOption repo;

  @Option(names = "--device", split = ",", description = "auto, cpu or cuda[:N] (the simulated sim-<gpu> run in virtual time: bench and run only); several, comma-separated or repeated, serve one GPU each (e.g. cuda:0,cuda:1) (default: braid.runtime.device, 'auto').")
  List<String> device;

  @picocli.CommandLine.Mixin CpuThreadsOption threads;

  @Option(names = "--grpc-port", description = "gRPC port (default: braid.frontend.grpc-port, 8001; 0 for any free port).")
  Integer grpcPort;

  @Option(names = "--http-port", description = "HTTP health port (default: braid.frontend.http-port, 8000; 0 for any free port).")
  Integer httpPort;

  @Option(names = "--metrics-port", description = "Prometheus GET /metrics port (default: braid.frontend.metrics-port, 8002; 0 for any free port; -1 for off).")
  Integer metricsPort;

  @Option(names = "--policy", description = "Scheduling policy: time-only, space-only, space-time or fifo (default: braid.gpu.policy).")
  String policy;

  @Option(names = "--role", split = ",", description = "What this node does: frontend, coordinator, gpu; repeatable or comma-separated (default: braid.cluster.roles, all three).")
  List<String> roles;

  @Option(names = "--seed", split = ",", description = "HOST:PORT of a node of the cluster to join; repeatable (default: braid.cluster.seeds; none: start a cluster of its own).")
  List<String> seeds;

  @Option(names = "--cluster-host", description = "The address other nodes reach this one at (default: braid.cluster.host, this machine's address).")
  String clusterHost;

  @Mixin TraceOptions trace;

  @Option(names = "--events", description = "Append this node's events (started, placement, executed, member changes, exiting...) to FILE, one JSON object per line (default: braid.events.file, off).")
  Path events;

  @Option(names = "--cluster-port", description = "Cluster (Artery) port (default: braid.cluster.port, 25520; 0 for any free port).")
  Integer clusterPort;

  @Option(names = "--discovery", description = "How this node finds the others: seeds (--seed) or kubernetes (pods by label through the Kubernetes API, Pekko Cluster Bootstrap) (default: braid.discovery.method, seeds).")
  String discovery;

  /** Stops every serve command of this JVM as SIGTERM would (for tests and embedding). */
  static void stopAll() {
    RUNNING.forEach(CountDownLatch::countDown);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Config config = ConfigFactory.load();
    config = security.applyTo(config);
    if (discovery != null) {
      config = dev.braid.coordinator.discovery.DiscoverySettings.withMethod(config, "--discovery", discovery);
    }
    RuntimeSettings runtime = RuntimeSettings.from(config);
    FrontendSettings configured = FrontendSettings.from(config);
    FrontendSettings frontend = configured.withPorts(
        grpcPort == null ? configured.grpcPort() : port("--grpc-port", grpcPort),
        httpPort == null ? configured.httpPort() : port("--http-port", httpPort));
    GpuSettings gpu = GpuSettings.from(config);
    if (policy != null) {
      if (!SchedulingPolicies.NAMES.contains(policy)) {
        throw new IllegalArgumentException("--policy: expected one of " + String.join(", ", SchedulingPolicies.NAMES)
            + ", got '" + policy + "'");
      }
      gpu = gpu.withPolicy(policy);
    }
    List<DeviceSpec> deviceSpecs = new ArrayList<>();
    if (device == null) {
      deviceSpecs.add(runtime.device());
    } else {
      for (String d : device) {
        deviceSpecs.add(DeviceSpec.parse("--device", d));
      }
    }
    for (DeviceSpec spec : deviceSpecs) {
      if (spec.kind() == DeviceSpec.Kind.SIMULATED) {
        // The simulated GPUs run in virtual time, stepped by a benchmark's event loop; nothing
        // steps them in a server, where a request on one would never finish.
        throw new IllegalArgumentException("--device: expected auto, cpu or cuda[:N] for a server (the simulated GPUs "
            + "run in virtual time, for bench policies, bench table1 and run), got '" + spec + "'");
      }
    }
    int cpuThreads = threads.given() == null ? runtime.cpuThreads() : Math.max(1, threads.given());
    TraceRecorder recorder = trace.recorder();
    ModelRepository repository = ModelRepository.open(repo.orZoo(out),
        config.getBoolean("braid.model.repository.follow-links-out"));

    Set<BraidNode.Role> nodeRoles = EnumSet.noneOf(BraidNode.Role.class);
    for (String r : roles != null ? roles : config.getStringList("braid.cluster.roles")) {
      nodeRoles.add(BraidNode.Role.parse(roles != null ? "--role" : "braid.cluster.roles", r));
    }
    List<String> seedList = seeds != null ? seeds : config.getStringList("braid.cluster.seeds");
    String host = clusterHost != null ? clusterHost : config.getString("braid.cluster.host");
    int artery = clusterPort != null ? port("--cluster-port", clusterPort) : config.getInt("braid.cluster.port");

    if (nodeRoles.contains(BraidNode.Role.FRONTEND)) {
      security.check(config, frontend.host(), out);
    }
    List<Supplier<Device>> devices = new ArrayList<>();
    if (nodeRoles.contains(BraidNode.Role.GPU)) {
      for (DeviceSpec spec : deviceSpecs) {
        Device opened = Devices.open("--device", spec, cpuThreads);
        Device dev = recorder == null ? opened : new TracingDevice(opened, recorder,
            "GPU " + devices.size() + ": " + opened.info().name(), NanoClock.system());
        out.printf("GPU %d: %s, serving the models of %s%n", devices.size(), dev.info().name(), repository.root());
        devices.add(() -> dev);
      }
    }
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    BraidNode.Options options = new BraidNode.Options(nodeRoles, repository, devices, gpu, frontend,
        CoordinatorSettings.from(config), AdmissionSettings.from(config), host, artery, seedList, List.of(),
        BraidCli.version());
    if (metricsPort != null) {
      if (metricsPort < MetricsSettings.OFF || metricsPort > 65535) {
        throw new IllegalArgumentException("--metrics-port: expected a port in 0..65535 (0 for any free port) or -1 "
            + "for off, got " + metricsPort);
      }
      config = ConfigFactory.parseMap(java.util.Map.of(MetricsSettings.PORT_KEY, metricsPort)).withFallback(config);
    }
    if (events != null) {
      config = ConfigFactory.parseMap(java.util.Map.of("braid.events.file", events.toString())).withFallback(config);
    }
    for (String seed : seedList) {
      dev.braid.config.HostPort.parse(seeds != null ? "--seed" : "braid.cluster.seeds", seed);
    }
    checkPorts(nodeRoles, frontend, artery, config.getInt(MetricsSettings.PORT_KEY));
    BraidNode node = BraidNode.start(options, config);
    // The cluster downed this node, or it was paused too long: its coordinated shutdown runs by
    // itself. Wake at its last phase rather than at the actor system's termination, which can hang
    // on a downed node (remoting flushing to peers it can no longer reach: seen in the partition
    // test, where the process then never exited).
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(node.system());
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "braid-serve-wake",
        () -> {
          stop.countDown();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    node.system().getWhenTerminated().thenRun(stop::countDown);
    out.printf("%s%n", node.describe());
    RUNNING.add(stop);
    // On SIGTERM/SIGINT the JVM runs this hook and then halts, so the hook waits for the drain.
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await(frontend.loadTimeout().toSeconds() + 30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "braid-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    String left = null;
    try {
      for (BraidNode.ModelOutcome m : node.outcomes()) {
        if (m.loaded()) {
          out.printf(java.util.Locale.ROOT, "model %s version %d loaded (%.1f MiB of weights)%n", m.name(),
              m.version(), m.weightsBytes() / (1024.0 * 1024.0));
        } else {
          out.printf("model %s is not serving: %s%n", m.name(), m.error());
        }
      }
      if (nodeRoles.contains(BraidNode.Role.FRONTEND)) {
        out.printf("serving gRPC on :%d, HTTP on :%d%n", node.grpcPort(), node.httpPort());
      } else {
        out.printf("serving as %s%n", node.describe());
      }
      out.println(node.metricsPort() < 0 ? "metrics: off" : "metrics on :" + node.metricsPort() + "/metrics");
      out.flush();
      stop.await();
      // Only the cluster starts a coordinated shutdown before node.close() below (Pekko's JVM hook is off).
      if (shutdown.getShutdownReason().isPresent() || node.system().whenTerminated().isCompleted()) {
        left = shutdown.getShutdownReason().map(Object::toString).orElse("the actor system terminated");
        out.println("stopping: this node left the cluster: " + left);
      } else {
        out.println("stopping: draining in-flight requests");
      }
      out.flush();
    } finally {
      node.close();
      RUNNING.remove(stop);
      if (recorder != null) {
        try {
          out.println(trace.write(recorder));
        } catch (java.io.IOException | RuntimeException e) {
          // the server must still report that it stopped, or a SIGTERM'd JVM would wait for it
          out.printf("--trace: could not write %s: %s%n", trace.file(), e);
        }
      }
      // Printed before the hook may return: once it does, a JVM stopping on SIGTERM halts at once.
      out.println("stopped");
      out.flush();
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running: it returns now that stopped is counted down
      }
    }
    return left == null ? 0 : EXIT_LEFT_CLUSTER;
  }

  /** Bad flags first (a seed), then the ports; Artery's on every interface (its host may be a placeholder). */
  private void checkPorts(Set<BraidNode.Role> nodeRoles, FrontendSettings frontend, int artery, int metrics) {
    if (nodeRoles.contains(BraidNode.Role.FRONTEND)) {
      PortCheck.requireDistinct("--http-port", frontend.httpPort(), "--grpc-port", frontend.grpcPort());
      PortCheck.requireFree(grpcPort != null ? "--grpc-port" : "braid.frontend.grpc-port", frontend.host(),
          frontend.grpcPort());
      PortCheck.requireFree(httpPort != null ? "--http-port" : "braid.frontend.http-port", frontend.host(),
          frontend.httpPort());
      PortCheck.requireFree(metricsPort != null ? "--metrics-port" : MetricsSettings.PORT_KEY, frontend.host(), metrics);
    }
    PortCheck.requireFree(clusterPort != null ? "--cluster-port" : "braid.cluster.port", "0.0.0.0", artery);
  }

  private static int port(String flag, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + ": expected a port in 0..65535 (0 for any free port), got " + port);
    }
    return port;
  }
}
