package dev.braid.device.cpu;

import static dev.braid.device.cpu.Harness.assertClose;
import static dev.braid.device.cpu.Harness.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.model.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OtherKernelsTest {
  private static final CpuDevice DEVICE = new CpuDevice(2);

  @AfterAll
  static void close() {
    DEVICE.close();
  }

  @Test
  void binaryBroadcastsEveryWay() {
    Shape[][] cases = {
        {Shape.of(2, 3), Shape.of(2, 3)},
        {Shape.of(2, 3, 4), Shape.of(4)},
        {Shape.of(2, 1, 4), Shape.of(3, 1)},
        {Shape.scalar(), Shape.of(5, 2)},
        {Shape.of(1, 3, 1, 1), Shape.of(2, 3, 4, 5)},
        // Flat paths: same size under leading ones, a one-element tensor of rank > 0 on either side,
        // a per-row scalar [m, 1] and a bias row, each long enough to split into several chunks.
        {Shape.of(1, 7, 5), Shape.of(7, 5)},
        {Shape.of(3, 1), Shape.of(1)},
        {Shape.of(1, 1), Shape.of(300, 700)},
        {Shape.of(300, 700), Shape.of(300, 1)},
        {Shape.of(700), Shape.of(300, 700)}};
    Random rnd = new Random(1);
    for (BinaryOp op : BinaryOp.values()) {
      for (Shape[] c : cases) {
        Binary k = Binary.of(op, c[0], c[1]);
        float[] a = random(rnd, c[0].size()), b = random(rnd, c[1].size());
        if (op == BinaryOp.POW) {
          for (int i = 0; i < a.length; i++) {
            a[i] = Math.abs(a[i]) + 0.1f;
          }
        }
        float[] expected = new float[k.out().size()];
        int[] as = dev.braid.device.kernel.Broadcast.strides(c[0], k.out());
        int[] bs = dev.braid.device.kernel.Broadcast.strides(c[1], k.out());
        int[] dims = k.out().dims();
        for (int i = 0; i < expected.length; i++) {
          int ai = 0, bi = 0, rem = i;
          for (int d = dims.length - 1; d >= 0; d--) {
            ai += (rem % dims[d]) * as[d];
            bi += (rem % dims[d]) * bs[d];
            rem /= dims[d];
          }
          expected[i] = (float) switch (op) {
            case ADD -> (double) a[ai] + b[bi];
            case SUB -> (double) a[ai] - b[bi];
            case MUL -> (double) a[ai] * b[bi];
            case DIV -> (double) a[ai] / b[bi];
            case POW -> Math.pow(a[ai], b[bi]);
            // The others by their own definition: this checks the broadcasting loops; ONNX's node
            // cases check their math (exec.ElementwiseNodeCasesTest).
            default -> op.apply(a[ai], b[bi]);
          };
        }
        assertClose(expected, Harness.run(DEVICE, k, a, b), op + " " + c[0] + " " + c[1]);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(UnaryOp.class)
  void unaryMatchesDoubleMath(UnaryOp op) {
    float[] x = random(new Random(op.ordinal()), 1003); // not a multiple of 4: unrolled loops have tails
    for (int i = 0; i < x.length; i++) {
      x[i] *= 4f; // spans erf's interesting range [-4, 4]
    }
    Unary u = new Unary(op, x.length, -0.5f, 0.7f);
    float[] expected = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      double v = x[i];
      expected[i] = (float) switch (op) {
        case RELU -> Math.max(v, 0);
        case CLIP -> Math.min(Math.max(v, -0.5), 0.7);
        case SIGMOID -> 1 / (1 + Math.exp(-v));
        case TANH -> Math.tanh(v);
        case ERF -> ReferenceErf.erf(v);
        case GELU -> 0.5 * v * (1 + ReferenceErf.erf(v / Math.sqrt(2)));
        case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        case SQRT -> Math.sqrt(v);
        case IDENTITY -> v;
        // The others by their own definition (parameters -0.5, 0.7 passed through): this checks the
        // CPU loop; ONNX's node cases check their math (exec.ElementwiseNodeCasesTest).
        default -> op.apply(x[i], -0.5f, 0.7f);
      };
    }
    assertClose(expected, Harness.run(DEVICE, u, x), 1e-6, 1e-7, op.name());
  }

  @Test
  void erfHitsTabulatedValues() {
    // erf values from Abramowitz & Stegun table 7.1 and high-precision evaluations.
    double[][] table = {{0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1.0, 0.8427007929497149},
        {2.0, 0.9953222650189527}, {3.0, 0.9999779095030014}, {-1.5, -0.9661051464753108}};
    for (double[] row : table) {
      assertEquals(row[1], MathFunctions.erf(row[0]), 1e-13, "erf(" + row[0] + ")");
    }
  }

  @Test
  void erfTableMatchesTheSeriesEverywhere() {
    // A dense grid across every piece (both signs, the tails, the saturation points) off the step edges.
    for (int i = -10 * 1024; i <= 10 * 1024; i++) {
      float x = (float) (i / 1024.0 + 1e-4 * Math.sin(i));
      double erf = MathFunctions.erf(x), gelu = MathFunctions.gelu(x);
      assertEquals(erf, ErfTable.erf(x), 1e-7, "erf(" + x + ")");
      assertEquals(gelu, ErfTable.gelu(x), 1e-9 + 2e-7 * Math.abs(gelu), "gelu(" + x + ")");
    }
    assertEquals(1f, ErfTable.erf(Float.POSITIVE_INFINITY));
    assertEquals(-1f, ErfTable.erf(-1e30f));
    assertTrue(Float.isNaN(ErfTable.erf(Float.NaN)));
    assertEquals(Float.POSITIVE_INFINITY, ErfTable.gelu(Float.POSITIVE_INFINITY));
    assertTrue(Float.isNaN(ErfTable.gelu(Float.NaN)));
    assertTrue(Float.isNaN(ErfTable.gelu(Float.NEGATIVE_INFINITY)));
  }

  @Test
  void fastExpMatchesMathExp() {
    for (int i = -800 * 64; i <= 720 * 64; i++) {
      double x = i / 64.0 + 1e-3 * Math.sin(i);
      double e = Math.exp(x);
      if (x <= 700) {
        assertEquals(e, FastExp.exp(x), 1e-300 + 1e-10 * e, "exp(" + x + ")");
      } else {
        assertEquals((float) e, (float) FastExp.exp(x), "exp(" + x + ") as float");
      }
    }
    assertEquals(0.0, FastExp.exp(Double.NEGATIVE_INFINITY));
    assertEquals(Double.POSITIVE_INFINITY, FastExp.exp(Double.POSITIVE_INFINITY));
    assertTrue(Double.isNaN(FastExp.exp(Double.NaN)));
  }

  @Test
  void poolingMatchesNaive() {
    Random rnd = new Random(3);
    Pool2d[] cases = {
        Pool2d.simple(Pool2d.PoolMode.MAX, 2, 3, 8, 8, 2, 2, 0),
        Pool2d.simple(Pool2d.PoolMode.MAX, 1, 2, 9, 9, 3, 2, 1),
        // Wide rows: interior columns without bounds tests between padded edges, odd and even widths.
        Pool2d.simple(Pool2d.PoolMode.MAX, 2, 3, 23, 21, 3, 2, 1),
        Pool2d.simple(Pool2d.PoolMode.MAX, 1, 2, 20, 24, 5, 1, 2),
        // Rows long enough for whole vectors of gathered windows (stride 2, dilation 2) plus tails.
        Pool2d.simple(Pool2d.PoolMode.MAX, 1, 2, 9, 71, 3, 2, 1),
        new Pool2d(Pool2d.PoolMode.MAX, 1, 2, 12, 80, 3, 3, 2, 2, 1, 1, 1, 1, 2, 2, 5, 39, false),
        new Pool2d(Pool2d.PoolMode.MAX, 1, 2, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, 2, 2, 5, 5, false),
        new Pool2d(Pool2d.PoolMode.AVERAGE, 1, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4, 4, true),
        new Pool2d(Pool2d.PoolMode.AVERAGE, 1, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4, 4, false),
        // ceil_mode: floor would give 3, ceil gives 4 with a last window hanging past the input
        new Pool2d(Pool2d.PoolMode.AVERAGE, 1, 1, 8, 8, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 4, 4, true),
        new Pool2d(Pool2d.PoolMode.MAX, 1, 1, 8, 8, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 4, 4, false)};
    for (Pool2d p : cases) {
      float[] x = random(rnd, p.n() * p.c() * p.h() * p.w());
      assertClose(Naive.pool(p, x), Harness.run(DEVICE, p, x), p.toString());
    }
  }

  @Test
  void softmaxLayerNormGlobalPoolBatchNorm() {
    Random rnd = new Random(4);
    float[] x = random(rnd, 2 * 5 * 3);
    float[] sm = Harness.run(DEVICE, new Softmax(2, 5, 3), x);
    for (int o = 0; o < 2; o++) {
      for (int in = 0; in < 3; in++) {
        double sum = 0;
        for (int a = 0; a < 5; a++) {
          sum += Math.exp(x[(o * 5 + a) * 3 + in]);
        }
        for (int a = 0; a < 5; a++) {
          int i = (o * 5 + a) * 3 + in;
          assertEquals(Math.exp(x[i]) / sum, sm[i], 1e-6, "softmax " + i);
        }
      }
    }
    float[] scale = random(rnd, 5), bias = random(rnd, 5), ln = Harness.run(DEVICE, new LayerNorm(6, 5, 1e-5f, true), x, scale, bias);
    for (int r = 0; r < 6; r++) {
      double mean = 0, var = 0;
      for (int c = 0; c < 5; c++) {
        mean += x[r * 5 + c] / 5.0;
      }
      for (int c = 0; c < 5; c++) {
        var += Math.pow(x[r * 5 + c] - mean, 2) / 5.0;
      }
      for (int c = 0; c < 5; c++) {
        double e = (x[r * 5 + c] - mean) / Math.sqrt(var + 1e-5) * scale[c] + bias[c];
        assertEquals(e, ln[r * 5 + c], 1e-5, "layernorm " + r + "," + c);
      }
    }
    float[] gap = Harness.run(DEVICE, new GlobalAveragePool(3, 10), x);
    for (int c = 0; c < 3; c++) {
      double s = 0;
      for (int i = 0; i < 10; i++) {
        s += x[c * 10 + i];
      }
      assertEquals(s / 10, gap[c], 1e-6, "gap " + c);
    }
    float[] sc = {2f, -1f, 0.5f}, sh = {0.1f, 0.2f, 0.3f};
    float[] bn = Harness.run(DEVICE, new BatchNorm(2, 3, 5), x, sc, sh);
    for (int i = 0; i < 30; i++) {
      int ch = (i / 5) % 3;
      assertEquals(x[i] * sc[ch] + sh[ch], bn[i], 1e-6, "batchnorm " + i);
    }
  }

  @Test
  void reduceMeanOverArbitraryAxes() {
    Shape s = Shape.of(2, 3, 4, 5);
    float[] x = random(new Random(6), s.size());
    for (List<Integer> axes : List.of(List.of(1), List.of(0, 2), List.of(3), List.of(0, 1, 2, 3), List.of(1, 3), List.of(2, 3))) {
      ReduceMean rm = new ReduceMean(s, axes);
      float[] got = Harness.run(DEVICE, rm, x);
      double[] sum = new double[(int) rm.outputElements()];
      int[] st = s.strides();
      for (int i = 0; i < x.length; i++) {
        int o = 0;
        for (int d = 0; d < 4; d++) {
          if (!axes.contains(d)) {
            o = o * s.dim(d) + (i / st[d]) % s.dim(d);
          }
        }
        sum[o] += x[i];
      }
      for (int o = 0; o < sum.length; o++) {
        assertEquals(sum[o] / rm.reducedElements(), got[o], 1e-6, "reduce " + axes + " at " + o);
      }
    }
  }

  @Test
  void transposeConcatGatherCopy() {
    Shape s = Shape.of(2, 3, 4);
    float[] x = random(new Random(7), s.size());
    Transpose t = new Transpose(s, List.of(2, 0, 1));
    float[] tr = Harness.run(DEVICE, t, x);
    for (int a = 0; a < 2; a++) {
      for (int b = 0; b < 3; b++) {
        for (int c = 0; c < 4; c++) {
          assertEquals(x[(a * 3 + b) * 4 + c], tr[(c * 2 + a) * 3 + b], "transpose");
        }
      }
    }
    float[] y = random(new Random(8), 2 * 2 * 4);
    float[] cat = Harness.run(DEVICE, new Concat(List.of(s, Shape.of(2, 2, 4)), 1), x, y);
    for (int a = 0; a < 2; a++) {
      for (int b = 0; b < 5; b++) {
        for (int c = 0; c < 4; c++) {
          float e = b < 3 ? x[(a * 3 + b) * 4 + c] : y[(a * 2 + b - 3) * 4 + c];
          assertEquals(e, cat[(a * 5 + b) * 4 + c], "concat");
        }
      }
    }
    float[] idx = {2, -1, 0};
    float[] g = Harness.run(DEVICE, new Gather(s, 1, 3), x, idx);
    int[] picked = {2, 2, 0};
    for (int a = 0; a < 2; a++) {
      for (int q = 0; q < 3; q++) {
        for (int c = 0; c < 4; c++) {
          assertEquals(x[(a * 3 + picked[q]) * 4 + c], g[(a * 3 + q) * 4 + c], "gather");
        }
      }
    }
    assertClose(x, Harness.run(DEVICE, new Copy(x.length), x), "copy");
  }
}
