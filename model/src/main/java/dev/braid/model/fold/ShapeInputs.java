package dev.braid.model.fold;

import java.util.Map;
import java.util.Set;

/**
 * Which inputs of an operator define an output shape or an attribute by their values (in the
 * operator's opset-13-and-later input form): Reshape's target shape, Slice's starts and ends,
 * Resize's scales, the axes of Squeeze or a ReduceX... The binder needs these as constants after
 * folding; {@link Specialization} finds the graph inputs they come from.
 *
 * <p>Operators whose output shape depends on the values of a data tensor (NonZero, Unique,
 * NonMaxSuppression, Compress) are not here: no value of a small input fixes their shape.
 *
 * <p>Pure.
 */
public final class ShapeInputs {
  private ShapeInputs() {}

  private static final Set<Integer> FIRST = Set.of(1);

  private static final Map<String, Set<Integer>> SLOTS = Map.ofEntries(
      Map.entry("Reshape", FIRST),
      Map.entry("Expand", FIRST),
      Map.entry("Tile", FIRST),
      Map.entry("Slice", Set.of(1, 2, 3, 4)),
      Map.entry("Pad", Set.of(1, 2, 3)),
      Map.entry("Split", FIRST),
      Map.entry("Squeeze", FIRST),
      Map.entry("Unsqueeze", FIRST),
      Map.entry("ReduceSum", FIRST),
      Map.entry("ReduceMean", FIRST),
      Map.entry("ReduceMax", FIRST),
      Map.entry("ReduceMin", FIRST),
      Map.entry("ReduceProd", FIRST),
      Map.entry("ReduceL1", FIRST),
      Map.entry("ReduceL2", FIRST),
      Map.entry("ReduceLogSum", FIRST),
      Map.entry("ReduceLogSumExp", FIRST),
      Map.entry("ReduceSumSquare", FIRST),
      Map.entry("CumSum", FIRST),
      Map.entry("Trilu", FIRST),
      Map.entry("OneHot", Set.of(1, 2)),
      Map.entry("Range", Set.of(0, 1, 2)),
      Map.entry("ConstantOfShape", Set.of(0)),
      Map.entry("Resize", Set.of(1, 2, 3)),
      Map.entry("Upsample", FIRST),
      Map.entry("TopK", FIRST),
      Map.entry("BlackmanWindow", Set.of(0)),
      Map.entry("HammingWindow", Set.of(0)),
      Map.entry("HannWindow", Set.of(0)),
      Map.entry("MelWeightMatrix", Set.of(0, 1, 2, 3, 4)),
      Map.entry("DFT", Set.of(1, 2)),
      Map.entry("STFT", Set.of(1, 3)),
      Map.entry("MaxUnpool", Set.of(2)));

  /** The indices of {@code opType}'s inputs whose values define a shape or an attribute; empty for none. */
  public static Set<Integer> of(String opType) {
    return SLOTS.getOrDefault(opType, Set.of());
  }

  /** True when the values of {@code opType}'s outputs never depend on its inputs' values (only on shapes). */
  static boolean shapeOnly(String opType) {
    return opType.equals("Shape") || opType.equals("Size");
  }
}
