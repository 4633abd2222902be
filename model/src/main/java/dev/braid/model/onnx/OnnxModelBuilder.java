package dev.braid.model.onnx;

import com.google.protobuf.ByteString;
import dev.braid.model.DType;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.NodeProto;
import dev.braid.model.onnx.OnnxProto.OperatorSetIdProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto;
import dev.braid.model.onnx.OnnxProto.TypeProto;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A small fluent writer of ONNX {@link ModelProto}s: graph inputs and outputs (with symbolic
 * dims), initializers, nodes with attributes, and deterministic serialization.
 *
 * <pre>{@code
 * OnnxModelBuilder b = new OnnxModelBuilder("tiny");            // opset 17, ir_version 8
 * b.input("x", DType.FLOAT32, "batch", 3);
 * String w = b.initializer("w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * String y = b.node("Gemm", List.of("x", w), Map.of("transB", 1));
 * b.node("Relu", List.of(y), List.of("out"), Map.of());          // explicit output name
 * b.output("out", DType.FLOAT32, "batch", 2);
 * byte[] onnx = b.toBytes();
 * }</pre>
 *
 * <p>For a model of one operator, {@link #singleOp(String)} is shorter.
 *
 * <p>Rules the builder keeps:
 *
 * <ul>
 *   <li>Names are unique across inputs, initializers, node outputs and node names; {@link
 *       #uniqueName(String)} and {@link #node(String, List, Map)} generate fresh ones.
 *   <li>A node may only read a value defined before it (graph input, initializer or an earlier
 *       node's output) or {@code ""} for an omitted optional input, so nodes are always in
 *       topological order; {@link #build()} also checks that every graph output is produced.
 *   <li>Attributes are written sorted by name, so the bytes do not depend on a map's iteration
 *       order: the same calls give byte-identical files.
 *   <li>Initializers are written as little-endian {@code raw_data}.
 * </ul>
 *
 * <p>Attribute values map to ONNX types by their Java type: {@code Integer}/{@code Long} to INT,
 * {@code Float}/{@code Double} to FLOAT, {@code String} to STRING, {@code int[]}/{@code long[]}
 * or a {@code List} of integers to INTS, {@code float[]}/{@code double[]} or a {@code List} of
 * floating numbers to FLOATS, {@code List<String>} to STRINGS, and a {@link Tensor} or {@link
 * TensorProto} to TENSOR.
 *
 * <p>Not thread-safe; one builder makes one model.
 */
public final class OnnxModelBuilder {
  /** The opset a new builder targets unless {@link #opset(int)} says otherwise. */
  public static final int DEFAULT_OPSET = 17;
  /** The lowest opset the builder writes (ONNX 1.0), so that tests can build legacy forms. */
  public static final int MIN_OPSET = 1;
  /** The highest opset with a known IR version (ONNX 1.18, IR 11). */
  public static final int MAX_OPSET = 23;

  private String graphName;
  private int opset = DEFAULT_OPSET;
  private Long irVersion;
  private String producerName = "braid";
  private final List<ValueInfoProto> inputs = new ArrayList<>();
  private final List<ValueInfoProto> outputs = new ArrayList<>();
  private final List<TensorProto> initializers = new ArrayList<>();
  private final List<NodeProto> nodes = new ArrayList<>();
  private final ModelNames names = new ModelNames();
  private final Set<String> definedValues = new HashSet<>();

  /** A builder for a graph called {@code graphName}, at opset {@value #DEFAULT_OPSET}. */
  public OnnxModelBuilder(String graphName) {
    this.graphName = requireName("graphName", graphName);
  }

  /** Starts a model with exactly one node of {@code opType}; see {@link OnnxSingleOpBuilder}. */
  public static OnnxSingleOpBuilder singleOp(String opType) {
    return new OnnxSingleOpBuilder(opType);
  }

  /**
   * The IR version released with {@code opset} (ONNX's versioning table): 8 for opsets 15-18, 9
   * for 19-20, 10 for 21-22, 11 for 23. ONNX Runtime accepts a model whose IR version is at least
   * the one of its opset.
   */
  public static long irVersionFor(int opset) {
    checkOpset(opset);
    if (opset <= 8) {
      return 3;
    } else if (opset <= 12) {
      return opset - 5; // opset 9 came with IR 4, ..., opset 12 with IR 7
    } else if (opset <= 14) {
      return 7;
    } else if (opset <= 18) {
      return 8;
    } else if (opset <= 20) {
      return 9;
    } else if (opset <= 22) {
      return 10;
    }
    return 11;
  }

  /** Sets the default-domain opset, in [{@value #MIN_OPSET}, {@value #MAX_OPSET}]. */
  public OnnxModelBuilder opset(int version) {
    checkOpset(version);
    this.opset = version;
    return this;
  }

  /** Overrides the IR version; by default it is {@link #irVersionFor(int)} of the opset. */
  public OnnxModelBuilder irVersion(long version) {
    if (version < 3) {
      throw new IllegalArgumentException("irVersion: expected >= 3, got " + version);
    }
    this.irVersion = version;
    return this;
  }

  /** Renames the graph. */
  public OnnxModelBuilder graphName(String name) {
    this.graphName = requireName("graphName", name);
    return this;
  }

  /** Sets {@code producer_name} (default "braid"). */
  public OnnxModelBuilder producer(String name) {
    this.producerName = requireName("producer", name);
    return this;
  }

  /** The opset this builder writes. */
  public int opset() {
    return opset;
  }

  /**
   * Declares a graph input. Each dim is an {@code Integer} or {@code Long} (a fixed size, >= 0)
   * or a {@code String} (a symbolic dim such as "batch"); no dims means a scalar.
   */
  public OnnxModelBuilder input(String name, DType dtype, Object... dims) {
    names.claim(name);
    inputs.add(OnnxValueInfo.of(name, dtype, dims));
    definedValues.add(name);
    return this;
  }

  /**
   * Declares a graph output with a shape; dims as in {@link #input}. A node must produce the
   * value before {@link #build()}.
   */
  public OnnxModelBuilder output(String name, DType dtype, Object... dims) {
    outputs.add(OnnxValueInfo.of(requireName("output name", name), dtype, dims));
    return this;
  }

  /** Declares a graph output whose shape is left unknown (only its element type is given). */
  public OnnxModelBuilder outputOfAnyShape(String name, DType dtype) {
    TypeProto type =
        TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(dtype.onnxCode()))
            .build();
    outputs.add(
        ValueInfoProto.newBuilder()
            .setName(requireName("output name", name))
            .setType(type)
            .build());
    return this;
  }

  /**
   * Adds a FLOAT initializer of shape {@code dims} (none for a scalar) and returns its name.
   *
   * @throws IllegalArgumentException if {@code data.length} is not the product of the dims
   */
  public String initializer(String name, float[] data, long... dims) {
    checkSize(name, data.length, dims);
    ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(data);
    return addInitializer(name, DType.FLOAT32, dims, buf.array());
  }

  /** Adds an INT64 initializer of shape {@code dims} (none for a scalar) and returns its name. */
  public String initializerInt64(String name, long[] data, long... dims) {
    checkSize(name, data.length, dims);
    ByteBuffer buf = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    buf.asLongBuffer().put(data);
    return addInitializer(name, DType.INT64, dims, buf.array());
  }

  /** Adds a 1-D INT64 initializer holding {@code values} (a Reshape shape, axes, ...). */
  public String int64Vector(String name, long... values) {
    return initializerInt64(name, values, values.length);
  }

  /** Adds a FLOAT scalar initializer. */
  public String floatScalar(String name, float value) {
    return initializer(name, new float[] {value});
  }

  /** Adds a FLOAT32 or INT64 {@link Tensor} as an initializer and returns its name. */
  public String initializer(String name, Tensor tensor) {
    long[] dims = tensor.shape().longDims();
    return switch (tensor.dtype()) {
      case FLOAT32 -> initializer(name, tensor.floats(), dims);
      case INT64 -> initializerInt64(name, tensor.longs(), dims);
      default -> throw new IllegalArgumentException(
          "initializer " + name + ": dtype expected FLOAT32 or INT64, got " + tensor.dtype());
    };
  }

  /**
   * Adds a node with one output of a generated name, which it returns; the node is named {@code
   * <opType>_<n>} and its output {@code <opType>_<n>_out}.
   */
  public String node(String opType, List<String> inputs, Map<String, ?> attrs) {
    String nodeName = names.fresh(requireName("opType", opType));
    String out = names.fresh(nodeName + "_out");
    addNode(nodeName, opType, inputs, List.of(out), attrs);
    return out;
  }

  /** Adds a node with no attributes and one generated output, which it returns. */
  public String node(String opType, String... inputs) {
    return node(opType, List.of(inputs), Map.of());
  }

  /**
   * Adds a node whose outputs have the given names ({@code ""} for an omitted optional output)
   * and returns this builder.
   */
  public OnnxModelBuilder node(
      String opType, List<String> inputs, List<String> outputs, Map<String, ?> attrs) {
    String nodeName = names.fresh(requireName("opType", opType));
    for (String out : outputs) {
      if (!out.isEmpty()) {
        names.claim(out);
      }
    }
    addNode(nodeName, opType, inputs, outputs, attrs);
    return this;
  }

  /**
   * A name no value or node in this builder has: {@code prefix} itself if free, else {@code
   * prefix_1}, {@code prefix_2}, ... The name is reserved for the caller, who may then give it to
   * one input, initializer or node output.
   */
  public String uniqueName(String prefix) {
    return names.reserve(requireName("prefix", prefix));
  }

  /**
   * The model. Checks that every graph output is produced by a node, an initializer or an input.
   */
  public ModelProto build() {
    for (ValueInfoProto out : outputs) {
      if (!definedValues.contains(out.getName())) {
        throw new IllegalStateException(
            "graph output " + out.getName() + " is not produced by any node, input or initializer");
      }
    }
    GraphProto graph =
        GraphProto.newBuilder()
            .setName(graphName)
            .addAllInput(inputs)
            .addAllOutput(outputs)
            .addAllInitializer(initializers)
            .addAllNode(nodes)
            .build();
    return ModelProto.newBuilder()
        .setIrVersion(irVersion != null ? irVersion : irVersionFor(opset))
        .setProducerName(producerName)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph)
        .build();
  }

  /** The serialized model; the same calls give the same bytes. */
  public byte[] toBytes() {
    return build().toByteArray();
  }

  /** Writes the serialized model to {@code path}, creating parent directories. */
  public Path write(Path path) {
    try {
      Path parent = path.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      return Files.write(path, toBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write ONNX model to " + path, e);
    }
  }

  private void addNode(
      String nodeName,
      String opType,
      List<String> nodeInputs,
      List<String> nodeOutputs,
      Map<String, ?> attrs) {
    for (String in : nodeInputs) {
      if (!in.isEmpty() && !definedValues.contains(in)) {
        throw new IllegalArgumentException(
            "node " + nodeName + " (" + opType + ") reads " + in
                + ", which no input, initializer or earlier node defines");
      }
    }
    NodeProto.Builder node =
        NodeProto.newBuilder()
            .setName(nodeName)
            .setOpType(opType)
            .addAllInput(nodeInputs)
            .addAllOutput(nodeOutputs);
    for (Map.Entry<String, ?> e : new TreeMap<>(attrs).entrySet()) {
      node.addAttribute(OnnxAttributeBuilder.attribute(e.getKey(), e.getValue()));
    }
    nodes.add(node.build());
    for (String out : nodeOutputs) {
      if (!out.isEmpty()) {
        definedValues.add(out);
      }
    }
  }

  private String addInitializer(String name, DType dtype, long[] dims, byte[] raw) {
    names.claim(name);
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(dtype.onnxCode())
            .setRawData(ByteString.copyFrom(raw));
    for (long d : dims) {
      t.addDims(d);
    }
    initializers.add(t.build());
    definedValues.add(name);
    return name;
  }

  private static void checkSize(String name, int length, long[] dims) {
    long size = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "initializer " + name + ": dims expected >= 0, got " + Arrays.toString(dims));
      }
      size *= d;
    }
    if (size != length) {
      throw new IllegalArgumentException(
          "initializer " + name + ": shape " + Arrays.toString(dims) + " expects "
              + size + " elements, got " + length);
    }
  }

  private static void checkOpset(int version) {
    if (version < MIN_OPSET || version > MAX_OPSET) {
      throw new IllegalArgumentException(
          "opset: expected " + MIN_OPSET + ".." + MAX_OPSET + ", got " + version);
    }
  }

  private static String requireName(String what, String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException(what + ": expected a non-empty name, got " + name);
    }
    return name;
  }
}
