package dev.braid.device.exec;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lowering table: one method per ONNX operator, each turning a node into kernel steps or an
 * alias, following ONNX semantics (newest opset). Conv, pools, Gemm and MatMul live in
 * {@link SpatialLowering}; the normalisations in {@link NormalizationLowering}, the other families
 * in their own classes, each called from one line of the switch.
 *
 * <p>A Relu or Clip that is the only consumer of a Conv's output is fused into the Conv; the
 * activation node then becomes an alias of the Conv's output.
 */
public final class Lowering {
  final ModelGraph graph;
  private final List<Step> steps = new ArrayList<>();
  private final Map<String, String> aliases = new HashMap<>();
  private final Map<String, Tensor> derived = new LinkedHashMap<>();
  private final Map<String, Integer> consumers = new HashMap<>();
  private final Map<String, Node> soleConsumer = new HashMap<>();
  /** Activation nodes already folded into the Conv that feeds them. */
  final java.util.Set<String> fused = new java.util.HashSet<>();

  private Lowering(ModelGraph graph) {
    this.graph = graph;
    for (Node n : graph.nodes()) {
      for (String in : n.inputs()) {
        if (!in.isEmpty()) {
          consumers.merge(in, 1, Integer::sum);
          soleConsumer.put(in, n);
        }
      }
    }
  }

  /** Lowers every node of {@code graph}; throws {@link ModelException} naming a node it cannot lower. */
  public static Lowered lower(ModelGraph graph) {
    Lowering l = new Lowering(graph);
    for (Node n : graph.nodes()) {
      try {
        l.node(n);
      } catch (ModelException e) {
        throw e.getMessage().startsWith("node '") ? e : new ModelException(n.describe() + ": " + e.getMessage(), e);
      } catch (IllegalArgumentException e) {
        throw new ModelException(n.describe() + ": " + e.getMessage(), e);
      }
    }
    return new Lowered(l.steps, l.aliases, l.derived);
  }

