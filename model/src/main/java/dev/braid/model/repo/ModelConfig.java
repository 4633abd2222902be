package dev.braid.model.repo;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's serving configuration, from its {@code config.pbtxt} or derived from the ONNX file,
 * validated against the model ({@link ConfigValidator}).
 *
 * @param maxBatchSize 0 when the model does not batch (dims are full shapes); otherwise the
 *     largest batch and every tensor's dims exclude the batch dimension
 * @param dynamicBatching null when the config does not enable dynamic batching
 */
public record ModelConfig(
    String name,
    String platform,
    String backend,
    int maxBatchSize,
    List<TensorConfig> inputs,
    List<TensorConfig> outputs,
    VersionPolicy versionPolicy,
    List<InstanceGroup> instanceGroups,
    DynamicBatching dynamicBatching,
    Map<String, String> parameters,
    String defaultModelFilename) {

  public static final String ONNX_PLATFORM = "onnxruntime_onnx";
  public static final String ONNX_BACKEND = "onnxruntime";
  public static final String DEFAULT_MODEL_FILENAME = "model.onnx";

  public ModelConfig {
    Objects.requireNonNull(name, "name");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(versionPolicy, "versionPolicy");
    instanceGroups = List.copyOf(instanceGroups);
    parameters = Map.copyOf(parameters);
    Objects.requireNonNull(defaultModelFilename, "defaultModelFilename");
  }
}
