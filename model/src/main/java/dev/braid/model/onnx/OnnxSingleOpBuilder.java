package dev.braid.model.onnx;

import dev.braid.model.DType;
import dev.braid.model.onnx.OnnxProto.ModelProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a model of exactly one node, the form an operator test needs. Operands are listed in
 * the operator's input order, each a graph input, an initializer or an omitted optional input:
 *
 * <pre>{@code
 * byte[] onnx = OnnxModelBuilder.singleOp("Gemm")
 *     .attr("transB", 1)
 *     .input("A", DType.FLOAT32, "batch", 3)
 *     .initializer("B", new float[] {1, 0, 0, 0, 1, 0}, 2, 3)
 *     .initializer("C", new float[] {10, 20}, 2)
 *     .output("Y", DType.FLOAT32, "batch", 2)
 *     .toBytes();
 * }</pre>
 *
 * Obtained from {@link OnnxModelBuilder#singleOp(String)}; the graph is named after the op.
 */
public final class OnnxSingleOpBuilder {
  private final String opType;
  private final OnnxModelBuilder model;
  private final List<String> operands = new ArrayList<>();
  private final List<String> results = new ArrayList<>();
  private final Map<String, Object> attrs = new LinkedHashMap<>();
  private ModelProto built;

  OnnxSingleOpBuilder(String opType) {
    if (opType == null || opType.isEmpty()) {
      throw new IllegalArgumentException("opType: expected a non-empty name, got " + opType);
    }
    this.opType = opType;
    this.model = new OnnxModelBuilder(opType);
  }

  /** Sets the opset (default {@value OnnxModelBuilder#DEFAULT_OPSET}). */
  public OnnxSingleOpBuilder opset(int version) {
    checkOpen();
    model.opset(version);
    return this;
  }

  /** Adds an attribute; value types as on {@link OnnxModelBuilder}. */
  public OnnxSingleOpBuilder attr(String name, Object value) {
    checkOpen();
    OnnxAttributeBuilder.attribute(name, value); // fails now, naming the attribute, if unsupported
    attrs.put(name, value);
    return this;
  }

  /** The next operand is a graph input; dims as in {@link OnnxModelBuilder#input}. */
  public OnnxSingleOpBuilder input(String name, DType dtype, Object... dims) {
    checkOpen();
    model.input(name, dtype, dims);
    operands.add(name);
    return this;
  }

  /** The next operand is a FLOAT initializer. */
  public OnnxSingleOpBuilder initializer(String name, float[] data, long... dims) {
    checkOpen();
    operands.add(model.initializer(name, data, dims));
    return this;
  }

  /** The next operand is an INT64 initializer. */
  public OnnxSingleOpBuilder initializerInt64(String name, long[] data, long... dims) {
    checkOpen();
    operands.add(model.initializerInt64(name, data, dims));
    return this;
  }

  /** The next operand is an omitted optional input (written as the empty name). */
  public OnnxSingleOpBuilder absentInput() {
    checkOpen();
    operands.add("");
    return this;
  }

  /** The next result is a graph output of the given shape. */
  public OnnxSingleOpBuilder output(String name, DType dtype, Object... dims) {
    checkOpen();
    model.output(name, dtype, dims);
    results.add(name);
    return this;
  }

  /** The next result is a graph output whose shape is left to the runtime. */
  public OnnxSingleOpBuilder outputOfAnyShape(String name, DType dtype) {
    checkOpen();
    model.outputOfAnyShape(name, dtype);
    results.add(name);
    return this;
  }

  /** The model; fails if no output was declared. Later calls return the same model. */
  public ModelProto build() {
    if (built == null) {
      if (results.isEmpty()) {
        throw new IllegalStateException(
            "single-op model " + opType + ": outputs expected >= 1, got 0");
      }
      model.node(opType, operands, results, attrs);
      built = model.build();
    }
    return built;
  }

  /** The serialized model. */
  public byte[] toBytes() {
    return build().toByteArray();
  }

  /** Writes the serialized model to {@code path}, creating parent directories. */
  public Path write(Path path) {
    build();
    return model.write(path);
  }

  private void checkOpen() {
    if (built != null) {
      throw new IllegalStateException("single-op model " + opType + " is already built");
    }
  }
}
