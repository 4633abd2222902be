package dev.braid.coordinator.cli;

import dev.braid.model.fold.Specialization;
import dev.braid.model.fold.SpecializationSettings;
import dev.braid.model.onnx.TensorSpec;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooModelInfo;
import dev.braid.model.zoo.ZooOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code braid models ...}: the model zoo and model repositories. */
@Command(
    name = "models",
    description = "Generate the model zoo, or list a model repository.",
    mixinStandardHelpOptions = true,
    subcommands = {ModelsCommand.Generate.class, ModelsCommand.ListModels.class})
final class ModelsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code braid models generate --out DIR}. */
  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = "Write the zoo's ONNX models (mlp, resnet18, mobilenetv2, bert) in Triton's repository layout.")
  static final class Generate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Repository directory to write (created if missing).")
    Path out;

    @Option(names = "--seed", description = "Seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed = ZooOptions.DEFAULT_SEED;

    @Option(names = "--image-size", description = "Input height and width of the image models (default: ${DEFAULT-VALUE}).")
    int imageSize = ZooOptions.DEFAULT_IMAGE_SIZE;

    @Option(names = "--models", split = ",", description = "Models to write (default: all of ${DEFAULT-VALUE}).")
    List<String> models = ModelZoo.MODEL_NAMES;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      ZooOptions options = new ZooOptions(seed, imageSize, models);
      List<Path> dirs = ModelZoo.generate(this.out, options);
      Map<String, ZooModelInfo> infos =
          ModelZoo.describe(options).stream().collect(Collectors.toMap(ZooModelInfo::name, i -> i));
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        ZooModelInfo info = infos.get(name);
        out.printf("%-12s %s  (%s parameters, %s at batch 1)%n", name, dir,
            Units.count(info.parameters()), Units.flops(info.flopsAtBatch1()));
      }
      out.printf("wrote %d models to %s (seed %d, image size %d)%n", dirs.size(), this.out, seed, imageSize);
      return 0;
    }
  }

  /** {@code braid models list --repo DIR}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Load every model of a repository as braid serve does (import, bind at its serving shapes, lower to"
          + " kernels) and show its inputs and outputs, or the precise reason it is refused.")
  static final class ListModels implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--repo", required = true, description = "Model repository (Triton layout).")
    Path repo;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      ModelRepository.LoadResult result = ModelRepository.open(repo).loadAll();
      Map<String, String> refused = new TreeMap<>();
      result.failed().forEach((name, e) -> refused.put(name, ServeCheck.reason(e)));
      int serving = 0;
      for (Map.Entry<String, RepositoryModel> e : result.loaded().entrySet()) {
        RepositoryModel m = e.getValue();
        String reason = ServeCheck.refusal(m);
        if (reason != null) {
          refused.put(e.getKey(), reason);
          continue;
        }
        serving++;
        out.printf("%s  version %d, max_batch_size %d%n", e.getKey(), m.latestVersion(), m.config().maxBatchSize());
        for (TensorSpec in : m.latest().inputs()) {
          out.printf("    input  %s%n", in);
        }
        Specialization special = ServeCheck.specialization(m);
        if (!special.isEmpty()) {
          out.printf("    specializes on inputs %s: their values define shapes, so each distinct value is compiled"
              + " on first use (at most %d plans held)%n", special.names(), SpecializationSettings.load().plansPerModel());
        }
        for (TensorSpec o : m.latest().outputs()) {
          out.printf("    output %s%n", o);
        }
      }
      refused.forEach((name, reason) -> out.printf("%s  REFUSED: %s%n", name, reason));
      out.printf("%d models: %d load, %d refused%n", serving + refused.size(), serving, refused.size());
      return refused.isEmpty() ? 0 : 1;
    }
  }
}
