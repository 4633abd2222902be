package dev.braid.bench.gpucheck;

import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The model zoo as the check uses it: generated into a temporary repository, loaded, the files deleted. */
final class Zoo {
  private Zoo() {}

  /** Every zoo model at {@code imageSize}, by name, in {@link ModelZoo#MODEL_NAMES} order. */
  static Map<String, RepositoryModel> load(List<String> names, int imageSize) throws IOException {
    Path dir = Files.createTempDirectory("braid-gpucheck-zoo");
    try {
      ModelZoo.generate(dir, ZooOptions.defaults().withImageSize(imageSize).withModels(names.toArray(String[]::new)));
      ModelRepository repository = ModelRepository.open(dir);
      Map<String, RepositoryModel> out = new LinkedHashMap<>();
      for (String n : names) {
        out.put(n, repository.load(n));
      }
      return out;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
