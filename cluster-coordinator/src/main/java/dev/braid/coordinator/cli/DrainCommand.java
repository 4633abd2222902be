package dev.braid.coordinator.cli;

import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.DrainNodeRequest;
import dev.braid.protocol.admin.DrainNodeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code braid drain NODE}: drains one node through the admin service (its GPUs stop taking
 * work, its models move to other GPUs, its in-flight requests finish) and waits until it is safe
 * to remove. Exit codes: 0 safe to remove; 1 not safe (the coordinator's reason is printed), no
 * such node, the server unreachable, or no answer within {@code --timeout}; 2 bad arguments.
 */
@Command(
    name = "drain",
    mixinStandardHelpOptions = true,
    description = "Drain a node (its GPUs finish their work and take no more) and wait until it is safe to remove.")
final class DrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Mixin ClientSecurityOptions security;

  @Parameters(index = "0", paramLabel = "NODE", description = "Cluster address of the node: pekko://braid@host:port.")
  String node;

  // Draining waits for the node's in-flight work and for its models to load elsewhere; loading a
  // large model takes tens of seconds, hence minutes rather than seconds.
  @Option(names = "--timeout", description = "How long to wait for the drain: 30s, 5m ... (default: ${DEFAULT-VALUE}).")
  String timeout = "120s";

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Duration deadline = ServerOptions.duration("--timeout", timeout);
    ManagedChannel channel = server.open(security);
    try {
      DrainNodeResponse reply;
      try {
        reply = BraidAdminGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
            .drainNode(DrainNodeRequest.newBuilder().setNodeAddress(node).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
          err.println("braid drain: " + node + " was not drained within " + timeout
              + "; it may still be draining (see braid status)");
          return 1;
        }
        return server.fail("drain", e, err);
      }
      if (reply.getSafeToRemove()) {
        out.println(node + " is drained: safe to remove");
        return 0;
      }
      out.println(reply.getMessage());
      return 1;
    } finally {
      ServerOptions.close(channel);
    }
  }
}
