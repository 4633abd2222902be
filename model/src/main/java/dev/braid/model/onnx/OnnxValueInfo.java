package dev.braid.model.onnx;

import dev.braid.model.DType;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto;
import dev.braid.model.onnx.OnnxProto.TypeProto;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;

/** The {@code ValueInfoProto} of a graph input or output that {@link OnnxModelBuilder} writes. */
final class OnnxValueInfo {
  private OnnxValueInfo() {}

  /**
   * A value info of {@code dtype} whose dims are sizes (Integer or Long, >= 0) or symbols
   * (non-empty Strings); refused naming the dim otherwise.
   */
  static ValueInfoProto of(String name, DType dtype, Object[] dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (int i = 0; i < dims.length; i++) {
      Object d = dims[i];
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof Integer || d instanceof Long) {
        long v = ((Number) d).longValue();
        if (v < 0) {
          throw new IllegalArgumentException(
              name + " dim " + i + ": expected a size >= 0 or a symbol, got " + v);
        }
        dim.setDimValue(v);
      } else if (d instanceof String s && !s.isEmpty()) {
        dim.setDimParam(s);
      } else {
        throw new IllegalArgumentException(
            name + " dim " + i + ": expected Integer, Long or a non-empty String, got " + d);
      }
      shape.addDim(dim);
    }
    TypeProto type =
        TypeProto.newBuilder()
            .setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(dtype.onnxCode()).setShape(shape))
            .build();
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }
}
