package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.Device;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.NodeProto;
import dev.braid.model.onnx.OnnxProto.OperatorSetIdProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto;
import dev.braid.model.onnx.OnnxProto.TypeProto;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, decomposed at load, run on {@link
 * CpuDevice} with targets given at run time (INT64 inputs, carried as float32) and compared with
 * a direct evaluation of ONNX's definition written here: every reduction, with and without
 * weights and ignore_index, N-d inputs, SCE's log_prob, and the documented answer for a target
 * outside the classes (NaN for its element, never a read out of bounds). {@code
 * LossNodeEmulatedTest} runs the same cases on CUDA's kernels over the emulated driver.
 */
public class LossNodeTest {
  private static final CpuDevice DEVICE = new CpuDevice(2, 1 << 26);
  private static final int N = 2, C = 4, D1 = 3, D2 = 2;

  @AfterAll
  static void close() {
    DEVICE.close();
  }

  /** The device the cases run on. */
  protected Device device() {
    return DEVICE;
  }

  @Test
  public void negativeLogLikelihoodMatchesTheDefinitionForEveryReductionWeightAndIgnoreIndex() {
    Random r = new Random(7);
    float[] x = random(r, N * C * D1 * D2);
    long[] t = targets(r, N * D1 * D2);
    t[0] = 2; // the ignore_index below, so ignoring is exercised
    float[] w = {0.5f, 1.5f, 2f, 0.25f};
    for (String reduction : new String[] {"none", "sum", "mean"}) {
      for (boolean weighted : new boolean[] {false, true}) {
        for (Long ii : new Long[] {null, 2L, -7L}) {
          String what = reduction + (weighted ? " weighted" : "") + (ii == null ? "" : " ignore_index " + ii);
          Map<String, Tensor> got = run(13, "NegativeLogLikelihoodLoss", reduction, ii, weighted ? w : null, false, x, t);
          float[] want = reference(x, t, weighted ? w : null, reduction, ii);
          assertClose(what, want, got.get("y"));
        }
      }
    }
  }

  @Test
  public void softmaxCrossEntropyAtOpsetTwelveAndThirteenGivesLossAndLogProb() {
    Random r = new Random(11);
    float[] x = random(r, N * C * D1 * D2);
    long[] t = targets(r, N * D1 * D2);
    t[3] = -1;
    float[] logProb = logSoftmaxOverClasses(x);
    for (int opset : new int[] {12, 13}) {
      Map<String, Tensor> got = run(opset, "SoftmaxCrossEntropyLoss", "mean", -1L, new float[] {1f, 2f, 3f, 4f}, true,
          x, t);
      assertClose("opset " + opset + " log_prob", logProb, got.get("lp"));
      assertClose("opset " + opset + " loss", reference(logProb, t, new float[] {1f, 2f, 3f, 4f}, "mean", -1L),
          got.get("y"));
    }
  }

  @Test
  public void aTargetOutsideTheClassesGivesNaNForItsElementAndNoOtherChange() {
    Random r = new Random(3);
    float[] x = random(r, N * C * D1 * D2);
    long[] t = targets(r, N * D1 * D2);
    t[1] = C; // one past the last class
    t[4] = -1; // negative, not the ignore_index: not taken from the end
    Tensor none = run(13, "NegativeLogLikelihoodLoss", "none", 0L, null, false, x, t).get("y");
    float[] want = reference(x, t, null, "none", 0L);
    for (int i = 0; i < want.length; i++) {
      if (i == 1 || i == 4) {
        assertTrue(Float.isNaN(none.floats()[i]), "element " + i + " of target " + t[i] + ": " + none.floats()[i]);
      } else {
        assertEquals(want[i], none.floats()[i], 1e-6, "element " + i);
      }
    }
    Tensor mean = run(13, "NegativeLogLikelihoodLoss", "mean", null, new float[] {1f, 1f, 1f, 1f}, false, x, t).get("y");
    assertTrue(Float.isNaN(mean.floats()[0]), "the reduced loss shows the bad target: " + mean.floats()[0]);
  }

  @Test
  public void targetsKnownAtLoadGiveTheSameLossWithTheirMasksFolded() {
    Random r = new Random(5);
    float[] x = random(r, N * C * D1 * D2);
    long[] t = targets(r, N * D1 * D2);
    t[2] = 9; // the ignore_index, out of the classes' range
    float[] w = {2f, 1f, 0.5f, 3f};
    for (String reduction : new String[] {"none", "mean"}) {
      Map<String, Tensor> got = run(13, "SoftmaxCrossEntropyLoss", reduction, 9L, w, false, x, t, true);
      assertClose("constant targets, " + reduction, reference(logSoftmaxOverClasses(x), t, w, reduction, 9L),
          got.get("y"));
    }
  }

  private Map<String, Tensor> run(int opset, String op, String reduction, Long ignoreIndex, float[] weight,
      boolean logProb, float[] x, long[] t) {
    return run(opset, op, reduction, ignoreIndex, weight, logProb, x, t, false);
  }

