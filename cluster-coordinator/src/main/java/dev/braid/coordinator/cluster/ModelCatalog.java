package dev.braid.coordinator.cluster;

import dev.braid.model.repo.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What the coordinator knows of the model repository before any GPU has loaded a model. */
public interface ModelCatalog {
  /** The models the repository holds, by name. */
  List<String> models();

  /**
   * Device memory {@code model}'s weights are expected to take, before a GPU reports the real
   * figure: the size of its files (an ONNX model is mostly its initializers).
   */
  long weightsEstimate(String model);

  /** The catalog of a repository on this node's disk. */
  static ModelCatalog of(ModelRepository repository) {
    return new ModelCatalog() {
      @Override
      public List<String> models() {
        return repository.models();
      }

      @Override
      public long weightsEstimate(String model) {
        Path dir = repository.root().resolve(model);
        if (!Files.isDirectory(dir)) {
          return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
          return files.filter(Files::isRegularFile).mapToLong(f -> {
            try {
              return Files.size(f);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }).sum();
        } catch (IOException | UncheckedIOException e) {
          return 0;
        }
      }
    };
  }
}
