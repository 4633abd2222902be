package dev.braid.coordinator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code braid conformance ...}: ONNX's backend test data (the Debian package {@code
 * libonnx-testdata}) as a user would meet it. The per-case verdicts come from native's {@code
 * OnnxBackendConformanceTest}; this command lays the same models out for {@code braid serve} and
 * {@code braid models list}.
 */
@Command(
    name = "conformance",
    mixinStandardHelpOptions = true,
    description = "ONNX's backend test models (libonnx-testdata) as a model repository.",
    subcommands = {ConformanceCommand.Repo.class})
final class ConformanceCommand implements Runnable {
  /** Where the Debian package installs the data. */
  static final Path DEFAULT_DATA = Path.of("/usr/share/libonnx-testdata/data");

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code braid conformance repo --out DIR}. */
  @Command(
      name = "repo",
      mixinStandardHelpOptions = true,
      description = "Write a Triton-layout repository of the conformance models, DIR/<suite>_<case>/1/model.onnx with no"
          + " config.pbtxt (Braid derives each config, as Triton's auto-complete does), for braid serve --repo DIR and"
          + " braid models list --repo DIR.")
  static final class Repo implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Repository directory to write (created if missing).")
    Path out;

    @Option(names = "--data", description = "The test data's root, holding one directory per suite (default: ${DEFAULT-VALUE}).")
    Path data = DEFAULT_DATA;

    @Option(names = "--suites", split = ",", description = "Suites to write (default: ${DEFAULT-VALUE}).")
    List<String> suites = List.of("node", "pytorch-converted", "pytorch-operator", "simple");

    @Override
    public Integer call() throws IOException {
      PrintWriter pw = spec.commandLine().getOut();
      if (!Files.isDirectory(data)) {
        throw new IllegalArgumentException("--data: expected the directory of ONNX's backend test data (install the Debian"
            + " package libonnx-testdata), but " + data + " is not a directory");
      }
      int total = 0;
      for (String suite : suites) {
        Path dir = data.resolve(suite);
        if (!Files.isDirectory(dir)) {
          throw new IllegalArgumentException("--suites: expected suites present under " + data + ", but " + dir
              + " is not a directory");
        }
        int n = 0;
        try (Stream<Path> cases = Files.list(dir).sorted()) {
          for (Path c : (Iterable<Path>) cases::iterator) {
            Path model = c.resolve("model.onnx");
            if (Files.isRegularFile(model)) {
              Path target = out.resolve(suite + "_" + c.getFileName()).resolve("1").resolve("model.onnx");
              Files.createDirectories(target.getParent());
              Files.copy(model, target, StandardCopyOption.REPLACE_EXISTING);
              n++;
            }
          }
        }
        pw.printf("%-18s %4d models%n", suite, n);
        total += n;
      }
      pw.printf("wrote %d models to %s (no config.pbtxt: each is derived when the model loads)%n", total, out);
      return 0;
    }
  }
}
