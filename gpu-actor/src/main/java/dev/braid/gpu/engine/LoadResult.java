package dev.braid.gpu.engine;

import java.util.Objects;

/** The answer to {@link GpuEngine#load}. */
public sealed interface LoadResult {
  /**
   * The model serves from now on.
   *
   * @param version the model version loaded (the latest the repository selected)
   * @param maxBatchSize rows per batch; 1 for a model that does not batch
   * @param weightsBytes device memory of its weights, shared by every batch size
   */
  record Loaded(String model, long version, int maxBatchSize, long weightsBytes) implements LoadResult {}

  /** The model could not be loaded; {@code message} is the model's own error. */
  record LoadError(String model, String message) implements LoadResult {
    public LoadError {
      Objects.requireNonNull(message, "message");
    }
  }
}
