package dev.braid.coordinator.cli;

import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --repo}, a model repository in Triton's layout, as the commands that run models share it
 * (a picocli mixin): without it, the embedded default, the model zoo under the build directory
 * ({@code braid.home}, default {@code build}), generated on first use.
 */
final class ZooRepoOption {
  @Option(names = "--repo", description = "Model repository in Triton's layout (default: the zoo under the build directory, generated on first use).")
  Path repo;

  /** The repository {@code --repo} names, else the zoo ({@link #defaultRepository}). */
  Path orZoo(PrintWriter out) {
    return repo == null ? defaultRepository(out) : repo;
  }

  /**
   * The embedded default repository: the zoo under the build directory, generated (with a line on
   * {@code out}) when any of its models is missing.
   */
  static Path defaultRepository(PrintWriter out) {
    Path home = Path.of(System.getProperty("braid.home", "build"));
    Path zoo = home.resolve("zoo");
    boolean complete = ModelZoo.MODEL_NAMES.stream()
        .allMatch(m -> Files.isRegularFile(zoo.resolve(m).resolve("1").resolve("model.onnx")));
    if (!complete) {
      out.printf("generating the model zoo into %s (first use)%n", zoo);
      ModelZoo.generate(zoo, ZooOptions.defaults());
    }
    return zoo;
  }
}
