package dev.braid.model.repo;

import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Derives the config of a model that has no {@code config.pbtxt}, as Triton's auto-complete
 * does for ONNX: platform onnxruntime_onnx; max_batch_size 4 (Triton's auto-complete default)
 * when every input has a dynamic first dimension, else 0; inputs and outputs from the model
 * (without the batch dimension when batching); dynamic batching with no queueing delay; the
 * latest version only.
 */
public final class ConfigDeriver {
  private ConfigDeriver() {}

  /** Triton's auto-complete default for models whose inputs all have a dynamic first dimension. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 4;

  public static ModelConfig derive(String modelDir, ImportedModel m) {
    boolean batching = !m.inputs().isEmpty() && m.inputs().stream().allMatch(TensorSpec::hasDynamicFirstDim);
    return new ModelConfig(modelDir, ModelConfig.ONNX_PLATFORM, ModelConfig.ONNX_BACKEND,
        batching ? DEFAULT_MAX_BATCH_SIZE : 0, tensors(m.inputs(), batching), tensors(m.outputs(), batching),
        new VersionPolicy.Latest(1), List.of(), DynamicBatching.immediate(), Map.of(),
        ModelConfig.DEFAULT_MODEL_FILENAME);
  }

  /**
   * Completes a {@code config.pbtxt} that lists no inputs or no outputs, as Triton's auto-complete
   * does: the missing list is taken from the model (without the batch dimension when the config
   * batches). A config that lists some tensors is returned as is and validated as written.
   */
  public static ModelConfig complete(ModelConfig c, ImportedModel m) {
    if (!c.inputs().isEmpty() && !c.outputs().isEmpty()) {
      return c;
    }
    boolean batching = c.maxBatchSize() > 0;
    return new ModelConfig(c.name(), c.platform(), c.backend(), c.maxBatchSize(),
        c.inputs().isEmpty() ? tensors(m.inputs(), batching) : c.inputs(),
        c.outputs().isEmpty() ? tensors(m.outputs(), batching) : c.outputs(),
        c.versionPolicy(), c.instanceGroups(), c.dynamicBatching(), c.parameters(), c.defaultModelFilename());
  }

  private static List<TensorConfig> tensors(List<TensorSpec> specs, boolean batching) {
    List<TensorConfig> out = new ArrayList<>();
    for (TensorSpec s : specs) {
      long[] d = s.tritonDims();
      if (batching && d.length > 0) {
        d = Arrays.copyOfRange(d, 1, d.length);
      }
      out.add(new TensorConfig(s.name(), s.dtype(), d));
    }
    return out;
  }
}
