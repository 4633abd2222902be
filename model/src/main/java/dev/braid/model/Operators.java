package dev.braid.model;

import java.util.Collections;
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
                  "GroupNormalization", "GlobalMaxPool", "LpPool")));

  /** Operators that only ever produce constants and are folded away at load. */
  public static final Set<String> FOLD_ONLY =
      Collections.unmodifiableSet(new TreeSet<>(Set.of("Constant", "Shape", "ConstantOfShape", "Range")));

  /** Everything Braid accepts, sorted by name. */
  public static final Set<String> SUPPORTED;

  static {
    TreeSet<String> all = new TreeSet<>(COMPUTE);
    all.addAll(TENSOR);
    all.addAll(FOLD_ONLY);
    SUPPORTED = Collections.unmodifiableSet(all);
  }

  /** Default-domain opset versions Braid reads; ops are interpreted per the newest semantics. */
  public static final int MIN_OPSET = 7;

  public static final int MAX_OPSET = 23;
}
