package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.function.Function;

/**
 * Resize (opsets 10 to 19) and Upsample (7, 9) in modes {@code linear} and {@code cubic}, as
 * separable per-axis tables computed at load: output element {@code y[c]} is
 * {@code sum over taps t_0..t_{r-1} of prod_d w_d(c_d, t_d) * x[i_0(c_0, t_0), ..., i_{r-1}(c_{r-1}, t_{r-1})]},
 * ONNX's reference {@code _interpolate_nd}, which interpolates one axis after another.
 *
 * <p>Per axis and output index, the taps follow ONNX's {@code _interpolate_1d_with_x}: the source
 * coordinate ({@link ResizeGeometry#sourceCoordinate}); the ratio in (0, 1] to the neighbour at or
 * below it ({@code 1} on an integer coordinate, so the neighbour below is the first tap); the
 * coefficients (linear {@code [1 - r, r]}, cubic with {@code cubic_coeff_a} as Keys' A; with
 * {@code antialias} and a scale below 1, the kernel stretched by {@code 1 / scale} and
 * normalized); the neighbours nearest the coordinate inside the input padded by {@code ceil(n/2)}
 * edge copies, read clamped to the input; with {@code exclude_outside}, neighbours outside the
 * input get weight 0 and the others are renormalized. A tf_crop_and_resize position outside the
 * input marks the whole output element as {@code extrapolation_value}.
 *
 * <p>Table layout (float32, indices exact below 2^24): for axis d, {@code out_d} rows of
 * {@code taps[d]} (index, weight) pairs, axes one after another; an outside row has index -1 in
 * every tap. Taps of weight 0 are dropped (a row with fewer taps is padded with weight-0 pairs),
 * so an axis of scale 1 has one tap of weight 1 and costs nothing; a weight-0 neighbour is thereby
 * never read, so a non-finite value there does not turn the result into NaN as ONNX's dot
 * product would. Pure.
 *
 * @param taps per axis, the (index, weight) pairs of each row
 * @param table the rows of every axis, as laid out above
 * @param fill tf_crop_and_resize's extrapolation_value
 */
public record ResampleTables(Shape input, Shape output, int[] taps, float[] table, float fill) {
  /** The largest input the float32 indices address exactly (per axis it is far less). */
  public static final int MAX_INDEX = 1 << 24;

  /** Whether {@code n} (Resize or Upsample) interpolates: mode linear or cubic. */
  public static boolean interpolates(Node n) {
    String mode = n.attributes().getString("mode", "nearest");
    return (n.opType().equals("Resize") || n.opType().equals("Upsample"))
        && (mode.equals("linear") || mode.equals("cubic"));
  }

