package dev.braid.bench.table1;

import java.util.OptionalDouble;

/**
 * The seed paper's three SGEMM shapes, each with the speed-ups of space-time over the next best
 * approach that the paper measured on a V100 (Table 1 of arXiv 1901.00041), so that every run
 * prints its figures beside the published ones.
 */
public enum Table1Shape {
  /** An RNN step: a 512 x 512 weight matrix times one vector. */
  MATVEC("matvec", "matrix-vector (RNN)", 512, 1, 512, 1.21, 2.14, 2.48, Approach.TIME_ONLY),
  /** ResNet-18's conv2_2 lowered to a GEMM by im2col: 3 x 3 x 128 = 1152, 16 x 16 = 256 positions. */
  CONV2_2("conv2_2", "ResNet-18 conv2_2 as im2col", 256, 128, 1152, 1.68, 2.88, 3.23, Approach.SPACE_ONLY),
  /** A square product. */
  SQUARE("square", "square", 256, 256, 256, 2.42, 2.47, 4.93, Approach.SPACE_ONLY);

  private final String key;
  private final String description;
  private final int m;
  private final int n;
  private final int k;
  private final double paperSpeedupR10;
  private final double paperSpeedupR20;
  private final double paperGeomean;
  private final Approach paperGeomeanBaseline;

  Table1Shape(String key, String description, int m, int n, int k, double paperSpeedupR10, double paperSpeedupR20,
      double paperGeomean, Approach paperGeomeanBaseline) {
    this.key = key;
    this.description = description;
    this.m = m;
    this.n = n;
    this.k = k;
    this.paperSpeedupR10 = paperSpeedupR10;
    this.paperSpeedupR20 = paperSpeedupR20;
    this.paperGeomean = paperGeomean;
    this.paperGeomeanBaseline = paperGeomeanBaseline;
  }

  /** The name in the JSON's {@code shape} field. */
  public String key() {
    return key;
  }

  /** A title for tables and charts, with the dimensions. */
  public String title() {
    return description + ", M=" + m + " N=" + n + " K=" + k;
  }

  public int m() {
    return m;
  }

  public int n() {
    return n;
  }

  public int k() {
    return k;
  }

  /** FLOPs of one problem: a multiply and an add per term. */
  public long flopsPerProblem() {
    return 2L * m * n * k;
  }

  /** The paper's speed-up of space-time over the next best approach at {@code r} problems, if it gives one. */
  public OptionalDouble paperSpeedup(int r) {
    return r == 10 ? OptionalDouble.of(paperSpeedupR10)
        : r == 20 ? OptionalDouble.of(paperSpeedupR20) : OptionalDouble.empty();
  }

  /** The paper's geometric-mean speed-up over 2 <= R <= 120, against {@link #paperGeomeanBaseline()}. */
  public double paperGeomean() {
    return paperGeomean;
  }

  /** The approach the paper's geometric mean is taken against (its next best for this shape). */
  public Approach paperGeomeanBaseline() {
    return paperGeomeanBaseline;
  }
}