  private void node(Node n) {
    switch (n.opType()) {
      case "Gemm" -> SpatialLowering.gemm(this, n);
      case "MatMul" -> SpatialLowering.matMul(this, n);
      case "Conv" -> SpatialLowering.conv(this, n);
      case "MaxPool", "AveragePool", "LpPool" -> TensorLowering.pool(this, n);
      case "Add" -> binary(n, BinaryOp.ADD);
      case "Sub" -> binary(n, BinaryOp.SUB);
      case "Mul" -> binary(n, BinaryOp.MUL);
      case "Div" -> ElementwiseLowering.div(this, n);
      case "Pow" -> ElementwiseLowering.pow(this, n);
      case "Relu" -> unary(n, UnaryOp.RELU);
      case "Sigmoid" -> unary(n, UnaryOp.SIGMOID);
      case "Tanh" -> unary(n, UnaryOp.TANH);
      case "Erf" -> unary(n, UnaryOp.ERF);
      case "Sqrt" -> unary(n, UnaryOp.SQRT);
      case "Gelu" -> unary(n, "tanh".equals(n.attributes().getString("approximate", "none")) ? UnaryOp.GELU_TANH : UnaryOp.GELU);
      case "Clip" -> clip(n);
      case "GlobalAveragePool" -> globalAveragePool(n);
      case "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout" -> alias(n);
      case "Cast" -> ElementwiseLowering.cast(this, n);
      case "Neg" -> ElementwiseLowering.unary(this, n, UnaryOp.NEG);
      case "Reciprocal" -> ElementwiseLowering.unary(this, n, UnaryOp.RECIPROCAL);
      case "Exp" -> ElementwiseLowering.unary(this, n, UnaryOp.EXP);
      case "Log" -> ElementwiseLowering.unary(this, n, UnaryOp.LOG);
      case "Abs" -> ElementwiseLowering.unary(this, n, UnaryOp.ABS);
      case "Floor" -> ElementwiseLowering.unary(this, n, UnaryOp.FLOOR);
      case "Ceil" -> ElementwiseLowering.unary(this, n, UnaryOp.CEIL);
      case "Round" -> ElementwiseLowering.unary(this, n, UnaryOp.ROUND);
      case "Sign" -> ElementwiseLowering.unary(this, n, UnaryOp.SIGN);
      case "Sin" -> ElementwiseLowering.unary(this, n, UnaryOp.SIN);
      case "Cos" -> ElementwiseLowering.unary(this, n, UnaryOp.COS);
      case "Tan" -> ElementwiseLowering.unary(this, n, UnaryOp.TAN);
      case "Asin" -> ElementwiseLowering.unary(this, n, UnaryOp.ASIN);
      case "Acos" -> ElementwiseLowering.unary(this, n, UnaryOp.ACOS);
      case "Atan" -> ElementwiseLowering.unary(this, n, UnaryOp.ATAN);
      case "Sinh" -> ElementwiseLowering.unary(this, n, UnaryOp.SINH);
      case "Cosh" -> ElementwiseLowering.unary(this, n, UnaryOp.COSH);
      case "Asinh" -> ElementwiseLowering.unary(this, n, UnaryOp.ASINH);
      case "Acosh" -> ElementwiseLowering.unary(this, n, UnaryOp.ACOSH);
      case "Atanh" -> ElementwiseLowering.unary(this, n, UnaryOp.ATANH);
      case "Not" -> ElementwiseLowering.unary(this, n, UnaryOp.NOT);
      case "IsNaN" -> ElementwiseLowering.unary(this, n, UnaryOp.ISNAN);
      case "IsInf" -> ElementwiseLowering.isInf(this, n);
      case "HardSigmoid" -> ElementwiseLowering.activation(this, n, UnaryOp.HARD_SIGMOID, 0.2f, 0.5f);
      case "HardSwish" -> ElementwiseLowering.unary(this, n, UnaryOp.HARD_SWISH);
      case "LeakyRelu" -> ElementwiseLowering.activation(this, n, UnaryOp.LEAKY_RELU, 0.01f, 0f);
      case "ThresholdedRelu" -> ElementwiseLowering.activation(this, n, UnaryOp.THRESHOLDED_RELU, 1f, 0f);
      case "Elu" -> ElementwiseLowering.activation(this, n, UnaryOp.ELU, 1f, 0f);
      case "Selu" -> ElementwiseLowering.activation(this, n, UnaryOp.SELU, UnaryOp.SELU_ALPHA, UnaryOp.SELU_GAMMA);
      case "Celu" -> ElementwiseLowering.activation(this, n, UnaryOp.CELU, 1f, 0f);
      case "Softplus" -> ElementwiseLowering.unary(this, n, UnaryOp.SOFTPLUS);
      case "Softsign" -> ElementwiseLowering.unary(this, n, UnaryOp.SOFTSIGN);
      case "Mish" -> ElementwiseLowering.unary(this, n, UnaryOp.MISH);
      case "Min" -> ElementwiseLowering.binary(this, n, BinaryOp.MIN);
      case "Max" -> ElementwiseLowering.binary(this, n, BinaryOp.MAX);
      case "Mod" -> ElementwiseLowering.mod(this, n);
      case "Equal" -> ElementwiseLowering.binary(this, n, BinaryOp.EQUAL);
      case "Less" -> ElementwiseLowering.binary(this, n, BinaryOp.LESS);
      case "Greater" -> ElementwiseLowering.binary(this, n, BinaryOp.GREATER);
      case "LessOrEqual" -> ElementwiseLowering.binary(this, n, BinaryOp.LESS_EQUAL);
      case "GreaterOrEqual" -> ElementwiseLowering.binary(this, n, BinaryOp.GREATER_EQUAL);
      case "And" -> ElementwiseLowering.binary(this, n, BinaryOp.AND);
      case "Or" -> ElementwiseLowering.binary(this, n, BinaryOp.OR);
      case "Xor" -> ElementwiseLowering.binary(this, n, BinaryOp.XOR);
      case "PRelu" -> ElementwiseLowering.binary(this, n, BinaryOp.PRELU);
      case "BitShift" -> ElementwiseLowering.bitShift(this, n);
      case "Where" -> ElementwiseLowering.where(this, n);
      case "Transpose" -> transpose(n);
      case "Concat" -> concat(n);
      case "Softmax" -> NormalizationLowering.softmax(this, n);
      case "LayerNormalization" -> NormalizationLowering.layerNorm(this, n);
      case "ReduceMean" -> NormalizationLowering.reduceMean(this, n);
      case "BatchNormalization" -> NormalizationLowering.batchNorm(this, n);
      case "Gather" -> gather(n);
      case "ReduceSum" -> TensorLowering.reduce(this, n, ReduceOp.SUM);
      case "ReduceMax" -> TensorLowering.reduce(this, n, ReduceOp.MAX);
      case "ReduceMin" -> TensorLowering.reduce(this, n, ReduceOp.MIN);
      case "ReduceProd" -> TensorLowering.reduce(this, n, ReduceOp.PROD);
      case "ReduceL1" -> TensorLowering.reduce(this, n, ReduceOp.L1);
      case "ReduceL2" -> TensorLowering.reduce(this, n, ReduceOp.L2);
      case "ReduceLogSum" -> TensorLowering.reduce(this, n, ReduceOp.LOG_SUM);
      case "ReduceLogSumExp" -> TensorLowering.reduce(this, n, ReduceOp.LOG_SUM_EXP);
      case "ReduceSumSquare" -> TensorLowering.reduce(this, n, ReduceOp.SUM_SQUARE);
      case "ArgMax" -> TensorLowering.argReduce(this, n, true);
      case "ArgMin" -> TensorLowering.argReduce(this, n, false);
      case "LogSoftmax" -> TensorLowering.alongAxis(this, n, AxisOp.LOG_SOFTMAX);
      case "Hardmax" -> TensorLowering.alongAxis(this, n, AxisOp.HARDMAX);
      case "CumSum" -> TensorLowering.cumSum(this, n);
      case "TopK" -> TensorLowering.topK(this, n);
      case "Slice", "Expand", "Tile", "Pad", "Split", "DepthToSpace", "SpaceToDepth", "Trilu" -> TensorLowering.remap(this, n);
      case "Resize", "Upsample" -> InterpLowering.resize(this, n);
      case "GridSample" -> InterpLowering.gridSample(this, n);
      case "RoiAlign" -> InterpLowering.roiAlign(this, n);
      case "ConvTranspose" -> ConvTransposeLowering.lower(this, n);
      case "GatherElements" -> TensorLowering.gatherElements(this, n);
      case "GatherND" -> TensorLowering.gatherNd(this, n);
      case "ScatterElements", "Scatter" -> TensorLowering.scatter(this, n, false);
      case "ScatterND" -> TensorLowering.scatter(this, n, true);
      case "OneHot" -> TensorLowering.oneHot(this, n);
      default -> throw new ModelException(n.describe() + ": operator " + n.opType() + " cannot be lowered to a kernel");
    }
  }

