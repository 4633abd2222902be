package dev.braid.coordinator.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.DeviceSpec;
import dev.braid.config.RuntimeSettings;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.SingleNode;
import dev.braid.device.Device;
import dev.braid.device.Devices;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.model.repo.ModelRepository;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid serve}: one node with every role. Loads every model of the repository (the
 * embedded zoo without {@code --repo}) onto one GPU actor on the chosen device, prints a line per
 * model loaded or failed and one line with the ports, and serves the Open Inference Protocol
 * until SIGTERM or SIGINT; then it drains (in-flight requests finish) and exits 0.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve a model repository over the Open Inference Protocol (gRPC) on one node.")
final class ServeCommand implements Callable<Integer> {
  /** The stop signals of the serve commands running in this JVM; see {@link #stopAll()}. */
  private static final Set<CountDownLatch> RUNNING = ConcurrentHashMap.newKeySet();

  @Spec CommandSpec spec;

  @Option(names = "--repo", description = "Model repository in Triton's layout (default: the zoo under the build directory, generated on first use).")
  Path repo;

  @Option(names = "--device", description = "auto, cpu, cuda[:N] or sim-<gpu> (default: braid.runtime.device, 'auto').")
  String device;

  @Option(names = "--threads", description = "CPU device threads (default: braid.runtime.cpu-threads, one per core).")
  Integer threads;

  @Option(names = "--grpc-port", description = "gRPC port (default: braid.frontend.grpc-port, 8001; 0 for any free port).")
  Integer grpcPort;

  @Option(names = "--http-port", description = "HTTP health port (default: braid.frontend.http-port, 8000; 0 for any free port).")
  Integer httpPort;

  @Option(names = "--policy", description = "Scheduling policy: time-only, space-only, space-time or fifo (default: braid.gpu.policy).")
  String policy;

  /** Stops every serve command of this JVM as SIGTERM would (for tests and embedding). */
  static void stopAll() {
    RUNNING.forEach(CountDownLatch::countDown);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Config config = ConfigFactory.load();
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
    DeviceSpec deviceSpec = device == null ? runtime.device() : DeviceSpec.parse("--device", device);
    int cpuThreads = threads == null ? runtime.cpuThreads() : Math.max(1, threads);
    ModelRepository repository = ModelRepository.open(repo == null ? RunCommand.defaultRepository(out) : repo);

    Device dev = Devices.open("--device", deviceSpec, cpuThreads);
    out.printf("loading the models of %s onto %s%n", repository.root(), dev.info().name());
    SingleNode node;
    try {
      node = SingleNode.start(repository, dev, gpu, frontend, config, BraidCli.version());
    } catch (Exception e) {
      dev.close();
      throw e;
    }
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
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
    try {
      for (SingleNode.ModelOutcome m : node.outcomes()) {
        if (m.loaded()) {
          out.printf(java.util.Locale.ROOT, "model %s version %d loaded (%.1f MiB of weights)%n", m.name(),
              m.version(), m.weightsBytes() / (1024.0 * 1024.0));
        } else {
          out.printf("model %s failed to load: %s%n", m.name(), m.error());
        }
      }
      out.printf("serving gRPC on :%d, HTTP on :%d%n", node.grpcPort(), node.httpPort());
      out.flush();
      stop.await();
      out.println("stopping: draining in-flight requests");
      out.flush();
    } finally {
      node.close();
      RUNNING.remove(stop);
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running: it returns now that stopped is counted down
      }
    }
    out.println("stopped");
    return 0;
  }

  private static int port(String flag, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + ": expected a port in 0..65535 (0 for any free port), got " + port);
    }
    return port;
  }
}
