package dev.braid.device.exec;

import dev.braid.device.kernel.Kernel;
import java.util.List;

/**
 * One kernel of a compiled model, its arguments named by graph value (inputs, then the output),
 * and the node it came from for error messages.
 */
public record Step(Kernel kernel, List<String> args, String node) {
  public Step {
    args = List.copyOf(args);
    if (args.size() != kernel.argNames().size()) {
      throw new IllegalArgumentException(node + ": " + kernel + " takes " + kernel.argNames() + ", got " + args);
    }
  }

  public String output() {
    return args.get(args.size() - 1);
  }
}
