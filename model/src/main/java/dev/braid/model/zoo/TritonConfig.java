package dev.braid.model.zoo;

import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes a zoo model's {@code config.pbtxt} in Triton's protobuf text format. Inputs and outputs
 * come from the ONNX graph, whose first dim must be the symbolic batch; Triton's dims leave it
 * out because {@code max_batch_size > 0}.
 */
final class TritonConfig {
  /** The largest batch Triton (or Braid's batcher) may form. */
  static final int MAX_BATCH_SIZE = 8;
  /** How long the batcher may hold a request to grow a batch: a tenth of a small model's run. */
  static final int MAX_QUEUE_DELAY_MICROSECONDS = 100;

  private TritonConfig() {}

  static String text(String name, GraphProto graph) {
    StringBuilder s = new StringBuilder();
    s.append("name: \"").append(name).append("\"\n");
    s.append("platform: \"onnxruntime_onnx\"\n");
    s.append("max_batch_size: ").append(MAX_BATCH_SIZE).append('\n');
    tensors(s, "input", graph.getInputList());
    tensors(s, "output", graph.getOutputList());
    s.append("instance_group [\n  {\n    kind: KIND_GPU\n    count: 1\n  }\n]\n");
    s.append("dynamic_batching {\n");
    s.append("  preferred_batch_size: [ 4, ").append(MAX_BATCH_SIZE).append(" ]\n");
    s.append("  max_queue_delay_microseconds: ").append(MAX_QUEUE_DELAY_MICROSECONDS).append('\n');
    s.append("}\n");
    return s.toString();
  }

  private static void tensors(StringBuilder s, String field, List<ValueInfoProto> values) {
    s.append(field).append(" [\n");
    for (int i = 0; i < values.size(); i++) {
      ValueInfoProto v = values.get(i);
      if (v.getType().getTensorType().getElemType() != 1) {
        throw new IllegalStateException(v.getName() + ": elem_type expected 1 (FLOAT), got "
            + v.getType().getTensorType().getElemType());
      }
      List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
      if (dims.isEmpty() || !dims.get(0).hasDimParam()) {
        throw new IllegalStateException(v.getName() + ": expected a symbolic batch dim first");
      }
      String rest = dims.subList(1, dims.size()).stream()
          .map(d -> Long.toString(d.getDimValue()))
          .collect(Collectors.joining(", "));
      s.append("  {\n");
      s.append("    name: \"").append(v.getName()).append("\"\n");
      s.append("    data_type: TYPE_FP32\n");
      s.append("    dims: [ ").append(rest).append(" ]\n");
      s.append("  }").append(i + 1 < values.size() ? ",\n" : "\n");
    }
    s.append("]\n");
  }
}