  /** The tables of {@code n} (Resize or Upsample in mode linear or cubic) over input shape {@code x}. */
  public static ResampleTables of(Node n, Shape x, Function<String, Tensor> constant) {
    ResizeGeometry g = ResizeGeometry.of(n, x, constant);
    if (g.mode().equals("nearest")) {
      throw new IllegalArgumentException(n.describe() + " is mode nearest: an index map, not tables");
    }
    if (g.transform().equals("tf_half_pixel_for_nn")) {
      throw new ModelException(n.opType() + " attribute 'coordinate_transformation_mode' is 'tf_half_pixel_for_nn',"
          + " which ONNX defines for mode nearest only, got mode '" + g.mode() + "'");
    }
    boolean cubic = g.mode().equals("cubic");
    double a = n.attributes().getFloat("cubic_coeff_a", -0.75f);
    boolean exclude = n.attributes().getInt("exclude_outside", 0) != 0;
    boolean antialias = n.attributes().getInt("antialias", 0) != 0;
    int rank = x.rank();
    int[] taps = new int[rank];
    float[][] rows = new float[rank][];
    int total = 0;
    for (int d = 0; d < rank; d++) {
      if (x.dim(d) > MAX_INDEX) {
        throw new ModelException(n.opType() + ": input axis " + d + " of " + x.dim(d) + " elements; the"
            + " interpolation tables address at most 2^24 per axis");
      }
      double[][] w = new double[g.output().dim(d)][];
      int[][] idx = new int[w.length][];
      int most = 1;
      for (int i = 0; i < w.length; i++) {
        double c = g.sourceCoordinate(d, i);
        if (Double.isNaN(c)) {
          continue;
        }
        double s = g.scale()[d];
        double[] coeffs = cubic ? cubic(ratio(c), s, a, antialias) : linear(ratio(c), s, antialias);
        int[] at = neighbours(c, coeffs.length, x.dim(d));
        if (exclude) {
          double sum = 0;
          for (int t = 0; t < at.length; t++) {
            if (at[t] < 0 || at[t] >= x.dim(d)) {
              coeffs[t] = 0;
            }
            sum += coeffs[t];
          }
          for (int t = 0; t < at.length; t++) {
            coeffs[t] /= sum;
          }
        }
        int kept = 0;
        for (double v : coeffs) {
          kept += v != 0 ? 1 : 0;
        }
        most = Math.max(most, kept);
        w[i] = coeffs;
        idx[i] = at;
      }
      taps[d] = most;
      if ((long) total + 2L * w.length * most > Integer.MAX_VALUE) {
        throw new ModelException(n.opType() + ": the interpolation tables would exceed 2^31 - 1 entries (axis " + d
            + ": " + w.length + " outputs of " + most + " taps)");
      }
      float[] row = new float[w.length * most * 2];
      for (int i = 0; i < w.length; i++) {
        int base = i * most * 2, t = 0;
        if (w[i] == null) {
          for (int k = 0; k < most; k++) {
            row[base + 2 * k] = -1;
          }
          continue;
        }
        for (int k = 0; k < w[i].length; k++) {
          if (w[i][k] != 0) {
            row[base + 2 * t] = Math.max(0, Math.min(x.dim(d) - 1, idx[i][k]));
            row[base + 2 * t + 1] = (float) w[i][k];
            t++;
          }
        }
      }
      rows[d] = row;
      total += row.length;
    }
    float[] table = new float[total];
    for (int d = 0, at = 0; d < rank; at += rows[d].length, d++) {
      System.arraycopy(rows[d], 0, table, at, rows[d].length);
    }
    return new ResampleTables(x, g.output(), taps, table, n.attributes().getFloat("extrapolation_value", 0f));
  }

  /** These tables applied to a constant {@code x} (host folding): the CPU kernel's arithmetic. */
  public Tensor apply(Tensor x) {
    if (!x.shape().equals(input)) {
      throw new IllegalArgumentException("ResampleTables over " + input + " applied to a tensor of shape " + x.shape());
    }
    float[] y = new float[output.size()];
    resample(input.dims(), output.dims(), taps, fill, table, 0, x.floats(), 0, y, 0, 0, y.length);
    return Tensor.ofFloats(x.dtype(), output, y);
  }

  /**
   * Output elements {@code [from, to)} of a resampling of {@code x} (from {@code xo}) into
   * {@code y} (from {@code yo}) over tables laid out as this class's (from {@code tableOffset}),
   * in double: the reference that CpuDevice's kernel and host folding share. A row whose first
   * index is negative gives {@code fill}; a pair of weight 0 is skipped.
   *
   * @throws IllegalArgumentException for an index that is not an integer inside its axis
   */
  public static void resample(int[] inDims, int[] outDims, int[] taps, float fill, float[] table, int tableOffset,
      float[] x, int xo, float[] y, int yo, int from, int to) {
    int rank = outDims.length;
    int[] offsets = new int[rank], strides = new int[rank], row = new int[rank];
    long combos = 1;
    for (int d = 0, at = tableOffset; d < rank; at += 2 * outDims[d] * taps[d], d++) {
      offsets[d] = at;
      combos *= taps[d];
    }
    for (int d = rank - 1, s = 1; d >= 0; s *= inDims[d], d--) {
      strides[d] = s;
    }
    for (int e = from; e < to; e++) {
      int rem = e;
      boolean outside = false;
      for (int d = rank - 1; d >= 0; d--) {
        int c = rem % outDims[d];
        rem /= outDims[d];
        row[d] = offsets[d] + 2 * c * taps[d];
        outside |= table[row[d]] < 0;
      }
      if (outside) {
        y[yo + e] = fill;
        continue;
      }
      double acc = 0;
      for (long t = 0; t < combos; t++) {
        long r = t;
        double w = 1;
        int off = 0;
        for (int d = rank - 1; d >= 0; d--) {
          int tap = (int) (r % taps[d]);
          r /= taps[d];
          float idx = table[row[d] + 2 * tap];
          int i = (int) idx;
          if (i != idx || i < 0 || i >= inDims[d]) {
            throw new IllegalArgumentException("table index " + idx + " of axis " + d + " outside [0, " + inDims[d]
                + ")");
          }
          w *= table[row[d] + 2 * tap + 1];
          off += i * strides[d];
        }
        if (w != 0) {
          acc += w * x[xo + off];
        }
      }
      y[yo + e] = (float) acc;
    }
  }

