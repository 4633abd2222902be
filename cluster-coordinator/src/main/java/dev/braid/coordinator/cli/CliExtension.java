package dev.braid.coordinator.cli;

/**
 * A top-level command contributed by another module (found with {@link java.util.ServiceLoader}).
 * The benchmarks use it so that their dependencies (ONNX Runtime as the peer) stay out of the
 * serving classpath.
 */
public interface CliExtension {
  /** A picocli {@code @Command}-annotated object. */
  Object command();
}
