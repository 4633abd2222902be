package dev.braid.model.onnx;

import com.google.protobuf.ByteString;
import dev.braid.model.DType;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.AttributeProto.AttributeType;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns a Java value into an ONNX {@link AttributeProto}, choosing the attribute type from the
 * value's Java type (the mapping is listed on {@link OnnxModelBuilder}).
 */
final class OnnxAttributeBuilder {
  private OnnxAttributeBuilder() {}

  static AttributeProto attribute(String name, Object value) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("attribute name: expected non-empty, got " + name);
    }
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
    if (value instanceof Integer || value instanceof Long) {
      a.setType(AttributeType.INT).setI(((Number) value).longValue());
    } else if (value instanceof Float || value instanceof Double) {
      a.setType(AttributeType.FLOAT).setF(((Number) value).floatValue());
    } else if (value instanceof String s) {
      a.setType(AttributeType.STRING).setS(ByteString.copyFrom(s, StandardCharsets.UTF_8));
    } else if (value instanceof int[] ints) {
      a.setType(AttributeType.INTS);
      for (int v : ints) {
        a.addInts(v);
      }
    } else if (value instanceof long[] longs) {
      a.setType(AttributeType.INTS);
      for (long v : longs) {
        a.addInts(v);
      }
    } else if (value instanceof float[] floats) {
      a.setType(AttributeType.FLOATS);
      for (float v : floats) {
        a.addFloats(v);
      }
    } else if (value instanceof double[] doubles) {
      a.setType(AttributeType.FLOATS);
      for (double v : doubles) {
        a.addFloats((float) v);
      }
    } else if (value instanceof List<?> list && !list.isEmpty()) {
      listAttribute(a, name, list);
    } else if (value instanceof TensorProto t) {
      a.setType(AttributeType.TENSOR).setT(t);
    } else if (value instanceof Tensor t) {
      a.setType(AttributeType.TENSOR).setT(tensorProto(name, t));
    } else {
      throw new IllegalArgumentException(
          "attribute " + name + ": expected Integer, Long, Float, Double, String, int[], long[],"
              + " float[], double[], a non-empty List, Tensor or TensorProto, got "
              + (value == null ? "null" : value.getClass().getSimpleName()));
    }
    return a.build();
  }

  private static void listAttribute(AttributeProto.Builder a, String name, List<?> list) {
    Object first = list.get(0);
    for (Object v : list) {
      if (v == null || v.getClass() != first.getClass()) {
        throw new IllegalArgumentException(
            "attribute " + name + ": expected a list of one element type, got " + list);
      }
    }
    if (first instanceof Integer || first instanceof Long) {
      a.setType(AttributeType.INTS);
      list.forEach(v -> a.addInts(((Number) v).longValue()));
    } else if (first instanceof Float || first instanceof Double) {
      a.setType(AttributeType.FLOATS);
      list.forEach(v -> a.addFloats(((Number) v).floatValue()));
    } else if (first instanceof String) {
      a.setType(AttributeType.STRINGS);
      list.forEach(v -> a.addStrings(ByteString.copyFrom((String) v, StandardCharsets.UTF_8)));
    } else {
      throw new IllegalArgumentException(
          "attribute " + name + ": expected a list of integers, floats or strings, got " + list);
    }
  }

  /** A FLOAT32 or INT64 tensor as a TensorProto with little-endian raw data. */
  static TensorProto tensorProto(String name, Tensor t) {
    ByteBuffer buf;
    if (t.dtype() == DType.FLOAT32) {
      buf = ByteBuffer.allocate(t.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(t.floats());
    } else if (t.dtype() == DType.INT64) {
      buf = ByteBuffer.allocate(t.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
      buf.asLongBuffer().put(t.longs());
    } else {
      throw new IllegalArgumentException(
          "tensor " + name + ": dtype expected FLOAT32 or INT64, got " + t.dtype());
    }
    TensorProto.Builder p =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(t.dtype().onnxCode())
            .setRawData(ByteString.copyFrom(buf.array()));
    for (long d : t.shape().longDims()) {
      p.addDims(d);
    }
    return p.build();
  }
}
