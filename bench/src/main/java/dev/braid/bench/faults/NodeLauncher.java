package dev.braid.bench.faults;

import java.util.List;

/**
 * How {@link LocalCluster} starts one node's JVM and where the node is reached: the hook through
 * which another harness places nodes elsewhere (the partition scenario runs each node in its own
 * network namespace, {@code ip netns exec NS java ...}, reached at the namespace's address).
 *
 * <p>The command a launcher returns must end in the very JVM the harness asked for (an {@code
 * exec}, as {@code ip netns exec} does, or a child of it): the harness signals the started process
 * and its descendants for SIGKILL, SIGSTOP and SIGCONT.
 */
public interface NodeLauncher {
  /** Runs the command unchanged; every node on 127.0.0.1. */
  NodeLauncher LOCAL = new NodeLauncher() {
    @Override
    public List<String> command(String nodeName, List<String> javaCommand) {
      return javaCommand;
    }

    @Override
    public String host(String nodeName) {
      return "127.0.0.1";
    }
  };

  /** The command that starts node {@code nodeName}, given the plain {@code java ...} command. */
  List<String> command(String nodeName, List<String> javaCommand);

  /** The address the node binds and the others (and the harness's clients) reach it at. */
  String host(String nodeName);
}
