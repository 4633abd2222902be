package dev.braid.coordinator.cluster;

import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.model.repo.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

  /**
   * Which super-kernels {@code model}'s ops can join, for placement to co-locate models whose
   * kernels fuse: the {@link FusionProfile} of its kernel plan at batch size 1, computed from the
   * graph alone (no device). {@link FusionProfile#NONE} when the model cannot be read or planned
   * here; loading it on a GPU then reports why.
   */
  default FusionProfile fusion(String model) {
    return FusionProfile.NONE;
  }

  /**
   * The catalog of a repository on this node's disk. Fusion profiles are computed once per model
   * (reading and lowering the model) and kept.
   */
  static ModelCatalog of(ModelRepository repository) {
    return of(repository, true);
  }

  /**
   * As {@link #of(ModelRepository)}; with {@code fusionProfiles} false every model's profile is
   * {@link FusionProfile#NONE}, so placement balances load alone
   * ({@code braid.coordinator.placement.fusion-aware}).
   */
  static ModelCatalog of(ModelRepository repository, boolean fusionProfiles) {
    Map<String, FusionProfile> profiles = new ConcurrentHashMap<>();
    return new ModelCatalog() {
      @Override
      public FusionProfile fusion(String model) {
        if (!fusionProfiles) {
          return FusionProfile.NONE;
        }
        return profiles.computeIfAbsent(model, m -> {
          try {
            return FusionProfile.of(KernelPlanner.plan(repository.load(m).latest().bind(1)));
          } catch (RuntimeException e) {
            return FusionProfile.NONE;
          }
        });
      }

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
