package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cpu.Naive;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.Pool2d;
import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExecutorTest {
  private final CpuDevice device = new CpuDevice(2, 1 << 28);
  private final Random rnd = new Random(42);

  @AfterEach
  void close() {
    device.close();
  }

  /** A tiny graph builder: values get shapes as nodes are added. */
  private final class G {
    final List<ValueInfo> inputs = new ArrayList<>();
    final Map<String, Tensor> constants = new LinkedHashMap<>();
    final List<Node> nodes = new ArrayList<>();
    final Map<String, ValueInfo> values = new LinkedHashMap<>();

    String input(String name, int... dims) {
      ValueInfo v = new ValueInfo(name, DType.FLOAT32, Shape.of(dims));
      inputs.add(v);
      values.put(name, v);
      return name;
    }

    float[] constant(String name, int... dims) {
      float[] d = new float[Shape.of(dims).size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = rnd.nextFloat() - 0.5f;
      }
      constants.put(name, Tensor.ofFloats(Shape.of(dims), d));
      values.put(name, new ValueInfo(name, DType.FLOAT32, Shape.of(dims)));
      return d;
    }

    String node(String op, List<String> in, Shape out, Map<String, Attribute> attrs) {
      String name = op.toLowerCase() + nodes.size();
      nodes.add(new Node(name, op, in, List.of(name), Attributes.of(attrs)));
      values.put(name, new ValueInfo(name, DType.FLOAT32, out));
      return name;
    }

    ModelGraph build(String... outputs) {
      List<ValueInfo> outs = new ArrayList<>();
      for (String o : outputs) {
        outs.add(values.get(o));
      }
      return new ModelGraph("test", 1, inputs, outs, constants, nodes, values);
    }
  }

  private float[] random(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextFloat() * 2 - 1;
    }
    return a;
  }

  private Map<String, Tensor> run(ModelGraph g, Map<String, Tensor> in) {
    try (CompiledModel m = ModelExecutor.compile(g, device)) {
      return m.run(in).toCompletableFuture().join();
    }
  }

  private static void assertClose(float[] e, float[] a, String what) {
    assertEquals(e.length, a.length, what);
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(e[i] - a[i]) <= 1e-5 + 1e-4 * Math.abs(e[i]), what + " at " + i + ": " + e[i] + " vs " + a[i]);
    }
  }

  @Test
  void gemmReluGemmMatchesHandComposition() {
    G g = new G();
    String x = g.input("x", 2, 8);
    float[] w1 = g.constant("w1", 16, 8), b1 = g.constant("b1", 16);
    float[] w2 = g.constant("w2", 16, 4), b2 = g.constant("b2", 1, 4);
    String h = g.node("Gemm", List.of(x, "w1", "b1"), Shape.of(2, 16), Map.of("transB", new Attribute.Int(1)));
    String r = g.node("Relu", List.of(h), Shape.of(2, 16), Map.of());
    String y = g.node("Gemm", List.of(r, "w2", "b2"), Shape.of(2, 4), Map.of("alpha", new Attribute.Float(0.5f)));
    float[] xin = random(16);
    float[] got = run(g.build(y), Map.of("x", Tensor.ofFloats(Shape.of(2, 8), xin))).get(y).floats();
    float[] hid = Naive.gemm(Gemm.of(2, 16, 8, false, true, 1f, 1f, GemmBias.PER_COLUMN), xin, w1, b1);
    for (int i = 0; i < hid.length; i++) {
      hid[i] = Math.max(0, hid[i]);
    }
    assertClose(Naive.gemm(Gemm.of(2, 4, 16, false, false, 0.5f, 1f, GemmBias.PER_COLUMN), hid, w2, b2), got, "mlp");
  }

  @Test
  void convNetMatchesHandCompositionAndFusesRelu() {
    G g = new G();
    String x = g.input("x", 1, 3, 10, 10);
    float[] w = g.constant("w", 8, 3, 3, 3), b = g.constant("b", 8), fc = g.constant("fc", 4, 8), fb = g.constant("fb", 4);
    String c = g.node("Conv", List.of(x, "w", "b"), Shape.of(1, 8, 10, 10), Map.of("pads", new Attribute.Ints(new long[] {1, 1, 1, 1})));
    String r = g.node("Relu", List.of(c), Shape.of(1, 8, 10, 10), Map.of());
    String p = g.node("MaxPool", List.of(r), Shape.of(1, 8, 5, 5), Map.of("kernel_shape", new Attribute.Ints(new long[] {2, 2}),
        "strides", new Attribute.Ints(new long[] {2, 2})));
    String gap = g.node("GlobalAveragePool", List.of(p), Shape.of(1, 8, 1, 1), Map.of());
    String f = g.node("Flatten", List.of(gap), Shape.of(1, 8), Map.of());
    String y = g.node("Gemm", List.of(f, "fc", "fb"), Shape.of(1, 4), Map.of("transB", new Attribute.Int(1)));
    ModelGraph graph = g.build(y);
    try (CompiledModel m = ModelExecutor.compile(graph, device)) {
      assertEquals(4, m.steps().size(), "Relu fused into Conv and Flatten aliased: " + m.steps());
    }
    float[] xin = random(300);
    float[] got = run(graph, Map.of("x", Tensor.ofFloats(Shape.of(1, 3, 10, 10), xin))).get(y).floats();
    float[] conv = Naive.conv(new Conv2d(1, 3, 10, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU), xin, w, b);
    float[] pool = Naive.pool(Pool2d.simple(Pool2d.PoolMode.MAX, 1, 8, 10, 10, 2, 2, 0), conv);
    float[] avg = new float[8];
    for (int ch = 0; ch < 8; ch++) {
      double s = 0;
      for (int i = 0; i < 25; i++) {
        s += pool[ch * 25 + i];
      }
      avg[ch] = (float) (s / 25);
    }
    assertClose(Naive.gemm(Gemm.of(1, 4, 8, false, true, 1f, 1f, GemmBias.PER_COLUMN), avg, fc, fb), got, "convnet");
  }

  @Test
  void attentionBlockMatchesHandComputation() {
    int s = 4, d = 6;
    G g = new G();
    String x = g.input("x", 1, s, d);
    float[] wq = g.constant("wq", d, d), gamma = g.constant("gamma", d), beta = g.constant("beta", d);
    String q = g.node("MatMul", List.of(x, "wq"), Shape.of(1, s, d), Map.of());
    String kt = g.node("Transpose", List.of(x), Shape.of(1, d, s), Map.of("perm", new Attribute.Ints(new long[] {0, 2, 1})));
    String scores = g.node("MatMul", List.of(q, kt), Shape.of(1, s, s), Map.of());
    String p = g.node("Softmax", List.of(scores), Shape.of(1, s, s), Map.of("axis", new Attribute.Int(-1)));
    String ctx = g.node("MatMul", List.of(p, x), Shape.of(1, s, d), Map.of());
    String res = g.node("Add", List.of(ctx, x), Shape.of(1, s, d), Map.of());
    String y = g.node("LayerNormalization", List.of(res, "gamma", "beta"), Shape.of(1, s, d), Map.of());
    float[] xin = random(s * d);
    float[] got = run(g.build(y), Map.of("x", Tensor.ofFloats(Shape.of(1, s, d), xin))).get(y).floats();
    double[] expected = new double[s * d];
    for (int i = 0; i < s; i++) {
      double[] qi = new double[d];
      for (int j = 0; j < d; j++) {
        for (int k = 0; k < d; k++) {
          qi[j] += xin[i * d + k] * wq[k * d + j];
        }
      }
      double[] sc = new double[s];
      double sum = 0;
      for (int t = 0; t < s; t++) {
        for (int j = 0; j < d; j++) {
          sc[t] += qi[j] * xin[t * d + j];
        }
      }
      double max = java.util.Arrays.stream(sc).max().getAsDouble();
      for (int t = 0; t < s; t++) {
        sc[t] = Math.exp(sc[t] - max);
        sum += sc[t];
      }
      double[] row = new double[d];
      for (int j = 0; j < d; j++) {
        for (int t = 0; t < s; t++) {
          row[j] += sc[t] / sum * xin[t * d + j];
        }
        row[j] += xin[i * d + j];
      }
      double mean = java.util.Arrays.stream(row).average().getAsDouble(), var = 0;
      for (double v : row) {
        var += (v - mean) * (v - mean) / d;
      }
      for (int j = 0; j < d; j++) {
        expected[i * d + j] = (row[j] - mean) / Math.sqrt(var + 1e-5) * gamma[j] + beta[j];
      }
    }
    float[] e = new float[expected.length];
    for (int i = 0; i < e.length; i++) {
      e[i] = (float) expected[i];
    }
    assertClose(e, got, "attention");
  }

  @Test
  void batchedMatMulBroadcastsBatchDims() {
    G g = new G();
    String a = g.input("a", 2, 1, 3, 4);
    String b = g.input("b", 3, 4, 5);
    String y = g.node("MatMul", List.of(a, b), Shape.of(2, 3, 3, 5), Map.of());
    float[] av = random(24), bv = random(60);
    float[] got = run(g.build(y), Map.of("a", Tensor.ofFloats(Shape.of(2, 1, 3, 4), av), "b", Tensor.ofFloats(Shape.of(3, 4, 5), bv))).get(y).floats();
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        for (int r = 0; r < 3; r++) {
          for (int c = 0; c < 5; c++) {
            double sum = 0;
            for (int k = 0; k < 4; k++) {
              sum += av[i * 12 + r * 4 + k] * bv[j * 20 + k * 5 + c];
            }
            assertEquals(sum, got[((i * 3 + j) * 3 + r) * 5 + c], 1e-5);
          }
        }
      }
    }
  }

  @Test
  void inputValidationNamesInputExpectedAndReceived() {
    G g = new G();
    String x = g.input("x", 2, 3);
    String y = g.node("Relu", List.of(x), Shape.of(2, 3), Map.of());
    try (CompiledModel m = ModelExecutor.compile(g.build(y), device)) {
      Map<String, Tensor> none = new HashMap<>();
      String missing = assertThrows(CompletionException.class, () -> m.run(none).toCompletableFuture().join()).getCause().getMessage();
      assertTrue(missing.contains("'x' is missing") && missing.contains("[2, 3]"), missing);
      String shape = assertThrows(CompletionException.class,
          () -> m.run(Map.of("x", Tensor.ofFloats(Shape.of(3, 2), new float[6]))).toCompletableFuture().join()).getCause().getMessage();
      assertTrue(shape.contains("expected shape [2, 3], received [3, 2]"), shape);
      String dtype = assertThrows(CompletionException.class,
          () -> m.run(Map.of("x", Tensor.ofLongs(Shape.of(2, 3), new long[6]))).toCompletableFuture().join()).getCause().getMessage();
      assertTrue(dtype.contains("expected dtype FLOAT32, received INT64"), dtype);
      float[] ok = m.run(Map.of("x", Tensor.ofFloats(Shape.of(2, 3), new float[] {-1, 2, -3, 4, -5, 6}))).toCompletableFuture().join().get(y).floats();
      assertEquals(List.of(0f, 2f, 0f, 4f, 0f, 6f), List.of(ok[0], ok[1], ok[2], ok[3], ok[4], ok[5]));
    }
    assertEquals(0, device.allocatedBytes(), "weights and arenas freed");
  }

  @Test
  void unsupportedOperatorNamesNodeAndOp() {
    G g = new G();
    String x = g.input("x", 2);
    String y = g.node("Det", List.of(x), Shape.of(2), Map.of());
    ModelException e = assertThrows(ModelException.class, () -> ModelExecutor.compile(g.build(y), device));
    assertTrue(e.getMessage().contains("det0") && e.getMessage().contains("Det"), e.getMessage());
  }
}
