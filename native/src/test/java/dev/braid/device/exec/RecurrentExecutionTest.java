package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RNN, GRU, LSTM and Einsum as unrolled and lowered at load, run on CpuDevice against plain Java
 * loops that follow the ONNX definitions, over the forms ONNX's node tests do not reach:
 * bidirectional and reverse runs, per-row sequence lengths given at run time, peepholes, initial
 * states, GRU's linear_before_reset, batch-first layout, clip and parameterized activations;
 * Einsum with three operands, a trace and an implicit output.
 */
class RecurrentExecutionTest {
  private static final DType F = DType.FLOAT32;
  private static CpuDevice device;

  @BeforeAll
  static void start() {
    device = new CpuDevice(1);
  }

  @AfterAll
  static void stop() {
    device.close();
  }

  private static Map<String, Tensor> run(OnnxModelBuilder b, Map<String, Tensor> inputs) {
    try (CompiledModel m = ModelExecutor.compile(OnnxImporter.parse(b.toBytes(), "t").bindDeclared(Map.of()), device)) {
      return m.run(inputs).toCompletableFuture().join();
    }
  }

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextFloat() * 2 - 1;
    }
    return a;
  }

  private static void assertClose(double[] want, Tensor got, String what) {
    float[] g = got.toFloats();
    assertEquals(want.length, g.length, what + " size");
    for (int i = 0; i < want.length; i++) {
      assertTrue(Math.abs(g[i] - want[i]) <= 1e-5 + 1e-4 * Math.abs(want[i]),
          what + "[" + i + "]: expected " + want[i] + ", got " + g[i]);
    }
  }

  /** The inputs of one recurrent case, layout 0, with the reference semantics of ONNX. */
  private record Case(String op, int seq, int batch, int input, int hidden, int dirs, boolean reverse, float[] x,
      float[] w, float[] r, float[] b, long[] lens, float[] h0, float[] c0, float[] p, boolean lbr, double clip,
      List<DoubleUnaryOperator> acts) {

    int gates() {
      return op.equals("LSTM") ? 4 : op.equals("GRU") ? 3 : 1;
    }

    /** {Y [seq, dirs, batch, h], Y_h [dirs, batch, h], Y_c [dirs, batch, h]}. */
    double[][] reference() {
      int h = hidden;
      int g = gates();
      double[] y = new double[seq * dirs * batch * h];
      double[] yh = new double[dirs * batch * h];
      double[] yc = new double[dirs * batch * h];
      int perDir = acts.size() / dirs;
      for (int d = 0; d < dirs; d++) {
        List<DoubleUnaryOperator> a = acts.subList(d * perDir, (d + 1) * perDir);
        for (int n = 0; n < batch; n++) {
          double[] hs = new double[h];
          double[] cs = new double[h];
          for (int j = 0; j < h; j++) {
            hs[j] = h0 == null ? 0 : h0[(d * batch + n) * h + j];
            cs[j] = c0 == null ? 0 : c0[(d * batch + n) * h + j];
          }
          long len = lens == null ? seq : lens[n];
          boolean back = d == 1 || reverse;
          for (int k = 0; k < seq; k++) {
            int t = back ? seq - 1 - k : k;
            if (t >= len) {
              continue; // Y stays zero, the state carries over
            }
            double[] xw = new double[g * h]; // x W^T + Wb
            double[] hr = new double[g * h]; // H R^T + Rb
            for (int q = 0; q < g * h; q++) {
              double s = b == null ? 0 : b[d * 2 * g * h + q];
              for (int i = 0; i < input; i++) {
                s += x[(t * batch + n) * input + i] * w[(d * g * h + q) * input + i];
              }
              xw[q] = s;
              double u = b == null ? 0 : b[d * 2 * g * h + g * h + q];
              for (int i = 0; i < h; i++) {
                u += hs[i] * r[(d * g * h + q) * h + i];
              }
              hr[q] = u;
            }
            double[] nh = new double[h];
            double[] nc = new double[h];
            for (int j = 0; j < h; j++) {
              switch (op) {
                case "RNN" -> nh[j] = a.get(0).applyAsDouble(clip(xw[j] + hr[j]));
                case "GRU" -> {
                  double z = a.get(0).applyAsDouble(clip(xw[j] + hr[j]));
                  double rr = a.get(0).applyAsDouble(clip(xw[h + j] + hr[h + j]));
                  double pre;
                  if (lbr) {
                    pre = xw[2 * h + j] + rr * hr[2 * h + j];
                  } else {
                    // (r * H) R_h^T + Rb_h: the reset gate scales the state before the product.
                    double u = b == null ? 0 : b[d * 2 * g * h + g * h + 2 * h + j];
                    for (int i = 0; i < h; i++) {
                      double ri = a.get(0).applyAsDouble(clip(xw[h + i] + hr[h + i]));
                      u += ri * hs[i] * r[(d * g * h + 2 * h + j) * h + i];
                    }
                    pre = xw[2 * h + j] + u;
                  }
                  double cand = a.get(1).applyAsDouble(clip(pre));
                  nh[j] = (1 - z) * cand + z * hs[j];
                }
                default -> {
                  double pi = p == null ? 0 : p[d * 3 * h + j];
                  double po = p == null ? 0 : p[d * 3 * h + h + j];
                  double pf = p == null ? 0 : p[d * 3 * h + 2 * h + j];
                  double i = a.get(0).applyAsDouble(xw[j] + hr[j] + pi * cs[j]);
                  double f = a.get(0).applyAsDouble(xw[2 * h + j] + hr[2 * h + j] + pf * cs[j]);
                  double c = a.get(1).applyAsDouble(xw[3 * h + j] + hr[3 * h + j]);
                  nc[j] = f * cs[j] + i * c;
                  double o = a.get(0).applyAsDouble(xw[h + j] + hr[h + j] + po * nc[j]);
                  nh[j] = o * a.get(2).applyAsDouble(nc[j]);
                }
              }
            }
            hs = nh;
            cs = nc;
            for (int j = 0; j < h; j++) {
              y[((t * dirs + d) * batch + n) * h + j] = hs[j];
            }
          }
          for (int j = 0; j < h; j++) {
            yh[(d * batch + n) * h + j] = hs[j];
            yc[(d * batch + n) * h + j] = cs[j];
          }
        }
      }
      return new double[][] {y, yh, yc};
    }

    private double clip(double v) {
      return Double.isNaN(clip) ? v : Math.max(-clip, Math.min(clip, v));
    }
  }

  private static final DoubleUnaryOperator SIGMOID = v -> 1 / (1 + Math.exp(-v));
  private static final DoubleUnaryOperator TANH = Math::tanh;

  /** Builds the ONNX model of {@code c} (graph inputs for everything given), runs it, returns outputs by name. */
  private static Map<String, Tensor> runCase(Case c, int layout, Map<String, Object> attrs, boolean lensAtRunTime) {
    int g = c.gates();
    OnnxModelBuilder m = new OnnxModelBuilder(c.op()).opset(14);
    Map<String, Tensor> in = new HashMap<>();
    List<String> names = new ArrayList<>();
    float[] x = layout == 0 ? c.x() : swap01(c.x(), c.seq(), c.batch(), c.input());
    Shape xs = layout == 0 ? Shape.of(c.seq(), c.batch(), c.input()) : Shape.of(c.batch(), c.seq(), c.input());
    addInput(m, in, names, "X", Tensor.ofFloats(xs, x));
    addInput(m, in, names, "W", Tensor.ofFloats(Shape.of(c.dirs(), g * c.hidden(), c.input()), c.w()));
    addInput(m, in, names, "R", Tensor.ofFloats(Shape.of(c.dirs(), g * c.hidden(), c.hidden()), c.r()));
    optional(m, in, names, "B", c.b() == null ? null : Tensor.ofFloats(Shape.of(c.dirs(), 2 * g * c.hidden()), c.b()));
    if (c.lens() == null) {
      names.add("");
    } else if (lensAtRunTime) {
      addInput(m, in, names, "sequence_lens", Tensor.ofLongs(DType.INT32, Shape.of(c.batch()), c.lens()));
    } else {
      names.add(m.initializerInt64("sequence_lens", c.lens(), c.batch()));
    }
    Shape state = layout == 0 ? Shape.of(c.dirs(), c.batch(), c.hidden()) : Shape.of(c.batch(), c.dirs(), c.hidden());
    optional(m, in, names, "initial_h", c.h0() == null ? null
        : Tensor.ofFloats(state, layout == 0 ? c.h0() : swap01(c.h0(), c.dirs(), c.batch(), c.hidden())));
    if (c.op().equals("LSTM")) {
      optional(m, in, names, "initial_c", c.c0() == null ? null
          : Tensor.ofFloats(state, layout == 0 ? c.c0() : swap01(c.c0(), c.dirs(), c.batch(), c.hidden())));
      optional(m, in, names, "P", c.p() == null ? null : Tensor.ofFloats(Shape.of(c.dirs(), 3 * c.hidden()), c.p()));
    }
    while (names.get(names.size() - 1).isEmpty()) {
      names.remove(names.size() - 1);
    }
    List<String> outs = c.op().equals("LSTM") ? List.of("Y", "Y_h", "Y_c") : List.of("Y", "Y_h");
    Map<String, Object> all = new LinkedHashMap<>(attrs);
    all.put("hidden_size", (long) c.hidden());
    if (layout != 0) {
      all.put("layout", (long) layout);
    }
    if (c.dirs() == 2) {
      all.put("direction", "bidirectional");
    } else if (c.reverse()) {
      all.put("direction", "reverse");
    }
    m.node(c.op(), names, outs, all);
    outs.forEach(o -> m.outputOfAnyShape(o, F));
    return run(m, in);
  }

  private static void addInput(OnnxModelBuilder m, Map<String, Tensor> in, List<String> names, String name, Tensor t) {
    m.input(name, t.dtype(), java.util.Arrays.stream(t.shape().dims()).boxed().toArray());
    in.put(name, t);
    names.add(name);
  }

  private static void optional(OnnxModelBuilder m, Map<String, Tensor> in, List<String> names, String name, Tensor t) {
    if (t == null) {
      names.add("");
    } else {
      addInput(m, in, names, name, t);
    }
  }

  /** [a, b, c] row-major to [b, a, c]. */
  private static float[] swap01(float[] v, int a, int b, int c) {
    float[] o = new float[v.length];
    for (int i = 0; i < a; i++) {
      for (int j = 0; j < b; j++) {
        System.arraycopy(v, (i * b + j) * c, o, (j * a + i) * c, c);
      }
    }
    return o;
  }

  private static double[] swap01(double[] v, int a, int b, int c) {
    double[] o = new double[v.length];
    for (int i = 0; i < a; i++) {
      for (int j = 0; j < b; j++) {
        System.arraycopy(v, (i * b + j) * c, o, (j * a + i) * c, c);
      }
    }
    return o;
  }

  @Test
  void bidirectionalLstmWithPeepholesStatesAndRunTimeLengthsMatchesTheDefinition() {
    Random rnd = new Random(12);
    int seq = 4, batch = 3, input = 2, h = 3, dirs = 2;
    Case c = new Case("LSTM", seq, batch, input, h, dirs, false, random(rnd, seq * batch * input),
        random(rnd, dirs * 4 * h * input), random(rnd, dirs * 4 * h * h), random(rnd, dirs * 8 * h),
        new long[] {4, 1, 2}, random(rnd, dirs * batch * h), random(rnd, dirs * batch * h), random(rnd, dirs * 3 * h),
        false, Double.NaN, List.of(SIGMOID, TANH, TANH, SIGMOID, TANH, TANH));
    Map<String, Tensor> got = runCase(c, 0, Map.of(), true);
    double[][] want = c.reference();
    assertClose(want[0], got.get("Y"), "Y");
    assertClose(want[1], got.get("Y_h"), "Y_h");
    assertClose(want[2], got.get("Y_c"), "Y_c");
  }

  @Test
  void batchFirstBidirectionalGruWithLinearBeforeResetMatchesTheDefinition() {
    Random rnd = new Random(7);
    int seq = 3, batch = 2, input = 3, h = 4, dirs = 2;
    Case c = new Case("GRU", seq, batch, input, h, dirs, false, random(rnd, seq * batch * input),
        random(rnd, dirs * 3 * h * input), random(rnd, dirs * 3 * h * h), random(rnd, dirs * 6 * h), null,
        random(rnd, dirs * batch * h), null, null, true, Double.NaN, List.of(SIGMOID, TANH, SIGMOID, TANH));
    Map<String, Tensor> got = runCase(c, 1, Map.of("linear_before_reset", 1L), false);
    double[][] want = c.reference();
    // Y [seq, dirs, batch, h] -> [batch, seq, dirs, h]; Y_h [dirs, batch, h] -> [batch, dirs, h].
    double[] y = new double[want[0].length];
    for (int t = 0; t < seq; t++) {
      for (int d = 0; d < dirs; d++) {
        for (int n = 0; n < batch; n++) {
          System.arraycopy(want[0], ((t * dirs + d) * batch + n) * h, y, ((n * seq + t) * dirs + d) * h, h);
        }
      }
    }
    assertClose(y, got.get("Y"), "Y");
    assertClose(swap01(want[1], dirs, batch, h), got.get("Y_h"), "Y_h");
  }

  @Test
  void reverseGruWithConstantPartialLengthsResetsEachRowAtItsOwnLastStep() {
    Random rnd = new Random(3);
    int seq = 4, batch = 2, input = 2, h = 2;
    Case c = new Case("GRU", seq, batch, input, h, 1, true, random(rnd, seq * batch * input), random(rnd, 3 * h * input),
        random(rnd, 3 * h * h), random(rnd, 6 * h), new long[] {2, 4}, null, null, null, false, Double.NaN,
        List.of(SIGMOID, TANH));
    Map<String, Tensor> got = runCase(c, 0, Map.of(), false);
    double[][] want = c.reference();
    assertClose(want[0], got.get("Y"), "Y");
    assertClose(want[1], got.get("Y_h"), "Y_h");
  }

  @Test
  void rnnWithClipAndAParameterizedActivationMatchesTheDefinition() {
    Random rnd = new Random(5);
    int seq = 3, batch = 2, input = 3, h = 2;
    DoubleUnaryOperator leaky = v -> v < 0 ? 0.3 * v : v;
    Case c = new Case("RNN", seq, batch, input, h, 1, false, random(rnd, seq * batch * input), random(rnd, h * input),
        random(rnd, h * h), random(rnd, 2 * h), null, null, null, null, false, 0.4, List.of(leaky));
    Map<String, Tensor> got = runCase(c, 0,
        Map.of("clip", 0.4f, "activations", List.of("LeakyRelu"), "activation_alpha", List.of(0.3f)), false);
    double[][] want = c.reference();
    assertClose(want[0], got.get("Y"), "Y");
    assertClose(want[1], got.get("Y_h"), "Y_h");
  }

  /** Einsum by brute force over every assignment of the labels (letters only, explicit output). */
  private static double[] einsum(String equation, List<float[]> xs, List<int[]> shapes) {
    String[] sides = equation.split("->", -1);
    String[] terms = sides[0].split(",");
    String out = sides[1];
    Map<Character, Integer> size = new LinkedHashMap<>();
    for (int i = 0; i < terms.length; i++) {
      for (int a = 0; a < terms[i].length(); a++) {
        size.put(terms[i].charAt(a), shapes.get(i)[a]);
      }
    }
    List<Character> labels = new ArrayList<>(size.keySet());
    int outSize = 1;
    for (char c : out.toCharArray()) {
      outSize *= size.get(c);
    }
    double[] y = new double[outSize];
    int[] idx = new int[labels.size()];
    while (true) {
      double prod = 1;
      for (int i = 0; i < terms.length; i++) {
        prod *= xs.get(i)[flat(terms[i], shapes.get(i), labels, idx)];
      }
      int o = 0;
      for (char c : out.toCharArray()) {
        o = o * size.get(c) + idx[labels.indexOf(c)];
      }
      y[o] += prod;
      int k = labels.size() - 1;
      while (k >= 0 && ++idx[k] == size.get(labels.get(k))) {
        idx[k--] = 0;
      }
      if (k < 0) {
        return y;
      }
    }
  }

  private static int flat(String term, int[] shape, List<Character> labels, int[] idx) {
    int f = 0;
    for (int a = 0; a < term.length(); a++) {
      f = f * shape[a] + idx[labels.indexOf(term.charAt(a))];
    }
    return f;
  }

  private static void checkEinsum(String modelEquation, String referenceEquation, int[]... shapes) {
    Random rnd = new Random(modelEquation.hashCode());
    OnnxModelBuilder m = new OnnxModelBuilder("einsum").opset(12);
    Map<String, Tensor> in = new HashMap<>();
    List<String> names = new ArrayList<>();
    List<float[]> xs = new ArrayList<>();
    for (int i = 0; i < shapes.length; i++) {
      float[] x = random(rnd, Shape.of(shapes[i]).size());
      xs.add(x);
      addInput(m, in, names, "x" + i, Tensor.ofFloats(Shape.of(shapes[i]), x));
    }
    m.node("Einsum", names, List.of("y"), Map.of("equation", modelEquation));
    m.outputOfAnyShape("y", F);
    assertClose(einsum(referenceEquation, xs, List.of(shapes)), run(m, in).get("y"), modelEquation);
  }

  @Test
  void einsumWithThreeOperandsATraceAndAnImplicitOutputMatchesBruteForce() {
    checkEinsum("ij,jk,kl->li", "ij,jk,kl->li", new int[] {2, 3}, new int[] {3, 4}, new int[] {4, 2});
    checkEinsum("ii", "ii->", new int[] {4, 4});
    checkEinsum("ji,jk", "ji,jk->ik", new int[] {3, 2}, new int[] {3, 4});
    checkEinsum("bij,bkj->bik", "bij,bkj->bik", new int[] {2, 3, 4}, new int[] {2, 5, 4});
    checkEinsum("iij,jk->ik", "iij,jk->ik", new int[] {3, 3, 2}, new int[] {2, 2});
    checkEinsum("abc,cb->a", "abc,cb->a", new int[] {2, 3, 4}, new int[] {4, 3});
  }
}
