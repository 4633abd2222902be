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
 *       #requireExactAccumulation}): {@code K * max|a - a_zp| * max|b - b_zp|}, from the values
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

  /** Float32 adds and multiplies integers exactly up to this magnitude. */
  static final long EXACT_LIMIT = 1L << 24;

  static final Set<String> OPS = Set.of("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
      "MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv");

  /** Whether {@code n} is one of the operators rewritten here. */
  static boolean applies(Node n) {
    return OPS.contains(n.opType());
  }

  /** The first output's info for the operators here; null for any other operator. */
  static ValueInfo infer(Node n, Values v) {
    if (!applies(n)) {
      return null;
    }
    String out = n.output(0);
    ValueInfo x = ShapeInference.in(n, 0, v);
    return switch (n.opType()) {
      case "QuantizeLinear" -> {
        requireFloat32(x, n.input(1), v);
        checkQuantParams(n, v, x, 1, 2);
        yield new ValueInfo(out, quantizedType(n, v), x.shape());
      }
      case "DequantizeLinear" -> {
        requireQuantized(x.dtype(), "input x '" + x.name() + "'", true);
        checkQuantParams(n, v, x, 1, 2);
        yield new ValueInfo(out, ShapeInference.in(n, 1, v).dtype(), x.shape());
      }
      case "DynamicQuantizeLinear" -> {
        requireFloat32(x, null, v);
        yield new ValueInfo(out, DType.UINT8, x.shape());
      }
      case "MatMulInteger" -> {
        requireQuantized(x.dtype(), "input A '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 1, v).dtype(), "input B '" + n.input(1) + "'", false);
        ValueInfo product = ShapeInference.infer(new Node(n.name(), "MatMul", List.of(n.input(0), n.input(1)),
            List.of(out), Attributes.empty()), v);
        yield new ValueInfo(out, DType.INT32, product.shape());
      }
      case "ConvInteger" -> {
        requireQuantized(x.dtype(), "input x '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 1, v).dtype(), "input w '" + n.input(1) + "'", false);
        ValueInfo conv = ShapeInference.infer(new Node(n.name(), "Conv", List.of(n.input(0), n.input(1)),
            List.of(out), n.attributes()), v);
        yield new ValueInfo(out, DType.INT32, conv.shape());
      }
      case "QLinearMatMul" -> {
        requireQuantized(x.dtype(), "input a '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 3, v).dtype(), "input b '" + n.input(3) + "'", false);
        ValueInfo product = ShapeInference.infer(new Node(n.name(), "MatMul", List.of(n.input(0), n.input(3)),
            List.of(out), Attributes.empty()), v);
        yield new ValueInfo(out, requantizedType(n, v), product.shape());
      }
      case "QLinearConv" -> {
        requireQuantized(x.dtype(), "input x '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 3, v).dtype(), "input w '" + n.input(3) + "'", false);
        ValueInfo conv = ShapeInference.infer(new Node(n.name(), "Conv", List.of(n.input(0), n.input(3)),
            List.of(out), n.attributes()), v);
        yield new ValueInfo(out, requantizedType(n, v), conv.shape());
      }
      default -> throw new IllegalArgumentException("no inference for " + n.opType());
    };
  }

  static void append(Node n, WorkGraph g) {
    Builder b = new Builder(n, g);
    switch (n.opType()) {
      case "QuantizeLinear" -> quantize(b, g, n.input(0), n.input(1), optional(n, 2), n.output(0),
          g.info(n.output(0)).dtype(), axis(n, g));
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

  private static void quantize(Builder b, WorkGraph g, String x, String scale, String zp, String out, DType target,
      int axis) {
    DType ft = DType.FLOAT32;
    int r = g.info(x).shape().rank();
    String q = b.op("Round", b.op("Div", x, b.alongAxis(scale, axis, r, ft)));
    if (zp != null) {
      q = b.op("Add", q, b.alongAxis(zp, axis, r, ft));
    }
    long[] range = range(target);
    String clipped = b.op("Clip", q, b.scalar(range[0], ft), b.scalar(range[1], ft));
    b.castInto(clipped, target, out);
  }

  private static void dequantize(Node n, WorkGraph g, Builder b) {
    ValueInfo x = g.info(n.input(0));
    DType ft = g.info(n.input(1)).dtype();
    int axis = axis(n, g);
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
  private static void dynamicQuantize(Node n, WorkGraph g, Builder b) {
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
  private static String integerMatMul(Node n, WorkGraph g, Builder b, int ai, int azi, int bi, int bzi) {
    ValueInfo a = g.info(n.input(ai));
    ValueInfo w = g.info(n.input(bi));
    int k = a.shape().dim(a.shape().rank() - 1);
    int rows = a.shape().rank() >= 2 ? a.shape().dim(a.shape().rank() - 2) : 1;
    int cols = w.shape().rank() >= 2 ? w.shape().dim(w.shape().rank() - 1) : 1;
    String azp = optional(n, azi);
    String bzp = optional(n, bzi);
    requireZeroPointShape(g, azp, "zero point of A (input " + azi + ")", rows);
    requireZeroPointShape(g, bzp, "zero point of B (input " + bzi + ")", cols);
    long maxA = maxDeviation(g, n.input(ai), azp);
    long bound = k * maxA * maxDeviation(g, n.input(bi), bzp);
    Tensor wt = g.constant(n.input(bi));
    if (wt != null && w.shape().rank() >= 2) {
      bound = maxA * maxColumnSum(wt, bzp == null ? null : g.constant(bzp), k, cols);
    }
    requireExactAccumulation(n, k, bound);
    String af = b.shifted(n.input(ai), azp, perRow(g, a, azp));
    String bf = b.shifted(n.input(bi), bzp, null);
    return b.op("MatMul", af, bf);
  }

  /** A per-row 1-D vector of A's rows as {@code [rows, 1]}; null where it broadcasts as it is. */
  private static int[] perRow(WorkGraph g, ValueInfo a, String v) {
    return a.shape().rank() >= 2 && isVector(g, v) ? new int[] {a.shape().dim(a.shape().rank() - 2), 1} : null;
  }

  /**
   * {@code Conv(x - x_zp, w - w_zp) (+ bias)} in float32 from inputs {@code xi}, {@code xzi},
   * {@code wi}, {@code wzi} of {@code n} and an optional int32 bias (per output channel), its
   * exactness proven; returns the result's value name.
   */
  private static String integerConv(Node n, WorkGraph g, Builder b, int xi, int xzi, int wi, int wzi, String bias) {
    ValueInfo w = g.info(n.input(wi));
    int m = w.shape().dim(0);
    int k = w.shape().size() / m; // C/group * kernel volume terms per output element
    String xzp = optional(n, xzi);
    String wzp = optional(n, wzi);
    requireZeroPointShape(g, xzp, "zero point of x (input " + xzi + ")", 1);
    requireZeroPointShape(g, wzp, "zero point of w (input " + wzi + ")", m);
    long maxX = maxDeviation(g, n.input(xi), xzp);
    long bound = k * maxX * maxDeviation(g, n.input(wi), wzp);
    Tensor wt = g.constant(n.input(wi));
    if (wt != null) {
      bound = maxX * maxFilterSum(wt, wzp == null ? null : g.constant(wzp), m, k);
    }
    if (bias != null) {
      long[] br = valueRange(g, bias);
      bound += Math.max(Math.abs(br[0]), Math.abs(br[1]));
    }
    requireExactAccumulation(n, k, bound);
    int[] perChannel = new int[w.shape().rank()];
    Arrays.fill(perChannel, 1);
    perChannel[0] = m;
    String xf = b.shifted(n.input(xi), xzp, null);
    String wf = b.shifted(n.input(wi), wzp, isVector(g, wzp) ? perChannel : null);
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

  private static void qLinearMatMul(Node n, WorkGraph g, Builder b) {
    ValueInfo a = g.info(n.input(0));
    int cols = g.info(n.input(3)).shape().dim(g.info(n.input(3)).shape().rank() - 1);
    int rows = a.shape().rank() >= 2 ? a.shape().dim(a.shape().rank() - 2) : 1;
    requireZeroPointShape(g, n.input(1), "a_scale (input 1)", rows);
    requireZeroPointShape(g, n.input(4), "b_scale (input 4)", cols);
    requireZeroPointShape(g, n.input(6), "y_scale (input 6)", 1);
    String c = integerMatMul(n, g, b, 0, 2, 3, 5);
    String as = b.reshapedFloat(n.input(1), perRow(g, a, n.input(1)));
    String m = b.op("Div", b.op("Mul", as, b.asFloat(n.input(4), DType.FLOAT32)), b.asFloat(n.input(6), DType.FLOAT32));
    requantize(b, c, m, optional(n, 7), g.info(n.output(0)).dtype(), n.output(0));
  }

  private static void qLinearConv(Node n, WorkGraph g, Builder b) {
    int m = g.info(n.input(3)).shape().dim(0);
    requireZeroPointShape(g, n.input(1), "x_scale (input 1)", 1);
    requireZeroPointShape(g, n.input(4), "w_scale (input 4)", m);
    requireZeroPointShape(g, n.input(6), "y_scale (input 6)", 1);
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
    String ws = b.reshapedFloat(n.input(4), isVector(g, n.input(4)) ? perChannel : null);
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
  private static void requantize(Builder b, String c, String m, String zp, DType target, String out) {
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
    long[] range = range(target);
    String clipped = b.op("Clip", y, b.scalar(range[0], DType.FLOAT32), b.scalar(range[1], DType.FLOAT32));
    b.castInto(clipped, target, out);
  }

  /**
   * Refuses an integer product whose partial sums can leave float32's exact range.
   *
   * @param bound an upper bound of |every partial sum| of one output element
   */
  static void requireExactAccumulation(Node n, long terms, long bound) {
    if (bound > EXACT_LIMIT) {
      throw new ModelException("the int32 accumulation of " + terms + " products can reach |" + bound + "|, beyond"
          + " float32's exact integer range (expected at most 2^24 = " + EXACT_LIMIT + ", received a bound of " + bound
          + "); " + n.opType() + " runs in float32 on Braid's devices and would round the sum");
    }
  }

  /** max |v - zp| over the operand: from its values when constant, from its element type otherwise. */
  private static long maxDeviation(WorkGraph g, String v, String zp) {
    long[] vr = valueRange(g, v);
    long[] zr = zp == null ? new long[] {0, 0} : valueRange(g, zp);
    return Math.max(Math.abs(vr[1] - zr[0]), Math.abs(vr[0] - zr[1]));
  }

  private static long[] valueRange(WorkGraph g, String v) {
    Tensor t = g.constant(v);
    if (t == null) {
      return range(g.info(v).dtype());
    }
    long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
    for (long l : t.toLongs()) {
      lo = Math.min(lo, l);
      hi = Math.max(hi, l);
    }
    return t.size() == 0 ? new long[] {0, 0} : new long[] {lo, hi};
  }

  /** max over columns n of sum over k of |b[.., k, n] - zp[n]|, for a constant B of rank >= 2. */
  private static long maxColumnSum(Tensor bt, Tensor zpt, int k, int cols) {
    long worst = 0;
    int batches = bt.size() / (k * cols);
    for (int s = 0; s < batches; s++) {
      for (int c = 0; c < cols; c++) {
        long z = zpt == null ? 0 : (long) zpt.get(zpt.size() == 1 ? 0 : c);
        long sum = 0;
        for (int i = 0; i < k; i++) {
          sum += Math.abs((long) bt.get((s * k + i) * cols + c) - z);
        }
        worst = Math.max(worst, sum);
      }
    }
    return worst;
  }

  /** max over output channels o of sum over the o-th filter's k weights of |w - zp[o]|. */
  private static long maxFilterSum(Tensor wt, Tensor zpt, int m, int k) {
    long worst = 0;
    for (int o = 0; o < m; o++) {
      long z = zpt == null ? 0 : (long) zpt.get(zpt.size() == 1 ? 0 : o);
      long sum = 0;
      for (int i = 0; i < k; i++) {
        sum += Math.abs((long) wt.get(o * k + i) - z);
      }
      worst = Math.max(worst, sum);
    }
    return worst;
  }

  private static void requireZeroPointShape(WorkGraph g, String zp, String role, int perAxis) {
    if (zp == null) {
      return;
    }
    Shape s = g.info(zp).shape();
    if (!(s.size() == 1 && s.rank() <= 1) && !(s.rank() == 1 && s.dim(0) == perAxis)) {
      throw new ModelException(role + " '" + zp + "' must be a scalar or have shape [" + perAxis + "], got " + s);
    }
  }

  private static boolean isVector(WorkGraph g, String v) {
    return v != null && g.info(v).shape().rank() == 1 && g.info(v).shape().size() > 1;
  }

  // ---- checks and small helpers ----

  /** The output type of QuantizeLinear: the zero point's, else opset 21's output_dtype, else UINT8. */
  private static DType quantizedType(Node n, Values v) {
    DType t;
    if (n.hasInput(2)) {
      t = v.info(n.input(2)).dtype();
    } else if (n.attributes().has("output_dtype")) {
      t = ShapeInference.castTarget(new Node(n.name(), "Cast", n.inputs(), n.outputs(),
          Attributes.of(Map.of("to", new Attribute.Int(n.attributes().getInt("output_dtype"))))));
    } else {
      t = DType.UINT8;
    }
    requireQuantized(t, "the output type", false);
    return t;
  }

  /** The output type of QLinearMatMul/QLinearConv: y_zero_point's, else the first input's. */
  private static DType requantizedType(Node n, Values v) {
    DType t = n.hasInput(7) ? v.info(n.input(7)).dtype() : v.info(n.input(0)).dtype();
    requireQuantized(t, "the output type (y_zero_point's)", false);
    return t;
  }

  private static void checkQuantParams(Node n, Values v, ValueInfo x, int scaleIdx, int zpIdx) {
    if (n.attributes().getInt("block_size", 0) != 0) {
      throw new ModelException("attribute 'block_size' " + n.attributes().getInt("block_size", 0)
          + " (blocked quantization) is not supported; expected 0 (per-tensor or per-axis)");
    }
    ValueInfo scale = ShapeInference.in(n, scaleIdx, v);
    if (!scale.dtype().isFloating()) {
      throw new ModelException("scale (input " + scaleIdx + ", '" + scale.name() + "') must be floating, got "
          + scale.dtype().onnxName());
    }
    for (int i : new int[] {scaleIdx, zpIdx}) {
      if (!n.hasInput(i)) {
        continue;
      }
      Shape s = v.info(n.input(i)).shape();
      if (s.size() == 1 && s.rank() <= 1) {
        continue; // per tensor: axis does not apply
      }
      int axis = Axes.normalize(n.attributes().getInt("axis", 1), x.shape().rank(), "attribute 'axis'");
      if (s.rank() != 1 || s.dim(0) != x.shape().dim(axis)) {
        throw new ModelException("input " + i + " '" + n.input(i) + "' must be a scalar or a 1-D tensor of the "
            + x.shape().dim(axis) + " elements of axis " + axis + " of x " + x.shape() + ", got shape " + s);
      }
    }
  }

  /** The quantization axis, normalized; 0 where it does not apply (checked by checkQuantParams where it does). */
  private static int axis(Node n, Values v) {
    int rank = v.info(n.input(0)).shape().rank();
    long axis = n.attributes().getInt("axis", 1);
    return axis >= -rank && axis < rank ? (int) (axis < 0 ? axis + rank : axis) : 0;
  }

  /**
   * Quantizing divides {@code x / scale} in x's own precision and rounds the quotient: a float16,
   * double or int32 x (whose quotient ONNX takes in float64) would round some quotients
   * differently in Braid's float32, so only float32 x and scale are taken.
   */
  private static void requireFloat32(ValueInfo x, String scale, Values v) {
    DType st = scale == null ? DType.FLOAT32 : v.info(scale).dtype();
    if (x.dtype() != DType.FLOAT32 || st != DType.FLOAT32) {
      throw new ModelException("input x '" + x.name() + "' and its scale must be FLOAT (float32), got "
          + x.dtype().onnxName() + " and " + st.onnxName() + ": the quotient x / scale is rounded to an integer, and"
          + " Braid divides in float32 only, which can round a quotient of another precision differently");
    }
  }

  private static void requireQuantized(DType t, String role, boolean int32Allowed) {
    boolean ok = t == DType.UINT8 || t == DType.INT8 || t == DType.UINT16 || t == DType.INT16
        || (int32Allowed && t == DType.INT32);
    if (!ok) {
      throw new ModelException(role + " must be UINT8, INT8, UINT16 or INT16" + (int32Allowed ? " or INT32" : "")
          + ", got " + t.onnxName());
    }
  }

  /** The inclusive value range of an integer element type. */
  static long[] range(DType t) {
    return switch (t) {
      case UINT8 -> new long[] {0, 255};
      case INT8 -> new long[] {-128, 127};
      case UINT16 -> new long[] {0, 65535};
      case INT16 -> new long[] {-32768, 32767};
      case INT32 -> new long[] {-EXACT_LIMIT, EXACT_LIMIT}; // inputs beyond 2^24 are refused at the door
      case BOOL -> new long[] {0, 1};
      default -> throw new ModelException("element type " + t.onnxName() + " is not a quantized integer type");
    };
  }

  private static String optional(Node n, int i) {
    return n.hasInput(i) ? n.input(i) : null;
  }

  /** Output {@code i} of {@code n}, or a fresh name when the model leaves it out. */
  private static String output(Node n, int i, WorkGraph g) {
    return n.outputs().size() > i && !n.output(i).isEmpty() ? n.output(i) : g.fresh(n.name() + "_out" + i);
  }

  /**
   * Appends the nodes of one rewrite, each shape-inferred, then folded on the host where its inputs
   * are constants, or canonicalized, as the binder treats a model's own nodes.
   */
  private static final class Builder {
    private final Node source;
    private final WorkGraph g;
    private int count;

    Builder(Node source, WorkGraph g) {
      this.source = source;
      this.g = g;
    }

    String op(String op, String... inputs) {
      return add(op, null, List.of(inputs), Attributes.empty());
    }

    String opInto(String op, String out, String... inputs) {
      return add(op, out, List.of(inputs), Attributes.empty());
    }

    String opWith(String op, Attributes attrs, String... inputs) {
      return add(op, null, List.of(inputs), attrs);
    }

    String cast(String v, DType to) {
      return castInto(v, to, null);
    }

    String castInto(String v, DType to, String out) {
      return add("Cast", out, List.of(v), Attributes.of(Map.of("to", new Attribute.Int(to.onnxCode()))));
    }

    /** {@code Cast(v) - zp} in float32, with {@code zp} reshaped to {@code zpDims} when given. */
    String shifted(String v, String zp, int[] zpDims) {
      String f = cast(v, DType.FLOAT32);
      if (zp == null) {
        return f;
      }
      String z = asFloat(zp, DType.FLOAT32);
      if (zpDims != null) {
        z = reshaped(z, zpDims);
      }
      return op("Sub", f, z);
    }

    /** Dekker's split of {@code v} into a high and a low half of at most 12 significant bits each. */
    String[] split(String v) {
      String t = op("Mul", v, scalar(4097, DType.FLOAT32)); // 2^12 + 1 splits float32's 24 bits in two
      String high = op("Sub", t, op("Sub", t, v));
      return new String[] {high, op("Sub", v, high)};
    }

    /** {@code v} as float32, under {@code dims} when given. */
    String reshapedFloat(String v, int... dims) {
      String f = asFloat(v, DType.FLOAT32);
      return dims == null ? f : reshaped(f, dims);
    }

    /** All axes reduced, to a scalar. */
    String reduceAll(String op, String x) {
      int r = g.info(x).shape().rank();
      long[] axes = new long[r];
      Arrays.setAll(axes, i -> i);
      String axesName = g.fresh(source.name() + "_axes");
      g.addConstant(axesName, Tensor.ofLongs(Shape.of(r), axes));
      Map<String, Attribute> attrs = new LinkedHashMap<>();
      attrs.put("keepdims", new Attribute.Int(0));
      return add(op, null, List.of(x, axesName), Attributes.of(attrs));
    }

    /**
     * {@code v} (a scale or zero point: one element, or one per index of {@code axis}) as a
     * float tensor of type {@code ft} that broadcasts against a rank-{@code rank} input there.
     */
    String alongAxis(String v, int axis, int rank, DType ft) {
      String f = asFloat(v, ft);
      Shape s = g.info(f).shape();
      if (s.size() == 1 || rank == 0) {
        return s.rank() == 0 ? f : reshaped(f);
      }
      int[] dims = new int[rank - axis];
      Arrays.fill(dims, 1);
      dims[0] = s.size();
      return reshaped(f, dims);
    }

    /** {@code v} as type {@code ft}: converted on the host when constant, else a Cast node. */
    String asFloat(String v, DType ft) {
      if (g.info(v).dtype() == ft) {
        return v;
      }
      Tensor t = g.constant(v);
      if (t == null) {
        return cast(v, ft);
      }
      String c = g.fresh(v + "_as_float");
      g.addConstant(c, Tensor.ofFloats(ft, t.shape(), t.toFloats().clone()));
      return c;
    }

    String scalar(float value, DType ft) {
      String c = g.fresh(source.name() + "_const");
      g.addConstant(c, Tensor.ofFloats(ft, Shape.scalar(), new float[] {value}));
      return c;
    }

    /** {@code v} under a new shape: a reshaped constant, or a Reshape node. */
    private String reshaped(String v, int... dims) {
      Shape to = Shape.of(dims);
      Tensor t = g.constant(v);
      if (t != null) {
        String c = g.fresh(v + "_reshaped");
        g.addConstant(c, t.reshape(to));
        return c;
      }
      String s = g.fresh(source.name() + "_shape");
      g.addConstant(s, Tensor.ofLongs(Shape.of(to.rank()), to.longDims()));
      return add("Reshape", null, new ArrayList<>(List.of(v, s)), Attributes.empty());
    }

    private String add(String op, String out, List<String> inputs, Attributes attrs) {
      String name = out != null ? out : g.fresh(source.name() + "_" + op.toLowerCase());
      Node node = new Node(source.name() + "/" + op + "_" + count++, op, inputs, List.of(name), attrs);
      ValueInfo info = ShapeInference.infer(node, g);
      g.values.put(info.name(), info);
      List<Tensor> constants = new ArrayList<>();
      boolean allConstant = true;
      for (String in : inputs) {
        Tensor t = in.isEmpty() ? null : g.constant(in);
        allConstant &= in.isEmpty() || t != null;
        constants.add(t);
      }
      if (allConstant && HostEvaluator.FOLDABLE.contains(op)) {
        // As the binder folds: a dequantized constant weight (QDQ models) becomes a float constant.
        g.addConstant(name, HostEvaluator.evaluate(node, constants, info, g));
      } else {
        Canonicalizer.append(node, g);
      }
      return name;
    }
  }
}