  /**
   * Binds the one-node model at its declared shapes, compiles it on {@link #device()} and runs it;
   * the targets are an INT64 graph input, or an initializer when {@code targetsConstant}.
   */
  private Map<String, Tensor> run(int opset, String op, String reduction, Long ignoreIndex, float[] weight,
      boolean logProb, float[] x, long[] t, boolean targetsConstant) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName("loss").addInput("x").addInput("t")
        .addOutput("y").addAttribute(AttributeProto.newBuilder().setName("reduction")
            .setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(reduction)));
    if (ignoreIndex != null) {
      node.addAttribute(AttributeProto.newBuilder().setName("ignore_index").setType(AttributeProto.AttributeType.INT)
          .setI(ignoreIndex));
    }
    GraphProto.Builder g = GraphProto.newBuilder()
        .addInput(value("x", TensorProto.DataType.FLOAT_VALUE, N, C, D1, D2));
    if (targetsConstant) {
      TensorProto.Builder init = TensorProto.newBuilder().setName("t").setDataType(TensorProto.DataType.INT64_VALUE)
          .addDims(N).addDims(D1).addDims(D2);
      for (long v : t) {
        init.addInt64Data(v);
      }
      g.addInitializer(init);
    } else {
      g.addInput(value("t", TensorProto.DataType.INT64_VALUE, N, D1, D2));
    }
    if (weight != null) {
      node.addInput("w");
      g.addInput(value("w", TensorProto.DataType.FLOAT_VALUE, C));
    }
    if (logProb) {
      node.addOutput("lp");
      g.addOutput(value("lp", TensorProto.DataType.FLOAT_VALUE, N, C, D1, D2));
    }
    g.addNode(node).addOutput(reduction.equals("none")
        ? value("y", TensorProto.DataType.FLOAT_VALUE, N, D1, D2) : value("y", TensorProto.DataType.FLOAT_VALUE));
    ModelProto m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    ModelGraph bound = OnnxImporter.parse(m.toByteArray(), "loss.onnx").bindDeclared(Map.of());
    Map<String, Tensor> in = new HashMap<>();
    in.put("x", Tensor.ofFloats(Shape.of(N, C, D1, D2), x));
    if (!targetsConstant) {
      in.put("t", Tensor.ofLongs(Shape.of(N, D1, D2), t));
    }
    if (weight != null) {
      in.put("w", Tensor.ofFloats(Shape.of(C), weight));
    }
    try (CompiledModel cm = ModelExecutor.compile(bound, device())) {
      return cm.run(in).toCompletableFuture().join();
    }
  }

  private static ValueInfoProto value(String name, int type, int... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
  }

  /**
   * ONNX's definition, element by element over x [N, C, D1, D2]: {@code -x[n, t, d] * w[t]}, 0 where
   * {@code t == ignoreIndex}; mean divides by the summed weights of the elements not ignored.
   */
  private static float[] reference(float[] x, long[] t, float[] w, String reduction, Long ignoreIndex) {
    int spatial = D1 * D2;
    float[] loss = new float[N * spatial];
    double sum = 0, weights = 0;
    for (int n = 0; n < N; n++) {
      for (int d = 0; d < spatial; d++) {
        int e = n * spatial + d;
        long c = t[e];
        if (ignoreIndex != null && c == ignoreIndex) {
          continue;
        }
        if (c < 0 || c >= C) {
          loss[e] = Float.NaN;
          sum = Double.NaN;
          continue;
        }
        float weight = w == null ? 1f : w[(int) c];
        loss[e] = -x[(n * C + (int) c) * spatial + d] * weight;
        sum += loss[e];
        weights += weight;
      }
    }
    return switch (reduction) {
      case "none" -> loss;
      case "sum" -> new float[] {(float) sum};
      default -> new float[] {(float) (sum / weights)};
    };
  }

  private static float[] logSoftmaxOverClasses(float[] x) {
    int spatial = D1 * D2;
    float[] y = new float[x.length];
    for (int n = 0; n < N; n++) {
      for (int d = 0; d < spatial; d++) {
        double max = Double.NEGATIVE_INFINITY, s = 0;
        for (int c = 0; c < C; c++) {
          max = Math.max(max, x[(n * C + c) * spatial + d]);
        }
        for (int c = 0; c < C; c++) {
          s += Math.exp(x[(n * C + c) * spatial + d] - max);
        }
        for (int c = 0; c < C; c++) {
          int i = (n * C + c) * spatial + d;
          y[i] = (float) (x[i] - max - Math.log(s));
        }
      }
    }
    return y;
  }

  private static float[] random(Random r, int size) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = r.nextFloat() * 4 - 2;
    }
    return a;
  }

  private static long[] targets(Random r, int size) {
    long[] a = new long[size];
    for (int i = 0; i < size; i++) {
      a[i] = r.nextInt(C);
    }
    return a;
  }

  private static void assertClose(String what, float[] want, Tensor got) {
    assertEquals(want.length, got.size(), what + ": element count");
    for (int i = 0; i < want.length; i++) {
      float h = got.floats()[i];
      assertTrue(Math.abs(h - want[i]) <= 1e-5 + 1e-4 * Math.abs(want[i]),
          what + ": element " + i + " expected " + want[i] + ", got " + h);
    }
  }
}
