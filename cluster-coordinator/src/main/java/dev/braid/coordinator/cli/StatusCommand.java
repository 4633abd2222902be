package dev.braid.coordinator.cli;

import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.admin.GpuStatus;
import dev.braid.protocol.admin.ModelStatus;
import dev.braid.protocol.admin.NodeStatus;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid status}: the cluster as the coordinator sees it (the admin service's
 * ClusterStatus), as three tables: nodes, GPUs with their load and counters, models with their
 * placements. Exit codes: 0 answered, 1 the server could not be reached or the coordinator did
 * not answer (the line says which), 2 bad flags.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show the cluster's nodes, GPUs and models, as its coordinator sees them.")
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Mixin ClientSecurityOptions security;

  @Option(names = "--timeout", description = "Deadline of the call: 500ms, 10s, 1m ... (default: ${DEFAULT-VALUE}).")
  String timeout = "10s";

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Duration deadline = ServerOptions.duration("--timeout", timeout);
    ManagedChannel channel = server.open(security);
    try {
      ClusterStatusResponse status;
      try {
        status = BraidAdminGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        return server.fail("status", e, spec.commandLine().getErr());
      }
      print(status, out);
      return 0;
    } finally {
      ServerOptions.close(channel);
    }
  }

  static void print(ClusterStatusResponse s, PrintWriter out) {
    out.printf("coordinator %s, routing table version %d%n", s.getCoordinatorAddress(), s.getTableVersion());
    out.printf("%d nodes, %d GPUs, %d models%n", s.getNodesCount(), s.getGpusCount(), s.getModelsCount());

    out.println();
    out.println("NODES");
    TextTable nodes = new TextTable("ADDRESS", "STATUS", "ROLES", "DRAIN");
    for (NodeStatus n : s.getNodesList()) {
      nodes.row(n.getAddress(), n.getStatus(), String.join(",", n.getRolesList()), orDash(n.getDrainState()));
    }
    nodes.print(out, "  ");

    out.println();
    out.println("GPUS");
    TextTable gpus = new TextTable("GPU", "DEVICE", "MEMORY USED/TOTAL", "POLICY", "QUEUE", "QUEUE MS", "UTIL", "SLO",
        "COMPLETED", "FAILED", "RESTARTS", "STATE", "MODELS");
    for (GpuStatus g : s.getGpusList()) {
      gpus.row(g.getGpuId(), g.getDevice(),
          Units.bytes(g.getMemoryAllocatedBytes()) + " / " + Units.bytes(g.getMemoryTotalBytes()),
          g.getPolicy(), g.getQueueDepth(), String.format(Locale.ROOT, "%.1f", g.getPredictedQueueMs()),
          Units.percent(g.getUtilisation()), Units.percent(g.getSloAttainment()), g.getCompleted(), g.getFailed(),
          g.getRestarts(), state(g), orDash(g.getModelsList().stream().map(m -> m.getName() + " v" + m.getVersion())
              .collect(Collectors.joining(","))));
    }
    gpus.print(out, "  ");
    for (GpuStatus g : s.getGpusList()) {
      if (!g.getHealthy()) {
        out.printf("  %s is unhealthy: %s%n", g.getGpuId(), g.getUnhealthyReason());
      }
    }

    out.println();
    out.println("MODELS");
    TextTable models = new TextTable("MODEL", "VERSION", "STATE", "REPLICAS", "REASON");
    for (ModelStatus m : s.getModelsList()) {
      models.row(m.getName(), m.getVersion() == 0 ? "-" : m.getVersion(), m.getState(),
          orDash(String.join(",", m.getReplicaGpuIdsList())), orDash(m.getReason()));
    }
    models.print(out, "  ");
  }

  private static String state(GpuStatus g) {
    if (!g.getHealthy()) {
      return "UNHEALTHY";
    }
    return g.getDraining() ? "draining" : "serving";
  }

  private static String orDash(String s) {
    return s.isEmpty() ? "-" : s;
  }
}