  /** Where axis {@code d}'s rows start in {@link #table}. */
  public int offset(int d) {
    int at = 0;
    for (int e = 0; e < d; e++) {
      at += output.dim(e) * taps[e] * 2;
    }
    return at;
  }

  /** Taps per output element: the product of every axis's. */
  public long tapsPerOutput() {
    long p = 1;
    for (int t : taps) {
      p *= t;
    }
    return p;
  }

  /** ONNX's ratio: the distance from the neighbour below, in (0, 1]; 1 on an integer coordinate. */
  private static double ratio(double c) {
    double f = Math.floor(c);
    return c == f ? 1 : c - f;
  }

  private static double[] linear(double r, double scale, boolean antialias) {
    if (!antialias || scale >= 1) {
      return new double[] {1 - r, r};
    }
    int start = (int) (Math.floor(-1 / scale) + 1);
    int footprint = 2 - 2 * start;
    double[] c = new double[footprint];
    double sum = 0;
    for (int k = 0; k < footprint; k++) {
      c[k] = Math.max(0, Math.min(1, 1 - Math.abs((start + k - r) * scale)));
      sum += c[k];
    }
    for (int k = 0; k < footprint; k++) {
      c[k] /= sum;
    }
    return c;
  }

  private static double[] cubic(double r, double scale, double a, boolean antialias) {
    if (!antialias || scale >= 1) {
      return new double[] {
        ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
        ((a + 2) * r - (a + 3)) * r * r + 1,
        ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
        ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a};
    }
    int start = (int) (Math.floor(-2 / scale) + 1);
    int end = 2 - start;
    double[] c = new double[end - start];
    double sum = 0;
    for (int k = 0; k < c.length; k++) {
      double v = Math.abs(scale * (start + k - r));
      c[k] = v <= 1 ? ((a + 2) * v - (a + 3)) * v * v + 1 : v < 2 ? ((a * v - 5 * a) * v + 8 * a) * v - 4 * a : 0;
      sum += c[k];
    }
    for (int k = 0; k < c.length; k++) {
      c[k] /= sum;
    }
    return c;
  }

  /**
   * ONNX's {@code _get_neighbor}: the {@code n} indices nearest {@code c} (ties to the smaller)
   * among those of the input padded by {@code ceil(n/2)} on each side, ascending; they may lie
   * outside {@code [0, in)}.
   */
  private static int[] neighbours(double c, int n, int in) {
    int pad = (n + 1) / 2;
    // The first of n consecutive indices nearest c, preferring smaller ones on ties, with the
    // neighbour below c (or c - 1 on an integer c, whose ratio is 1) at position n/2 - 1.
    long below = (long) Math.ceil(c) - 1;
    long first = below - (n / 2 - 1);
    first = Math.max(-pad, Math.min((long) in + pad - n, first));
    int[] at = new int[n];
    for (int k = 0; k < n; k++) {
      at[k] = (int) (first + k);
    }
    return at;
  }
}
