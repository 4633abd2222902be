package dev.braid.coordinator.frontend.internal;

import dev.braid.model.repo.DynamicBatching;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.ModelConfigProto;
import dev.braid.model.repo.TensorConfig;

/**
 * A model's configuration as Triton's {@code inference.ModelConfig} message (the model module's
 * {@code model_config.proto}, Triton's field numbers), for the ModelConfig RPC: name, platform,
 * backend, max_batch_size, inputs and outputs (Triton's TYPE_ datatypes, dims without the batch),
 * dynamic batching and the default model file; what Braid derived from the ONNX file included, as
 * Triton's auto-completed configuration.
 */
public final class ConfigWire {
  private ConfigWire() {}

  public static ModelConfigProto.ModelConfig of(ModelConfig c) {
    ModelConfigProto.ModelConfig.Builder b = ModelConfigProto.ModelConfig.newBuilder().setName(c.name())
        .setPlatform(c.platform() == null ? "" : c.platform()).setBackend(c.backend() == null ? "" : c.backend())
        .setMaxBatchSize(c.maxBatchSize()).setDefaultModelFilename(c.defaultModelFilename());
    for (TensorConfig t : c.inputs()) {
      b.addInputBuilder().setName(t.name()).setDataType(dataType(t)).addAllDims(dims(t));
    }
    for (TensorConfig t : c.outputs()) {
      b.addOutputBuilder().setName(t.name()).setDataType(dataType(t)).addAllDims(dims(t));
    }
    DynamicBatching d = c.dynamicBatching();
    if (d != null) {
      b.getDynamicBatchingBuilder().addAllPreferredBatchSize(d.preferredBatchSizes())
          .setMaxQueueDelayMicroseconds(d.maxQueueDelay().toNanos() / 1000).setPreserveOrdering(d.preserveOrdering())
          .setPriorityLevels(d.priorityLevels()).setDefaultPriorityLevel(d.defaultPriorityLevel());
    }
    return b.build();
  }

  /** Triton's enum names are the protocol's datatype names after {@code TYPE_}. */
  private static ModelConfigProto.DataType dataType(TensorConfig t) {
    return ModelConfigProto.DataType.valueOf("TYPE_" + OipDatatypes.name(t.dtype()));
  }

  private static Iterable<Long> dims(TensorConfig t) {
    return java.util.Arrays.stream(t.dims()).boxed().toList();
  }
}
