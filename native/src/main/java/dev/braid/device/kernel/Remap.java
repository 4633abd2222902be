package dev.braid.device.kernel;

import java.util.List;

/**
 * The generic data-movement kernel: {@code Y[i] = X[Map[i]]}, or {@code fill} where
 * {@code Map[i]} is -1. The map is an index program built at load (Slice, Expand, Tile, Pad, Split,
 * DepthToSpace, SpaceToDepth, Trilu: {@code dev.braid.model.fold.IndexMaps}) and shipped as a
 * float32 constant, exact because {@code inputElements <= 2^24}. Arguments: X, Map, Y.
 */
public record Remap(int inputElements, int outputElements, float fill) implements Kernel {
  /** The largest input a float32 map addresses exactly. */
  public static final int MAX_INPUT_ELEMENTS = 1 << 24;

  public Remap {
    Checks.nonNegative("Remap", "inputElements", inputElements);
    Checks.nonNegative("Remap", "outputElements", outputElements);
    if (inputElements > MAX_INPUT_ELEMENTS) {
      throw new IllegalArgumentException("Remap.inputElements must be <= 2^24 (float32 indices are exact only so"
          + " far), got " + inputElements);
    }
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Map", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? inputElements : outputElements);
  }

  /** X is read only where the map points: at most min(input, output) elements, plus the map. */
  @Override
  public long bytesRead() {
    return Checks.bytes(Math.min((long) inputElements, outputElements) + outputElements);
  }

  @Override
  public long flops() {
    return 0;
  }
}
