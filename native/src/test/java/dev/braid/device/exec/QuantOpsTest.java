package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The quantization operators' float32 decompositions (model/fold's QuantDecompositions) on {@link
 * CpuDevice}, against answers computed here in exact arithmetic: requantization rounded on the exact
 * product even where a float32 product rounds across a half, round half to even, saturation,
 * per-axis scales, and the refusal of an integer product that float32 cannot accumulate exactly.
 */
class QuantOpsTest {
  private static final long LIMIT = 1L << 24;

  /**
   * QLinearMatMul of A = [0..255] (a column) by B = [0..255] (a row): all 65536 products C = i * j,
   * with scale triples for which the plain float32 chain {@code rint(fl(C * m) + zp)} misses the
   * exact rounding somewhere (found first, so the test can tell the two apart).
   */
  @Test
  void requantizationRoundsTheExactProductWhereFloat32WouldNot() throws Exception {
    Random random = new Random(12);
    int checked = 0;
    while (checked < 2) {
      float as = 0.001f + random.nextFloat() * 0.01f;
      float bs = 0.001f + random.nextFloat() * 0.01f;
      float ys = 0.05f + random.nextFloat() * 0.2f;
      int zp = random.nextInt(256);
      float m = as * bs / ys; // ONNX's reference: float32 multiplier, exact int32 * multiplier in float64
      if (naiveMismatches(m, zp) == 0) {
        continue;
      }
      long[] a = new long[256];
      long[] b = new long[256];
      for (int i = 0; i < 256; i++) {
        a[i] = i;
        b[i] = i;
      }
      Map<String, Tensor> consts = new LinkedHashMap<>();
      consts.put("as", Tensor.ofFloats(Shape.scalar(), new float[] {as}));
      consts.put("azp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {0}));
      consts.put("bs", Tensor.ofFloats(Shape.scalar(), new float[] {bs}));
      consts.put("bzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {0}));
      consts.put("ys", Tensor.ofFloats(Shape.scalar(), new float[] {ys}));
      consts.put("yzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {zp}));
      Node n = node("QLinearMatMul", List.of("a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"), Map.of());
      Tensor got = run(n, consts, Map.of("a", Tensor.ofLongs(DType.UINT8, Shape.of(256, 1), a),
          "b", Tensor.ofLongs(DType.UINT8, Shape.of(1, 256), b)), spec("y", DType.UINT8, 256, 256));
      long[] y = got.toLongs();
      for (int i = 0; i < 256; i++) {
        for (int j = 0; j < 256; j++) {
          assertEquals(exact((long) i * j, m, zp, 0, 255), y[i * 256 + j],
              "C = " + i + " * " + j + ", m = " + m + ", zp = " + zp);
        }
      }
      checked++;
    }
  }

  /**
   * Multipliers that put products exactly on halves (0.5, 0.25 with odd and even zero points) or
   * one float32 step beside them (nextUp/nextDown of 0.5, 1/3), and zero points that cancel the
   * product (hi + zp near 0): every product of two int8 ranges, uint8 out.
   */
  @Test
  void tiesAndNearTiesRoundAsTheExactValueDoes() throws Exception {
    long[] range = new long[256];
    for (int i = 0; i < 256; i++) {
      range[i] = i - 128;
    }
    float[] multipliers = {0.5f, Math.nextUp(0.5f), Math.nextDown(0.5f), 0.25f, 1f / 3, Math.nextUp(1f / 255)};
    for (float m : multipliers) {
      for (long zp : new long[] {127, 128}) {
        Map<String, Tensor> consts = new LinkedHashMap<>();
        consts.put("as", Tensor.ofFloats(Shape.scalar(), new float[] {m}));
        consts.put("azp", Tensor.ofLongs(DType.INT8, Shape.scalar(), new long[] {0}));
        consts.put("bs", Tensor.ofFloats(Shape.scalar(), new float[] {1f}));
        consts.put("bzp", Tensor.ofLongs(DType.INT8, Shape.scalar(), new long[] {0}));
        consts.put("ys", Tensor.ofFloats(Shape.scalar(), new float[] {1f}));
        consts.put("yzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {zp}));
        Node n = node("QLinearMatMul", List.of("a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"), Map.of());
        long[] y = run(n, consts, Map.of("a", Tensor.ofLongs(DType.INT8, Shape.of(256, 1), range),
            "b", Tensor.ofLongs(DType.INT8, Shape.of(1, 256), range)), spec("y", DType.UINT8, 256, 256)).toLongs();
        for (int i = 0; i < 256; i++) {
          for (int j = 0; j < 256; j++) {
            long c = range[i] * range[j];
            assertEquals(exact(c, m, zp, 0, 255), y[i * 256 + j], "C = " + c + ", m = " + m + ", zp = " + zp);
          }
        }
      }
    }
  }

  /** Products of up to 24 bits (K = 258 terms of up to 255 * 255, the weight constant) requantize exactly. */
  @Test
  void productsNearTwoToTheTwentyFourRequantizeExactly() throws Exception {
    Random random = new Random(7);
    int rows = 64, k = 258, cols = 64;
    long[] a = new long[rows * k];
    long[] b = new long[k * cols];
    for (int i = 0; i < a.length; i++) {
      a[i] = 128 + random.nextInt(128);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = 128 + random.nextInt(128);
    }
    float as = 0.0003f, bs = 0.05f, ys = 1.7f;
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("as", Tensor.ofFloats(Shape.scalar(), new float[] {as}));
    consts.put("azp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {0}));
    consts.put("b", Tensor.ofLongs(DType.UINT8, Shape.of(k, cols), b));
    consts.put("bs", Tensor.ofFloats(Shape.scalar(), new float[] {bs}));
    consts.put("bzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {0}));
    consts.put("ys", Tensor.ofFloats(Shape.scalar(), new float[] {ys}));
    consts.put("yzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {3}));
    Node n = node("QLinearMatMul", List.of("a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"), Map.of());
    long[] y = run(n, consts, Map.of("a", Tensor.ofLongs(DType.UINT8, Shape.of(rows, k), a)),
        spec("y", DType.UINT8, rows, cols)).toLongs();
    float m = as * bs / ys;
    long largest = 0;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        long sum = 0;
        for (int i = 0; i < k; i++) {
          sum += a[r * k + i] * b[i * cols + c];
        }
        largest = Math.max(largest, sum);
        assertEquals(exact(sum, m, 3, 0, 255), y[r * cols + c], "C = " + sum + ", m = " + m);
      }
    }
    assertTrue(largest > (1L << 23), "products reach 2^23: " + largest);
  }

  /** Signed operands and zero points on both sides, per-row and per-column: int8 in, int8 out. */
  @Test
  void signedRequantizationWithPerRowAndPerColumnZeroPoints() throws Exception {
    Random random = new Random(5);
    int rows = 8, k = 16, cols = 8;
    long[] a = new long[rows * k];
    long[] b = new long[k * cols];
    for (int i = 0; i < a.length; i++) {
      a[i] = random.nextInt(256) - 128;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = random.nextInt(256) - 128;
    }
    long[] azp = {3, -7, 0, 12, -128, 127, 1, -1};
    float as = 0.0123f, bs = 0.0041f, ys = 0.077f;
    long yzp = -5;
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("as", Tensor.ofFloats(Shape.scalar(), new float[] {as}));
    consts.put("azp", Tensor.ofLongs(DType.INT8, Shape.of(rows), azp));
    consts.put("bs", Tensor.ofFloats(Shape.scalar(), new float[] {bs}));
    consts.put("bzp", Tensor.ofLongs(DType.INT8, Shape.scalar(), new long[] {-2}));
    consts.put("ys", Tensor.ofFloats(Shape.scalar(), new float[] {ys}));
    consts.put("yzp", Tensor.ofLongs(DType.INT8, Shape.scalar(), new long[] {yzp}));
    Node n = node("QLinearMatMul", List.of("a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"), Map.of());
    Tensor got = run(n, consts, Map.of("a", Tensor.ofLongs(DType.INT8, Shape.of(rows, k), a),
        "b", Tensor.ofLongs(DType.INT8, Shape.of(k, cols), b)), spec("y", DType.INT8, rows, cols));
    float m = as * bs / ys;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        long sum = 0;
        for (int i = 0; i < k; i++) {
          sum += (a[r * k + i] - azp[r]) * (b[i * cols + c] + 2);
        }
        assertEquals(exact(sum, m, yzp, -128, 127), got.toLongs()[r * cols + c], "row " + r + ", column " + c);
      }
    }
  }

  /** x / scale exactly on halves rounds to even; beyond the range saturates; int8 per axis 1. */
  @Test
  void quantizeRoundsHalvesToEvenAndSaturatesPerAxis() throws Exception {
    float[] x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000f, -1000f, 3.4f, // channel 0, scale 1, zp 0
        1f, 3f, 5f, -1f, -3f, 1000f, -1000f, 6.9f}; // channel 1, scale 2, zp 10
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("s", Tensor.ofFloats(Shape.of(2), new float[] {1f, 2f}));
    consts.put("zp", Tensor.ofLongs(DType.INT8, Shape.of(2), new long[] {0, 10}));
    Node n = node("QuantizeLinear", List.of("x", "s", "zp"), Map.of("axis", new Attribute.Int(1)));
    Tensor got = run(n, consts, Map.of("x", Tensor.ofFloats(Shape.of(1, 2, 8), x)), spec("y", DType.INT8, 1, 2, 8));
    assertArrayEquals(new long[] {0, 2, 2, 0, -2, 127, -128, 3, 10, 12, 12, 10, 8, 127, -128, 13}, got.toLongs());
  }

  @Test
  void dequantizeSubtractsTheZeroPointPerAxis() throws Exception {
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("s", Tensor.ofFloats(Shape.of(3), new float[] {0.5f, 2f, 0.25f}));
    consts.put("zp", Tensor.ofLongs(DType.UINT8, Shape.of(3), new long[] {128, 0, 255}));
    Node n = node("DequantizeLinear", List.of("x", "s", "zp"), Map.of("axis", new Attribute.Int(0)));
    Tensor got = run(n, consts, Map.of("x", Tensor.ofLongs(DType.UINT8, Shape.of(3, 2), new long[] {0, 255, 1, 2,
        255, 0})), spec("y", DType.FLOAT32, 3, 2));
    assertArrayEquals(new float[] {-64f, 63.5f, 2f, 4f, 0f, -63.75f}, got.floats());
  }

  /** QDQ models dequantize constant weights: that folds at load into a float constant, no kernel. */
  @Test
  void dequantizingAConstantFoldsAtLoad() {
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("w", Tensor.ofLongs(DType.INT8, Shape.of(2), new long[] {-128, 127}));
    consts.put("s", Tensor.ofFloats(Shape.scalar(), new float[] {0.5f}));
    consts.put("zp", Tensor.ofLongs(DType.INT8, Shape.scalar(), new long[] {-1}));
    Node dq = new Node("dq", "DequantizeLinear", List.of("w", "s", "zp"), List.of("wf"), Attributes.empty());
    Node add = new Node("add", "Add", List.of("x", "wf"), List.of("y"), Attributes.empty());
    ImportedModel m = new ImportedModel("quant-test", "quant", 13, "test", List.of(spec("x", DType.FLOAT32, 2)),
        List.of(spec("y", DType.FLOAT32, 2)), consts, List.of(dq, add), Map.of());
    ModelGraph g = m.bindDeclared(Map.of());
    assertEquals(List.of("Add"), g.nodes().stream().map(Node::opType).toList());
    assertArrayEquals(new float[] {-63.5f, 64f}, g.constant(g.nodes().get(0).input(1)).floats());
  }

  /** K = 300 uint8 terms of up to 255 * 255 can sum past 2^24: refused, naming the bound. */
  @Test
  void anIntegerProductThatCanLeaveFloat32sExactRangeIsRefused() {
    Node n = node("MatMulInteger", List.of("a", "b"), Map.of());
    ModelException e = assertThrows(ModelException.class, () -> bind(n, Map.of(),
        List.of(spec("a", DType.UINT8, 2, 300), spec("b", DType.UINT8, 300, 4)), spec("y", DType.INT32, 2, 4)));
    assertTrue(e.getMessage().contains("expected at most 2^24 = " + LIMIT + ", received a bound of " + 300L * 255 * 255),
        e.getMessage());
    assertTrue(e.getMessage().contains("MatMulInteger"), e.getMessage());
  }

  /** The same K with a constant B of small values is bounded by B's column sums, and runs exactly. */
  @Test
  void aConstantWeightIsBoundedByItsValues() throws Exception {
    int k = 300;
    long[] b = new long[k * 2];
    for (int i = 0; i < k; i++) {
      b[i * 2] = i % 3; // column 0: 0, 1, 2, ...
      b[i * 2 + 1] = 200 + i % 50; // column 1, less its zero point 200: 0..49
    }
    long[] a = new long[k];
    for (int i = 0; i < k; i++) {
      a[i] = 255 - i % 256;
    }
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("b", Tensor.ofLongs(DType.UINT8, Shape.of(k, 2), b));
    consts.put("bzp", Tensor.ofLongs(DType.UINT8, Shape.of(2), new long[] {0, 200}));
    Node n = node("MatMulInteger", List.of("a", "b", "", "bzp"), Map.of());
    Tensor got = run(n, consts, Map.of("a", Tensor.ofLongs(DType.UINT8, Shape.of(1, k), a)), spec("y", DType.INT32, 1, 2));
    long y0 = 0, y1 = 0;
    for (int i = 0; i < k; i++) {
      y0 += a[i] * b[i * 2];
      y1 += a[i] * (b[i * 2 + 1] - 200);
    }
    assertArrayEquals(new long[] {y0, y1}, got.toLongs());
  }

  /** ConvInteger with a per-output-channel weight zero point and padding (padded with x's zero point). */
  @Test
  void convIntegerPerChannelZeroPoint() throws Exception {
    long[] x = {10, 20, 30, 40, 50, 60, 70, 80, 90};
    long[] w = {1, 2, 3, 4, 5, 5, 5, 5}; // two 1x1x2x2 filters
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("w", Tensor.ofLongs(DType.UINT8, Shape.of(2, 1, 2, 2), w));
    consts.put("xzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {10}));
    consts.put("wzp", Tensor.ofLongs(DType.UINT8, Shape.of(2), new long[] {1, 5}));
    Node n = node("ConvInteger", List.of("x", "w", "xzp", "wzp"), Map.of("pads", new Attribute.Ints(new long[] {1, 1, 0, 0})));
    Tensor got = run(n, consts, Map.of("x", Tensor.ofLongs(DType.UINT8, Shape.of(1, 1, 3, 3), x)),
        spec("y", DType.INT32, 1, 2, 3, 3));
    long[] want = new long[18];
    for (int o = 0; o < 2; o++) {
      for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
          long sum = 0;
          for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
              int xr = r - 1 + i, xc = c - 1 + j;
              long xv = xr < 0 || xc < 0 ? 0 : x[xr * 3 + xc] - 10;
              sum += xv * (w[o * 4 + i * 2 + j] - (o == 0 ? 1 : 5));
            }
          }
          want[o * 9 + r * 3 + c] = sum;
        }
      }
    }
    assertArrayEquals(want, got.toLongs());
  }

  /** A uint8 input of 300 (a 32-bit field can carry it) is outside the bounds the proofs assume: refused. */
  @Test
  void aUint8InputOutsideItsRangeIsRefused() {
    Node n = node("DequantizeLinear", List.of("x", "s"), Map.of());
    Map<String, Tensor> consts = Map.of("s", Tensor.ofFloats(Shape.scalar(), new float[] {1f}));
    Exception e = assertThrows(Exception.class, () -> run(n, consts,
        Map.of("x", Tensor.ofLongs(DType.UINT8, Shape.of(2), new long[] {7, 300})), spec("y", DType.FLOAT32, 2)));
    Throwable cause = e.getCause() != null && !(e instanceof IllegalArgumentException) ? e.getCause() : e;
    assertTrue(cause.getMessage().contains("input 'x' holds 300 at element 1, outside the range of UINT8"
        + " (expected 0..255)"), cause.getMessage());
  }

  /** Per-axis: a scale of the wrong length names the input, the expected and the received shape. */
  @Test
  void aPerAxisScaleOfTheWrongLengthIsRefused() {
    Node n = node("QuantizeLinear", List.of("x", "s"), Map.of("axis", new Attribute.Int(1)));
    Map<String, Tensor> consts = Map.of("s", Tensor.ofFloats(Shape.of(3), new float[] {1f, 2f, 3f}));
    ModelException e = assertThrows(ModelException.class,
        () -> bind(n, consts, List.of(spec("x", DType.FLOAT32, 2, 4)), spec("y", DType.UINT8, 2, 4)));
    assertTrue(e.getMessage().contains("input 1 's' must be a scalar or a 1-D tensor of the 4 elements of axis 1"
        + " of x [2, 4], got shape [3]"), e.getMessage());
  }

  /** QLinearConv with per-output-channel weight scales and an int32 bias, strided. */
  @Test
  void qLinearConvPerChannelScalesAndBias() throws Exception {
    Random random = new Random(3);
    int c = 2, h = 5, m = 3;
    long[] x = new long[c * h * h];
    long[] w = new long[m * c * 2 * 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextInt(256);
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = random.nextInt(256) - 128;
    }
    long[] bias = {-3000, 0, 4711};
    float xs = 0.02f, ys = 0.9f;
    float[] ws = {0.011f, 0.004f, 0.0173f};
    long xzp = 17, yzp = 128;
    Map<String, Tensor> consts = new LinkedHashMap<>();
    consts.put("xs", Tensor.ofFloats(Shape.scalar(), new float[] {xs}));
    consts.put("xzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {xzp}));
    consts.put("w", Tensor.ofLongs(DType.INT8, Shape.of(m, c, 2, 2), w));
    consts.put("ws", Tensor.ofFloats(Shape.of(m), ws));
    consts.put("wzp", Tensor.ofLongs(DType.INT8, Shape.scalar(), new long[] {0}));
    consts.put("ys", Tensor.ofFloats(Shape.scalar(), new float[] {ys}));
    consts.put("yzp", Tensor.ofLongs(DType.UINT8, Shape.scalar(), new long[] {yzp}));
    consts.put("bias", Tensor.ofLongs(DType.INT32, Shape.of(m), bias));
    Node n = node("QLinearConv", List.of("x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "bias"),
        Map.of("strides", new Attribute.Ints(new long[] {2, 2})));
    long[] y = run(n, consts, Map.of("x", Tensor.ofLongs(DType.UINT8, Shape.of(1, c, h, h), x)),
        spec("y", DType.UINT8, 1, m, 2, 2)).toLongs();
    for (int o = 0; o < m; o++) {
      float mult = xs * ws[o] / ys;
      for (int r = 0; r < 2; r++) {
        for (int q = 0; q < 2; q++) {
          long sum = bias[o];
          for (int ci = 0; ci < c; ci++) {
            for (int i = 0; i < 2; i++) {
              for (int j = 0; j < 2; j++) {
                sum += (x[(ci * h + r * 2 + i) * h + q * 2 + j] - xzp) * w[((o * c + ci) * 2 + i) * 2 + j];
              }
            }
          }
          assertEquals(exact(sum, mult, yzp, 0, 255), y[(o * 2 + r) * 2 + q], "channel " + o + " at " + r + "," + q);
        }
      }
    }
  }

  /** A float16 x would be divided in half precision by ONNX: refused, naming both types. */
  @Test
  void quantizingAFloat16InputIsRefused() {
    Node n = node("QuantizeLinear", List.of("x", "s"), Map.of());
    Map<String, Tensor> consts = Map.of("s", Tensor.ofFloats(DType.FLOAT16, Shape.scalar(), new float[] {1f}));
    ModelException e = assertThrows(ModelException.class,
        () -> bind(n, consts, List.of(spec("x", DType.FLOAT16, 4)), spec("y", DType.UINT8, 4)));
    assertTrue(e.getMessage().contains("input x 'x' and its scale must be FLOAT (float32), got FLOAT16 and FLOAT16"),
        e.getMessage());
  }

  @Test
  void dequantizingInt32WithANonZeroZeroPointIsRefused() {
    Node n = node("DequantizeLinear", List.of("x", "s", "zp"), Map.of());
    Map<String, Tensor> consts = Map.of("s", Tensor.ofFloats(Shape.scalar(), new float[] {1f}),
        "zp", Tensor.ofLongs(DType.INT32, Shape.scalar(), new long[] {3}));
    ModelException e = assertThrows(ModelException.class,
        () -> bind(n, consts, List.of(spec("x", DType.INT32, 4)), spec("y", DType.FLOAT32, 4)));
    assertTrue(e.getMessage().contains("x_zero_point (input 2, 'zp') of an INT32 input must be 0"), e.getMessage());
    assertTrue(e.getMessage().contains("got [3]"), e.getMessage());
  }

  // ---- exact references ----

  /** saturate(rint_half_even(c * m + zp)) in exact decimal arithmetic. */
  private static long exact(long c, float m, long zp, long lo, long hi) {
    BigDecimal v = BigDecimal.valueOf(c).multiply(new BigDecimal(m)).add(BigDecimal.valueOf(zp));
    long r = v.setScale(0, RoundingMode.HALF_EVEN).longValueExact();
    return Math.max(lo, Math.min(hi, r));
  }

  /** How many of the products i * j (0 <= i, j < 256) the plain float32 chain rounds differently. */
  private static int naiveMismatches(float m, int zp) {
    int bad = 0;
    for (long i = 0; i < 256; i++) {
      for (long j = 0; j < 256; j++) {
        double naive = Math.rint((float) (i * j) * m + zp);
        double exact = Math.rint((double) (i * j) * m + zp); // exact here: 16 + 24 bits, |value| < 2^26
        if (Math.max(0, Math.min(255, (long) naive)) != Math.max(0, Math.min(255, (long) exact))) {
          bad++;
        }
      }
    }
    return bad;
  }

  // ---- running one node ----

  private static Node node(String op, List<String> inputs, Map<String, Attribute> attrs) {
    return new Node("q", op, inputs, List.of("y"), Attributes.of(attrs));
  }

  private static TensorSpec spec(String name, DType t, long... dims) {
    List<DimSpec> d = new ArrayList<>();
    for (long v : dims) {
      d.add(DimSpec.fixed(v));
    }
    return new TensorSpec(name, t, d);
  }

  private static ModelGraph bind(Node n, Map<String, Tensor> consts, List<TensorSpec> inputs, TensorSpec out) {
    ImportedModel m = new ImportedModel("quant-test", "quant", 13, "test", inputs, List.of(out), consts, List.of(n),
        Map.of());
    return m.bindDeclared(Map.of());
  }

  private static Tensor run(Node n, Map<String, Tensor> consts, Map<String, Tensor> feed, TensorSpec out)
      throws Exception {
    List<TensorSpec> inputs = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : feed.entrySet()) {
      inputs.add(spec(e.getKey(), e.getValue().dtype(), e.getValue().shape().longDims()));
    }
    ModelGraph g = bind(n, consts, inputs, out);
    try (CpuDevice device = new CpuDevice(1, 64L << 20);
        CompiledModel compiled = ModelExecutor.compile(g, device)) {
      Map<String, Tensor> ordered = new LinkedHashMap<>();
      for (TensorSpec s : inputs) {
        ordered.put(s.name(), feed.get(s.name()));
      }
      return compiled.run(ordered).toCompletableFuture().get().get("y");
    }
  }
}
