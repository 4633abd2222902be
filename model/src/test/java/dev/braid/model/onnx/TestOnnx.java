package dev.braid.model.onnx;

import com.google.protobuf.ByteString;
import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.NodeProto;
import dev.braid.model.onnx.OnnxProto.OperatorSetIdProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto;
import dev.braid.model.onnx.OnnxProto.TypeProto;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Test-only builders for small ONNX models; dims are Long (fixed) or String (symbolic). */
public final class TestOnnx {
  private TestOnnx() {}

  public static final int FLOAT = 1;
  public static final int INT64 = 7;

  public static ValueInfoProto value(String name, int elemType, Object... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      TensorShapeProto.Dimension.Builder b = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String p) {
        b.setDimParam(p);
      } else {
        b.setDimValue(((Number) d).longValue());
      }
      s.addDim(b);
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
  }

  /** A value with an element type but no shape (rank unknown). */
  public static ValueInfoProto unshaped(String name, int elemType) {
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType))).build();
  }

  public static NodeProto node(String op, String name, String[] inputs, String[] outputs, AttributeProto... attrs) {
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(name);
    for (String i : inputs) {
      b.addInput(i);
    }
    for (String o : outputs) {
      b.addOutput(o);
    }
    for (AttributeProto a : attrs) {
      b.addAttribute(a);
    }
    return b.build();
  }

  public static String[] in(String... names) {
    return names;
  }

  public static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  public static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  public static AttributeProto strAttr(String name, String v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(v)).build();
  }

  public static AttributeProto intsAttr(String name, long... v) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    return b.build();
  }

  public static AttributeProto tensorAttr(String name, TensorProto t) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(t).build();
  }

  public static TensorProto floats(String name, long[] dims, float... data) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(FLOAT);
    for (long d : dims) {
      b.addDims(d);
    }
    ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) {
      buf.putFloat(f);
    }
    return b.setRawData(ByteString.copyFrom(buf.array())).build();
  }

  public static TensorProto longs(String name, long[] dims, long... data) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(INT64);
    for (long d : dims) {
      b.addDims(d);
    }
    for (long l : data) {
      b.addInt64Data(l);
    }
    return b.build();
  }

  public static long[] dims(long... d) {
    return d;
  }

  /** A model from a graph at the given default opset. */
  public static ModelProto model(int opset, GraphProto graph) {
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("braid-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph).build();
  }

  public static ImportedModel load(int opset, GraphProto graph) {
    return OnnxImporter.parse(model(opset, graph).toByteArray(), "test.onnx");
  }
}
