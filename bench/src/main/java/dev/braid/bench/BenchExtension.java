package dev.braid.bench;

import dev.braid.coordinator.cli.CliExtension;

/** Adds {@code braid bench ...} to the CLI when this module is on the classpath. */
public final class BenchExtension implements CliExtension {
  @Override
  public Object command() {
    return new BenchCommand();
  }
}