  // ---- helpers the per-op methods share ----

  void emit(Node n, Kernel k, String... args) {
    steps.add(new Step(k, List.of(args), n.name()));
  }

  Shape shape(String value) {
    return graph.shape(value);
  }

  /** A constant input's tensor; ModelException if the input is computed at run time. */
  Tensor constant(Node n, int input, String role) {
    String v = n.input(input);
    if (!graph.isConstant(v)) {
      throw new ModelException(n.describe() + ": " + role + " (input " + input + ", '" + v + "') must be a constant");
    }
    return graph.constant(v);
  }

  /** Registers a constant made by the lowering and returns its value name. */
  String derive(Node n, String role, Tensor t) {
    String name = n.name() + "#" + role;
    derived.put(name, t);
    return name;
  }

  /** The activation to fuse into the producer of {@code value}, or NONE; marks the consumer fused. */
  Activation fusibleActivation(String value) {
    if (consumers.getOrDefault(value, 0) != 1 || isGraphOutput(value)) {
      return Activation.NONE;
    }
    Node c = soleConsumer.get(value);
    Activation act = null;
    if (c.opType().equals("Relu")) {
      act = Activation.RELU;
    } else if (c.opType().equals("Clip")) {
      float[] b = clipBounds(c);
      act = b == null ? null : Activation.clip(b[0], b[1]);
    }
    if (act == null) {
      return Activation.NONE;
    }
    fused.add(c.name());
    return act;
  }

