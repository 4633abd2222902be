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
   * The training losses, NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12 on):
   * rewritten at load into LogSoftmax, gathers, masks and reductions, which run as kernels.
   */
  public static final Set<String> LOSS =
      Collections.unmodifiableSet(new TreeSet<>(Set.of("NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss")));

  /**
   * Linear quantization (uint8/int8, per tensor or per axis), rewritten at load into float32
   * operators that compute it exactly (model/fold's QuantDecompositions).
   */
  public static final Set<String> QUANTIZED =
      Collections.unmodifiableSet(
          new TreeSet<>(
              Set.of(
                  "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger",
                  "ConvInteger", "QLinearMatMul", "QLinearConv")));

  /**
   * Operators rewritten at load into operators of the sets above, or folded to constants: Shrink,
   * LRN, ReverseSequence, MaxUnpool, Det (up to 4x4), DFT and STFT (as a MatMul against a host-built
   * matrix), and EyeLike, the window functions and MelWeightMatrix (constants, whose sizes must be).
   */
  public static final Set<String> MISC =
      Collections.unmodifiableSet(
          new TreeSet<>(
              Set.of(
                  "Shrink", "LRN", "ReverseSequence", "MaxUnpool", "Det", "DFT", "STFT", "EyeLike",
                  "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix")));

  /**
   * For every supported operator that existed at opset 7, the oldest opset since which it has the
   * form it has at opset 7 (ONNX's docs/Changelog.md: the since-version of the operator's opset-7
   * version; AveragePool-7 only added {@code count_include_pad}, whose default 0 is AveragePool-1's
   * behaviour, so it counts from 1). A node of a model importing an older default opset is read as
   * at opset 7 when its operator is here at or below that opset; otherwise {@link #REWRITTEN_SINCE}
   * must cover it. Operators absent from both (those introduced after opset 6, Upsample's
   * experimental opset-1 form) are refused below opset 7.
   */
  public static final Map<String, Integer> SAME_SINCE =
      Map.ofEntries(
          Map.entry("ArgMax", 1), Map.entry("ArgMin", 1), Map.entry("Constant", 1), Map.entry("Conv", 1),
          Map.entry("ConvTranspose", 1), Map.entry("DepthToSpace", 1), Map.entry("Flatten", 1),
          Map.entry("Gather", 1), Map.entry("GlobalAveragePool", 1), Map.entry("GlobalMaxPool", 1),
          Map.entry("Hardmax", 1), Map.entry("Identity", 1), Map.entry("LogSoftmax", 1),
          Map.entry("LpNormalization", 1), Map.entry("MatMul", 1), Map.entry("MaxPool", 1), Map.entry("Not", 1),
          Map.entry("ReduceL1", 1), Map.entry("ReduceL2", 1), Map.entry("ReduceLogSum", 1),
          Map.entry("ReduceLogSumExp", 1), Map.entry("ReduceMax", 1), Map.entry("ReduceMean", 1),
          Map.entry("ReduceMin", 1), Map.entry("ReduceProd", 1), Map.entry("ReduceSum", 1),
          Map.entry("ReduceSumSquare", 1), Map.entry("Shape", 1), Map.entry("Size", 1), Map.entry("Slice", 1),
          Map.entry("Softmax", 1), Map.entry("Softplus", 1), Map.entry("Softsign", 1),
          Map.entry("SpaceToDepth", 1), Map.entry("Squeeze", 1), Map.entry("TopK", 1), Map.entry("Transpose", 1),
          Map.entry("Unsqueeze", 1), Map.entry("AveragePool", 1),
          Map.entry("LpPool", 2), Map.entry("Pad", 2), Map.entry("Split", 2),
          Map.entry("Concat", 4),
          Map.entry("Reshape", 5),
          Map.entry("Abs", 6), Map.entry("Cast", 6), Map.entry("Ceil", 6), Map.entry("Clip", 6), Map.entry("Elu", 6),
          Map.entry("Exp", 6), Map.entry("Floor", 6), Map.entry("HardSigmoid", 6),
          Map.entry("InstanceNormalization", 6), Map.entry("LeakyRelu", 6), Map.entry("Log", 6), Map.entry("Max", 6),
          Map.entry("Mean", 6), Map.entry("Min", 6), Map.entry("Neg", 6), Map.entry("Reciprocal", 6),
          Map.entry("Relu", 6), Map.entry("Selu", 6), Map.entry("Sigmoid", 6), Map.entry("Sqrt", 6),
          Map.entry("Sum", 6), Map.entry("Tanh", 6), Map.entry("Tile", 6),
          Map.entry("Acos", 7), Map.entry("Add", 7), Map.entry("And", 7), Map.entry("Asin", 7), Map.entry("Atan", 7),
          Map.entry("BatchNormalization", 7), Map.entry("Cos", 7), Map.entry("Div", 7), Map.entry("Dropout", 7),
          Map.entry("Equal", 7), Map.entry("Gemm", 7), Map.entry("Greater", 7), Map.entry("Less", 7),
          Map.entry("Mul", 7), Map.entry("Or", 7), Map.entry("PRelu", 7), Map.entry("Pow", 7), Map.entry("Sin", 7),
          Map.entry("Sub", 7), Map.entry("Tan", 7), Map.entry("Upsample", 7), Map.entry("Xor", 7));

  /**
   * Operators whose older forms the fold module's {@code LegacyForms} rewrites into their opset-7
   * form at bind time, with the oldest opset it reads them at: the limited broadcast of Add, Sub,
   * Mul, Div, Pow and the comparisons and logic ({@code broadcast}/{@code axis}), Gemm's {@code
   * broadcast}, BatchNormalization's and Dropout's {@code is_test}, PRelu's per-channel slope,
   * {@code consumed_inputs} (opset 1), Concat's default axis (opsets 1-3), Reshape's {@code shape}
   * attribute (1-4), Pad's {@code paddings} (1), Split's second input (1), Cast's type name (1-5),
   * LpPool's float {@code p} (1), Selu's opset-1 defaults. A form it cannot express exactly is
   * refused there, naming the operator, the opset, the attribute and its value.
   */
  public static final Map<String, Integer> REWRITTEN_SINCE =
      Map.ofEntries(
          Map.entry("Add", 1), Map.entry("Sub", 1), Map.entry("Mul", 1), Map.entry("Div", 1), Map.entry("Pow", 1),
          Map.entry("And", 1), Map.entry("Or", 1), Map.entry("Xor", 1), Map.entry("Equal", 1),
          Map.entry("Greater", 1), Map.entry("Less", 1), Map.entry("Gemm", 1), Map.entry("BatchNormalization", 1),
          Map.entry("Dropout", 1), Map.entry("PRelu", 1), Map.entry("Concat", 1), Map.entry("Reshape", 1),
          Map.entry("Pad", 1), Map.entry("Split", 1), Map.entry("Cast", 1), Map.entry("LpPool", 1),
          Map.entry("Abs", 1), Map.entry("Ceil", 1), Map.entry("Clip", 1), Map.entry("Elu", 1), Map.entry("Exp", 1),
          Map.entry("Floor", 1), Map.entry("HardSigmoid", 1), Map.entry("InstanceNormalization", 1),
          Map.entry("LeakyRelu", 1), Map.entry("Log", 1), Map.entry("Max", 1), Map.entry("Mean", 1),
          Map.entry("Min", 1), Map.entry("Neg", 1), Map.entry("Reciprocal", 1), Map.entry("Relu", 1),
          Map.entry("Selu", 1), Map.entry("Sigmoid", 1), Map.entry("Sqrt", 1), Map.entry("Sum", 1),
          Map.entry("Tanh", 1));

  /** The oldest opset at which Braid reads {@code op}: {@link #MIN_OPSET} where it reads it at no older one. */
  public static int oldestOpset(String op) {
    return Math.min(SAME_SINCE.getOrDefault(op, MIN_OPSET), REWRITTEN_SINCE.getOrDefault(op, MIN_OPSET));
  }

  /**
   * Operators rewritten at load into the operators above (model/fold): RNN, GRU and LSTM unrolled
   * over their time steps, which are static once the graph is bound; Einsum as Transpose, Reshape,
   * batched MatMul and ReduceSum.
   */
  public static final Set<String> RECURRENT_AND_EINSUM =
      Collections.unmodifiableSet(new TreeSet<>(Set.of("RNN", "GRU", "LSTM", "Einsum")));

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
    all.addAll(LOSS);
    all.addAll(QUANTIZED);
    all.addAll(RECURRENT_AND_EINSUM);
    all.addAll(MISC);
    SUPPORTED = Collections.unmodifiableSet(all);
  }

  /**
   * The oldest default-domain opset whose operators Braid reads with their own opset's meaning as
   * they are; an older opset (down to {@link #OLDEST_OPSET}) is read node by node: as at opset 7
   * where {@link #SAME_SINCE} covers the node, rewritten to its opset-7 form where {@link
   * #REWRITTEN_SINCE} does, refused otherwise.
   */
  public static final int MIN_OPSET = 7;

  /** The oldest default-domain opset read at all (see {@link #MIN_OPSET}). */
  public static final int OLDEST_OPSET = 1;

  public static final int MAX_OPSET = 23;
}
