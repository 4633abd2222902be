package dev.braid.model.repo;

import dev.braid.model.ModelGraph;
import dev.braid.model.onnx.ImportedModel;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
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

  /** True when the config batches ({@code max_batch_size > 0}): requests carry a leading batch dimension. */
  public boolean batching() {
    return config.maxBatchSize() > 0;
  }

  /**
   * The latest version bound as it is served: at {@code batchSize} rows when the config batches;
   * at its declared shapes when it does not ({@code max_batch_size: 0}, where {@code batchSize}
   * must be 1), dynamic dimensions fixed by the config's dims. Triton serves a model that does not
   * batch at the full shapes its config lists, so Braid binds it there and never at a batch.
   *
   * @throws dev.braid.model.ModelException when the model does not bind (the message says why)
   */
  public ModelGraph bind(int batchSize) {
    if (batching()) {
      return latest().bind(batchSize);
    }
    if (batchSize != 1) {
      throw new IllegalArgumentException("model '" + name + "' does not batch (max_batch_size 0); expected batch"
          + " size 1, received " + batchSize);
    }
    Map<String, long[]> dims = new HashMap<>();
    for (TensorConfig t : config.inputs()) {
      dims.put(t.name(), t.dims());
    }
    return latest().bindDeclared(dims);
  }
}
