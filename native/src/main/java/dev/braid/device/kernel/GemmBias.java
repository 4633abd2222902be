package dev.braid.device.kernel;

/** How Gemm's bias C broadcasts onto the M x N result (ONNX Gemm's unidirectional broadcast). */
public enum GemmBias {
  /** No bias argument. */
  NONE,
  /** One value for every element: C of shape [] or [1] or [1, 1]. */
  SCALAR,
  /** One value per column: C of shape [N] or [1, N]. */
  PER_COLUMN,
  /** One value per row: C of shape [M, 1]. */
  PER_ROW,
  /** A full M x N matrix. */
  FULL;

  /** Elements of the bias argument for an M x N result. */
  public long elements(int m, int n) {
    return switch (this) {
      case NONE -> 0;
      case SCALAR -> 1;
      case PER_COLUMN -> n;
      case PER_ROW -> m;
      case FULL -> (long) m * n;
    };
  }
}