  boolean isGraphOutput(String value) {
    return graph.outputs().stream().anyMatch(v -> v.name().equals(value));
  }

  void checkOutput(Node n, Shape computed) {
    Shape declared = shape(n.output(0));
    if (declared.size() != computed.size()) {
      throw new ModelException(n.describe() + ": computed output shape " + computed + " but the graph declares " + declared);
    }
  }

  static int axis(long axis, int rank, Node n) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= Math.max(rank, 1)) {
      throw new ModelException(n.describe() + ": axis " + axis + " is out of range for rank " + rank);
    }
    return (int) a;
  }

  void alias(Node n) {
    aliases.put(n.output(0), n.input(0));
  }

  /** Makes {@code value} a view of {@code source}'s storage. */
  void alias(String value, String source) {
    aliases.put(value, source);
  }

  /** Whether a node reads {@code value} or it is a graph output. */
  boolean isUsed(String value) {
    return consumers.containsKey(value) || isGraphOutput(value);
  }

  // ---- elementwise ----

  private void binary(Node n, BinaryOp op) {
    Binary k = Binary.of(op, shape(n.input(0)), shape(n.input(1)));
    checkOutput(n, k.out());
    emit(n, k, n.input(0), n.input(1), n.output(0));
  }

  private void unary(Node n, UnaryOp op) {
    if (fused.contains(n.name())) {
      alias(n);
      return;
    }
    emit(n, Unary.of(op, shape(n.input(0)).size()), n.input(0), n.output(0));
  }

  /** Clip's bounds from attributes (opset < 11) or constant inputs; null if an input is not constant. */
  private float[] clipBounds(Node n) {
    float lo = n.attributes().getFloat("min", Float.NEGATIVE_INFINITY);
    float hi = n.attributes().getFloat("max", Float.POSITIVE_INFINITY);
    for (int i = 1; i <= 2; i++) {
      if (n.hasInput(i)) {
        if (!graph.isConstant(n.input(i))) {
          return null;
        }
        float v = (float) graph.constant(n.input(i)).get(0);
        if (i == 1) {
          lo = v;
        } else {
          hi = v;
        }
      }
    }
    return new float[] {lo, hi};
  }

  private void clip(Node n) {
    if (fused.contains(n.name())) {
      alias(n);
      return;
    }
    float[] b = clipBounds(n);
    if (b == null) {
      throw new ModelException(n.describe() + ": min and max must be constants");
    }
    emit(n, Unary.clip(shape(n.input(0)).size(), b[0], b[1]), n.input(0), n.output(0));
  }

  // ---- layout ----

  private void globalAveragePool(Node n) {
    Shape x = shape(n.input(0));
    emit(n, new GlobalAveragePool(x.dim(0) * x.dim(1), x.product(2, x.rank())), n.input(0), n.output(0));
  }

  private void transpose(Node n) {
    Shape x = shape(n.input(0));
    long[] perm = n.attributes().getInts("perm", null);
    List<Integer> p = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      p.add(perm == null ? x.rank() - 1 - i : (int) perm[i]);
    }
    Transpose t = new Transpose(x, p);
    checkOutput(n, t.output());
    emit(n, t, n.input(0), n.output(0));
  }

  private void concat(Node n) {
    List<Shape> shapes = new ArrayList<>();
    List<String> args = new ArrayList<>();
    for (String in : n.inputs()) {
      shapes.add(shape(in));
      args.add(in);
    }
    args.add(n.output(0));
    Concat c = new Concat(shapes, axis(n.attributes().getInt("axis"), shapes.get(0).rank(), n));
    checkOutput(n, c.output());
    steps.add(new Step(c, args, n.name()));
  }

  private void gather(Node n) {
    Shape data = shape(n.input(0));
    int axis = axis(n.attributes().getInt("axis", 0), data.rank(), n);
    String indices = n.input(1);
    int count = shape(indices).size();
    if (graph.isConstant(indices)) {
      indices = derive(n, "indices", Tensor.ofFloats(shape(indices), graph.constant(indices).toFloats()));
    }
    emit(n, new Gather(data, axis, count), n.input(0), indices, n.output(0));
  }
}
