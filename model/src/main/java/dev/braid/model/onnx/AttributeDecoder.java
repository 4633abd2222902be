package dev.braid.model.onnx;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.ModelException;
import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.AttributeProto.AttributeType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes a node's {@code AttributeProto}s into {@link Attributes}. Supported types: INT, FLOAT,
 * STRING (decoded as UTF-8), INTS, FLOATS, TENSOR. Files that leave {@code type} UNDEFINED (very
 * old exporters) get it inferred from the field that is set. Anything else is a ModelException
 * naming the source, node and attribute.
 */
final class AttributeDecoder {
  private AttributeDecoder() {}

  static Attributes decode(List<AttributeProto> protos, String source, String node) {
    if (protos.isEmpty()) {
      return Attributes.empty();
    }
    Map<String, Attribute> values = new LinkedHashMap<>();
    for (AttributeProto a : protos) {
      String what = "attribute '" + a.getName() + "' of " + node;
      if (!a.getRefAttrName().isEmpty()) {
        throw new ModelException(source + ": " + what + " refers to a function attribute ('"
            + a.getRefAttrName() + "'), which Braid does not support outside functions");
      }
      if (values.put(a.getName(), decodeOne(a, source, what)) != null) {
        throw new ModelException(source + ": " + what + " is given twice");
      }
    }
    return Attributes.of(values);
  }

  private static Attribute decodeOne(AttributeProto a, String source, String what) {
    AttributeType type = a.hasType() && a.getType() != AttributeType.UNDEFINED ? a.getType() : inferType(a);
    return switch (type) {
      case INT -> new Attribute.Int(a.getI());
      case FLOAT -> new Attribute.Float(a.getF());
      case STRING -> new Attribute.Str(a.getS().toString(StandardCharsets.UTF_8));
      case INTS -> {
        long[] v = new long[a.getIntsCount()];
        for (int i = 0; i < v.length; i++) {
          v[i] = a.getInts(i);
        }
        yield new Attribute.Ints(v);
      }
      case FLOATS -> {
        float[] v = new float[a.getFloatsCount()];
        for (int i = 0; i < v.length; i++) {
          v[i] = a.getFloats(i);
        }
        yield new Attribute.Floats(v);
      }
      case TENSOR -> new Attribute.TensorValue(TensorDecoder.decode(a.getT(), source, what));
      case STRINGS -> new Attribute.Strs(a.getStringsList().stream().map(b -> b.toString(StandardCharsets.UTF_8)).toList());
      default -> throw new ModelException(source + ": " + what + " has type " + type
          + ", which Braid does not support (supported: INT, FLOAT, STRING, INTS, FLOATS, STRINGS, TENSOR)");
    };
  }

  private static AttributeType inferType(AttributeProto a) {
    if (a.hasT()) {
      return AttributeType.TENSOR;
    }
    if (a.hasG() || a.getGraphsCount() > 0) {
      return AttributeType.GRAPH;
    }
    if (a.getIntsCount() > 0) {
      return AttributeType.INTS;
    }
    if (a.getFloatsCount() > 0) {
      return AttributeType.FLOATS;
    }
    if (a.getStringsCount() > 0) {
      return AttributeType.STRINGS;
    }
    if (a.hasS()) {
      return AttributeType.STRING;
    }
    if (a.hasF()) {
      return AttributeType.FLOAT;
    }
    if (a.hasI()) {
      return AttributeType.INT;
    }
    return AttributeType.UNDEFINED;
  }
}
