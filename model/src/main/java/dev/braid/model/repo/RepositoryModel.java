package dev.braid.model.repo;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
   * The latest version bound as it is served: at {@code batchSize} rows when the config batches,
   * other symbolic dimensions (a sequence length) sized by the config's dims (which leave out the
   * batch dimension); at its declared shapes when it does not ({@code max_batch_size: 0}, where {@code batchSize}
   * must be 1), dynamic dimensions fixed by the config's dims. Triton serves a model that does not
   * batch at the full shapes its config lists, so Braid binds it there and never at a batch.
   *
   * @throws dev.braid.model.ModelException when the model does not bind (the message says why)
   */
  public ModelGraph bind(int batchSize) {
    if (batching()) {
      return latest().bind(batchSize, configuredDimParams());
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

  /**
   * The sizes the config's dims give the model's symbolic non-batch dimensions, by parameter name
   * (dims[i] sizes the model's dimension i + 1); -1 (dynamic) gives none, nor does a batch dimension's
   * parameter (the batch size binds it).
   *
   * @throws ModelException when two configured dims give one parameter different sizes
   */
  private Map<String, Integer> configuredDimParams() {
    Map<String, Integer> params = new HashMap<>();
    Set<String> batchParams = new HashSet<>();
    for (TensorSpec in : latest().inputs()) {
      if (in.hasShape() && in.rank() > 0 && in.dims().get(0).isSymbolic()) {
        batchParams.add(in.dims().get(0).param());
      }
    }
    for (TensorConfig t : config.inputs()) {
      TensorSpec in = latest().input(t.name());
      long[] dims = t.dims();
      for (int i = 0; in != null && in.hasShape() && i < dims.length && i + 1 < in.rank(); i++) {
        DimSpec d = in.dims().get(i + 1);
        if (d.isSymbolic() && dims[i] >= 0 && !batchParams.contains(d.param())) {
          Integer before = params.putIfAbsent(d.param(), (int) dims[i]);
          if (before != null && before != dims[i]) {
            throw new ModelException(latest().sourceName() + ": dimension '" + d.param() + "' is sized " + before
                + " by one input's config.pbtxt dims and " + dims[i] + " by input '" + t.name() + "'");
          }
        }
      }
    }
    return params;
  }
}
