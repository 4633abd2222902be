package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites ONNX's linear-quantization operators into float32 operators that compute them exactly,
 * so they run wherever those kernels run. Device buffers are float32 and carry integers exactly for
 * |v| &lt;= 2^24, so:
 *
 * <ul>
 *   <li>QuantizeLinear: {@code Cast(Clip(Round(x / scale) + zp, qmin, qmax))}: float32 division as
 *       ONNX's reference computes it, Round half to even, saturation to the type's range (x and
 *       scale float32 only: a quotient in another precision could round differently);
 *   <li>DequantizeLinear: {@code (Cast(x) - zp) * scale};
 *   <li>DynamicQuantizeLinear: its ONNX function body (ReduceMin/ReduceMax with 0 included, scale
 *       {@code range / 255}, zero point {@code Round(Clip(-min / scale, 0, 255))}, then QuantizeLinear);
 *   <li>MatMulInteger, ConvInteger: {@code Cast(MatMul|Conv(Cast(a) - a_zp, Cast(b) - b_zp))} to
 *       int32. Every partial sum is an integer; float32 adds and multiplies integers exactly while
 *       they stay within 2^24, so the accumulation is proven at load to stay there ({@link
 *       QuantExactness#requireExactAccumulation}): {@code K * max|a - a_zp| * max|b - b_zp|}, from the values
 *       where an operand is constant (its column sums of |b - b_zp| where it is the weight), from the
 *       element type's range otherwise. A bound beyond 2^24 is refused, never rounded.
 *   <li>QLinearMatMul, QLinearConv: the integer product C as above (QLinearConv's int32 bias
 *       added, within the same bound), then {@code saturate(rint(C * s + y_zp))} with the float32
 *       multiplier {@code s = scale_a * scale_b / scale_y}. ONNX's reference multiplies in float64,
 *       where {@code C * s} (up to 48 significant bits) is exact; a float32 product is not, and
 *       rounds some products across a half (4 of the 1,310,720 products of two uint8 ranges under 20
 *       random scale triples), so the rounding is decided on the exact value, kept as a sum of
 *       float32 terms ({@link #requantize}).
 * </ul>
 *
 * <p>Per-axis quantization (opset 13 on): a 1-D scale and zero point along {@code axis} are
 * reshaped to broadcast there. Zero points absent are 0. Blocked quantization (opset 21's
 * {@code block_size}) is refused.
 */
final class QuantDecompositions {
  private QuantDecompositions() {}

  static final Set<String> OPS = Set.of("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
      "MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv");

  /** Whether {@code n} is one of the operators rewritten here. */
  static boolean applies(Node n) {
    return OPS.contains(n.opType());
  }

  static void append(Node n, WorkGraph g) {
    QuantBuilder b = new QuantBuilder(n, g);
    switch (n.opType()) {
      case "QuantizeLinear" -> quantize(b, g, n.input(0), n.input(1), optional(n, 2), n.output(0),
          g.info(n.output(0)).dtype(), QuantTypes.axis(n, g));
      case "DequantizeLinear" -> dequantize(n, g, b);
      case "DynamicQuantizeLinear" -> dynamicQuantize(n, g, b);
      case "MatMulInteger" -> b.castInto(integerMatMul(n, g, b, 0, 2, 1, 3), DType.INT32, n.output(0));
      case "ConvInteger" -> b.castInto(integerConv(n, g, b, 0, 2, 1, 3, null), DType.INT32, n.output(0));
      case "QLinearMatMul" -> qLinearMatMul(n, g, b);
      case "QLinearConv" -> qLinearConv(n, g, b);
      default -> throw new IllegalArgumentException("no decomposition for " + n.opType());
    }
  }

  // ---- QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear ----

  private static void quantize(QuantBuilder b, WorkGraph g, String x, String scale, String zp, String out, DType target,
      int axis) {
    DType ft = DType.FLOAT32;
    int r = g.info(x).shape().rank();
    String q = b.op("Round", b.op("Div", x, b.alongAxis(scale, axis, r, ft)));
    if (zp != null) {
      q = b.op("Add", q, b.alongAxis(zp, axis, r, ft));
    }
    long[] range = QuantExactness.range(target);
    String clipped = b.op("Clip", q, b.scalar(range[0], ft), b.scalar(range[1], ft));
    b.castInto(clipped, target, out);
  }

  private static void dequantize(Node n, WorkGraph g, QuantBuilder b) {
    ValueInfo x = g.info(n.input(0));
    DType ft = g.info(n.input(1)).dtype();
    int axis = QuantTypes.axis(n, g);
    String zp = optional(n, 2);
    if (x.dtype() == DType.INT32 && zp != null) {
      Tensor z = g.constant(zp);
      if (z == null || Arrays.stream(z.toLongs()).anyMatch(l -> l != 0)) {
        throw new ModelException("x_zero_point (input 2, '" + zp + "') of an INT32 input must be 0 (ONNX), got "
            + (z == null ? "a value computed at run time" : Arrays.toString(z.toLongs())));
      }
      zp = null;
    }
    String xf = b.cast(n.input(0), ft);
    if (zp != null) {
      xf = b.op("Sub", xf, b.alongAxis(zp, axis, x.shape().rank(), ft));
    }
    b.opInto("Mul", n.output(0), xf, b.alongAxis(n.input(1), axis, x.shape().rank(), ft));
  }

  /** ONNX's function body of DynamicQuantizeLinear (opset 11), node for node, in float32. */
  private static void dynamicQuantize(Node n, WorkGraph g, QuantBuilder b) {
    String x = n.input(0);
    DType ft = DType.FLOAT32;
    String zero = b.scalar(0, ft);
    String qmax = b.scalar(255, ft);
    String min = b.op("Min", b.reduceAll("ReduceMin", x), zero);
    String max = b.op("Max", b.reduceAll("ReduceMax", x), zero);
    String scale = b.opInto("Div", output(n, 1, g), b.op("Sub", max, min), qmax);
    String zpFloat = b.op("Round", b.op("Clip", b.op("Sub", zero, b.op("Div", min, scale)), zero, qmax));
    String zp = b.castInto(zpFloat, DType.UINT8, output(n, 2, g));
    quantize(b, g, x, scale, zp, n.output(0), DType.UINT8, 1);
  }

  // ---- MatMulInteger / ConvInteger ----

  /**
   * {@code (A - a_zp) @ (B - b_zp)} in float32 from inputs {@code ai}, {@code azi}, {@code bi},
   * {@code bzi} of {@code n} (a zero point index past the inputs given is absent), its exactness
   * proven; returns the product's value name.
   */
  private static String integerMatMul(Node n, WorkGraph g, QuantBuilder b, int ai, int azi, int bi, int bzi) {
    ValueInfo a = g.info(n.input(ai));
    ValueInfo w = g.info(n.input(bi));
    int k = a.shape().dim(a.shape().rank() - 1);
    int rows = a.shape().rank() >= 2 ? a.shape().dim(a.shape().rank() - 2) : 1;
    int cols = w.shape().rank() >= 2 ? w.shape().dim(w.shape().rank() - 1) : 1;
    String azp = optional(n, azi);
    String bzp = optional(n, bzi);
    QuantTypes.requireZeroPointShape(g, azp, "zero point of A (input " + azi + ")", rows);
    QuantTypes.requireZeroPointShape(g, bzp, "zero point of B (input " + bzi + ")", cols);
    long maxA = QuantExactness.maxDeviation(g, n.input(ai), azp);
    long bound = k * maxA * QuantExactness.maxDeviation(g, n.input(bi), bzp);
    Tensor wt = g.constant(n.input(bi));
    if (wt != null && w.shape().rank() >= 2) {
      bound = maxA * QuantExactness.maxColumnSum(wt, bzp == null ? null : g.constant(bzp), k, cols);
    }
    QuantExactness.requireExactAccumulation(n, k, bound);
    String af = b.shifted(n.input(ai), azp, perRow(g, a, azp));
    String bf = b.shifted(n.input(bi), bzp, null);
    return b.op("MatMul", af, bf);
  }

  /** A per-row 1-D vector of A's rows as {@code [rows, 1]}; null where it broadcasts as it is. */
  private static int[] perRow(WorkGraph g, ValueInfo a, String v) {
    return a.shape().rank() >= 2 && QuantTypes.isVector(g, v) ? new int[] {a.shape().dim(a.shape().rank() - 2), 1} : null;
  }

  /**
   * {@code Conv(x - x_zp, w - w_zp) (+ bias)} in float32 from inputs {@code xi}, {@code xzi},
   * {@code wi}, {@code wzi} of {@code n} and an optional int32 bias (per output channel), its
   * exactness proven; returns the result's value name.
   */
  private static String integerConv(Node n, WorkGraph g, QuantBuilder b, int xi, int xzi, int wi, int wzi, String bias) {
    ValueInfo w = g.info(n.input(wi));
    int m = w.shape().dim(0);
    int k = w.shape().size() / m; // C/group * kernel volume terms per output element
    String xzp = optional(n, xzi);
    String wzp = optional(n, wzi);
    QuantTypes.requireZeroPointShape(g, xzp, "zero point of x (input " + xzi + ")", 1);
    QuantTypes.requireZeroPointShape(g, wzp, "zero point of w (input " + wzi + ")", m);
    long maxX = QuantExactness.maxDeviation(g, n.input(xi), xzp);
    long bound = k * maxX * QuantExactness.maxDeviation(g, n.input(wi), wzp);
    Tensor wt = g.constant(n.input(wi));
    if (wt != null) {
      bound = maxX * QuantExactness.maxFilterSum(wt, wzp == null ? null : g.constant(wzp), m, k);
    }
    if (bias != null) {
      long[] br = QuantExactness.valueRange(g, bias);
      bound += Math.max(Math.abs(br[0]), Math.abs(br[1]));
    }
    QuantExactness.requireExactAccumulation(n, k, bound);
    int[] perChannel = new int[w.shape().rank()];
    Arrays.fill(perChannel, 1);
    perChannel[0] = m;
    String xf = b.shifted(n.input(xi), xzp, null);
    String wf = b.shifted(n.input(wi), wzp, QuantTypes.isVector(g, wzp) ? perChannel : null);
    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes().asMap());
    String conv = b.opWith("Conv", Attributes.of(attrs), xf, wf);
    if (bias == null) {
      return conv;
    }
    int[] biasDims = new int[w.shape().rank() - 1];
    Arrays.fill(biasDims, 1);
    biasDims[0] = m;
    return b.op("Add", conv, b.reshapedFloat(bias, biasDims));
  }

  private static void qLinearMatMul(Node n, WorkGraph g, QuantBuilder b) {
    ValueInfo a = g.info(n.input(0));
    int cols = g.info(n.input(3)).shape().dim(g.info(n.input(3)).shape().rank() - 1);
    int rows = a.shape().rank() >= 2 ? a.shape().dim(a.shape().rank() - 2) : 1;
    QuantTypes.requireZeroPointShape(g, n.input(1), "a_scale (input 1)", rows);
    QuantTypes.requireZeroPointShape(g, n.input(4), "b_scale (input 4)", cols);
    QuantTypes.requireZeroPointShape(g, n.input(6), "y_scale (input 6)", 1);
    String c = integerMatMul(n, g, b, 0, 2, 3, 5);
    String as = b.reshapedFloat(n.input(1), perRow(g, a, n.input(1)));
    String m = b.op("Div", b.op("Mul", as, b.asFloat(n.input(4), DType.FLOAT32)), b.asFloat(n.input(6), DType.FLOAT32));
    requantize(b, c, m, optional(n, 7), g.info(n.output(0)).dtype(), n.output(0));
  }

  private static void qLinearConv(Node n, WorkGraph g, QuantBuilder b) {
    int m = g.info(n.input(3)).shape().dim(0);
    QuantTypes.requireZeroPointShape(g, n.input(1), "x_scale (input 1)", 1);
    QuantTypes.requireZeroPointShape(g, n.input(4), "w_scale (input 4)", m);
    QuantTypes.requireZeroPointShape(g, n.input(6), "y_scale (input 6)", 1);
    String bias = optional(n, 8);
    if (bias != null && g.info(bias).dtype() != DType.INT32) {
      throw new ModelException("bias B (input 8, '" + bias + "') must be INT32, got " + g.info(bias).dtype().onnxName());
    }
    if (bias != null && !g.info(bias).shape().equals(Shape.of(m))) {
      throw new ModelException("bias B (input 8, '" + bias + "') must have shape [" + m + "], got "
          + g.info(bias).shape());
    }
    String c = integerConv(n, g, b, 0, 2, 3, 5, bias);
    int[] perChannel = new int[g.info(n.input(0)).shape().rank() - 1];
    Arrays.fill(perChannel, 1);
    perChannel[0] = m;
    String ws = b.reshapedFloat(n.input(4), QuantTypes.isVector(g, n.input(4)) ? perChannel : null);
    String mult = b.op("Div", b.op("Mul", b.asFloat(n.input(1), DType.FLOAT32), ws), b.asFloat(n.input(6), DType.FLOAT32));
    requantize(b, c, mult, optional(n, 7), g.info(n.output(0)).dtype(), n.output(0));
  }

  /**
   * {@code saturate(rint(c * m + zp))} into {@code out} (of type {@code target}), exactly, for an
   * integer {@code c} with |c| &lt;= 2^24, any float32 {@code m} and an integer {@code zp}: ONNX's
   * reference multiplies the int32 product by the float32 multiplier in float64, where the product
   * is exact, so the rounding must be decided on the exact value {@code c * m + zp}, which has up to
   * 48 significant bits. In float32 operations, each rounding-free:
   *
   * <ol>
   *   <li>Dekker's product: {@code c * m = hi + lo} exactly ({@code hi = fl(c * m)}; {@code lo} from
   *       the halves of both factors split at 12 bits, each partial product exact);
   *   <li>Knuth's sum: {@code hi + zp = s + err} exactly;
   *   <li>{@code k = rint(s)}, {@code d = s - k} (exact, |d| &lt;= 1/2), so the value is
   *       {@code k + f} with {@code f = d + err + lo};
   *   <li>the signs of {@code f - 1/2} and {@code f + 1/2}, each {@code sign((d -+ 1/2) + (err + lo))}:
   *       the first sum is exact wherever its sign is in doubt, and |err + lo| stays below its
   *       magnitude unless both are zero, so the rounded sum keeps the exact sign;
   *   <li>{@code rint(k + (sign(f - 1/2) + sign(f + 1/2)) / 2)}: k + 1 or k - 1 beyond the halves,
   *       k between them, and {@code k +- 1/2} exactly on a half, which Round takes to even as the
   *       reference's rint does.
   * </ol>
   */
  private static void requantize(QuantBuilder b, String c, String m, String zp, DType target, String out) {
    String[] cs = b.split(c);
    String[] ms = b.split(m);
    String hi = b.op("Mul", c, m);
    String lo = b.op("Add", b.op("Add", b.op("Add", b.op("Sub", b.op("Mul", cs[0], ms[0]), hi),
        b.op("Mul", cs[0], ms[1])), b.op("Mul", cs[1], ms[0])), b.op("Mul", cs[1], ms[1]));
    String s = hi;
    String x = lo;
    if (zp != null) {
      String z = b.asFloat(zp, DType.FLOAT32);
      s = b.op("Add", hi, z);
      String bb = b.op("Sub", s, hi);
      String err = b.op("Add", b.op("Sub", hi, b.op("Sub", s, bb)), b.op("Sub", z, bb));
      x = b.op("Add", err, lo);
    }
    String k = b.op("Round", s);
    String d = b.op("Sub", s, k);
    String half = b.scalar(0.5f, DType.FLOAT32);
    String up = b.op("Sign", b.op("Add", b.op("Sub", d, half), x));
    String down = b.op("Sign", b.op("Add", b.op("Add", d, half), x));
    String y = b.op("Round", b.op("Add", k, b.op("Mul", b.op("Add", up, down), half)));
    long[] range = QuantExactness.range(target);
    String clipped = b.op("Clip", y, b.scalar(range[0], DType.FLOAT32), b.scalar(range[1], DType.FLOAT32));
    b.castInto(clipped, target, out);
  }

  private static String optional(Node n, int i) {
    return n.hasInput(i) ? n.input(i) : null;
  }

  /** Output {@code i} of {@code n}, or a fresh name when the model leaves it out. */
  private static String output(Node n, int i, WorkGraph g) {
    return n.outputs().size() > i && !n.output(i).isEmpty() ? n.output(i) : g.fresh(n.name() + "_out" + i);
  }
}
