package dev.braid.model;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The ONNX operators (default domain) that Braid imports. */
public final class Operators {
  private Operators() {}

  /** Operators that run as kernels on a device. */
  public static final Set<String> COMPUTE =
      Collections.unmodifiableSet(
          new TreeSet<>(
              Set.of(
                  "Gemm", "MatMul", "Conv", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Relu",
                  "Clip", "Sigmoid", "Tanh", "Erf", "Gelu", "MaxPool", "AveragePool",
                  "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Concat", "Softmax",
                  "LayerNormalization", "ReduceMean", "Identity", "Dropout", "BatchNormalization",
                  "Unsqueeze", "Squeeze", "Gather", "Cast")));

  /**
   * Reductions, axis operators, layout and gather/scatter operators, normalizations and pools
   * beyond the first set (lowered by the native module's TensorLowering).
   */
  public static final Set<String> TENSOR =
      Collections.unmodifiableSet(
          new TreeSet<>(
              Set.of(
                  "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                  "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin",
                  "LogSoftmax", "Hardmax", "CumSum", "TopK", "Slice", "Expand", "Tile", "Pad",
                  "Split", "DepthToSpace", "SpaceToDepth", "Trilu", "Size", "GatherElements",
                  "GatherND", "ScatterElements", "Scatter", "ScatterND", "OneHot",
                  "InstanceNormalization", "MeanVarianceNormalization", "LpNormalization",
                  "GroupNormalization", "GlobalMaxPool", "LpPool", "Resize", "Upsample", "ConvTranspose",
                  "GridSample", "RoiAlign")));

  /**
   * The elementwise operators beyond the core set: unary math and activations, comparisons and
   * logic, variadic Min/Max/Mean/Sum, Where. They run as kernels as {@link #COMPUTE}'s do and are
   * in {@link #SUPPORTED}; kept in a list of their own so the core list above reads as before.
   */
  public static final Set<String> ELEMENTWISE =
      Collections.unmodifiableSet(
          new TreeSet<>(
              Set.of(
                  "Neg", "Reciprocal", "Exp", "Log", "Abs", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos",
                  "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Min", "Max",
                  "Mean", "Sum", "Mod", "Equal", "Less", "Greater", "GreaterOrEqual", "LessOrEqual", "And",
                  "Or", "Xor", "Not", "Where", "IsNaN", "IsInf", "BitShift", "CastLike", "HardSigmoid",
                  "HardSwish", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Mish",
                  "ThresholdedRelu")));

  /**
   * Operators whose semantics, as Braid implements them, already held before opset 7, with the
   * oldest opset that has them (ONNX's operator changelog): a model importing an older default
   * opset loads only when every node's operator is here with a version at or below it. Operators
   * that changed at opset 6 or 7 (Add's legacy broadcast attribute, Dropout's is_test, Reshape's
   * shape attribute, BatchNormalization's spatial...) are absent, so such a model is refused.
   */
  public static final Map<String, Integer> SAME_SINCE =
      Map.ofEntries(
          Map.entry("Not", 1), Map.entry("Softplus", 1), Map.entry("Softsign", 1),
          Map.entry("Identity", 1), Map.entry("Constant", 1), Map.entry("Shape", 1),
          Map.entry("Size", 1),
          Map.entry("Elu", 6), Map.entry("Selu", 6), Map.entry("HardSigmoid", 6),
          Map.entry("LeakyRelu", 6), Map.entry("Relu", 6), Map.entry("Sigmoid", 6),
          Map.entry("Tanh", 6), Map.entry("Abs", 6), Map.entry("Neg", 6),
          Map.entry("Exp", 6), Map.entry("Log", 6), Map.entry("Floor", 6),
          Map.entry("Ceil", 6), Map.entry("Reciprocal", 6), Map.entry("Sqrt", 6),
          Map.entry("Clip", 6), Map.entry("Cast", 6),
          Map.entry("ConvTranspose", 1));

  /** Operators that only ever produce constants and are folded away at load. */
  public static final Set<String> FOLD_ONLY =
      Collections.unmodifiableSet(new TreeSet<>(Set.of("Constant", "Shape", "ConstantOfShape", "Range", "Size")));

  /** Everything Braid accepts, sorted by name. */
  public static final Set<String> SUPPORTED;

  static {
    TreeSet<String> all = new TreeSet<>(COMPUTE);
    all.addAll(TENSOR);
    all.addAll(ELEMENTWISE);
    all.addAll(FOLD_ONLY);
    SUPPORTED = Collections.unmodifiableSet(all);
  }

  /**
   * Default-domain opset versions Braid reads; ops are interpreted per the newest semantics. An
   * older opset (down to 1) is read only where {@link #SAME_SINCE} covers every node.
   */
  public static final int MIN_OPSET = 7;

  /** The oldest default-domain opset read at all, for models of {@link #SAME_SINCE} operators only. */
  public static final int OLDEST_OPSET = 1;

  public static final int MAX_OPSET = 23;
}
