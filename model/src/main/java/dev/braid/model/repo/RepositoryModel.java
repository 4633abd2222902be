package dev.braid.model.repo;

import dev.braid.model.onnx.ImportedModel;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A model loaded from the repository: its validated config and the imported ONNX model of every
 * version its version policy selects (at least one), by ascending version number.
 */
public record RepositoryModel(String name, ModelConfig config, SortedMap<Long, ImportedModel> versions) {
  public RepositoryModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(config, "config");
    if (versions.isEmpty()) {
      throw new IllegalArgumentException("model '" + name + "' needs at least one version");
    }
    versions = Collections.unmodifiableSortedMap(new TreeMap<>(versions));
  }

  /** The highest selected version. */
  public long latestVersion() {
    return versions.lastKey();
  }

  public ImportedModel latest() {
    return versions.get(versions.lastKey());
  }
}
