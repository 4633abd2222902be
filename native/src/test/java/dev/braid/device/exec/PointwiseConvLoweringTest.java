package dev.braid.device.exec;

import static dev.braid.device.FloatBits.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Precision;
import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A pointwise convolution lowered to a GEMM computes what the convolution does, bit for bit. */
class PointwiseConvLoweringTest {
  private final CpuDevice device = new CpuDevice(2, 1 << 28);
  private final Random rnd = new Random(7);

  @AfterEach
  void close() {
    device.close();
  }

  @Test
  void onlyExactlyPointwiseUngroupedConvolutionsWithoutActivationBecomeGemms() {
    assertEquals(Optional.empty(), SpatialLowering.asGemm(Conv2d.simple(1, 8, 9, 9, 16, 3, 1, 1, 1)), "3x3");
    assertEquals(Optional.empty(), SpatialLowering.asGemm(Conv2d.simple(1, 64, 28, 28, 128, 1, 2, 0, 1)), "stride 2");
    assertEquals(Optional.empty(), SpatialLowering.asGemm(Conv2d.simple(1, 8, 9, 9, 16, 1, 1, 1, 1)), "padded");
    assertEquals(Optional.empty(), SpatialLowering.asGemm(Conv2d.simple(1, 8, 9, 9, 16, 1, 1, 0, 2)), "groups 2");
    assertEquals(Optional.empty(), SpatialLowering.asGemm(Conv2d.simple(1, 8, 9, 9, 8, 1, 1, 0, 8)), "depthwise");
    assertEquals(Optional.empty(), SpatialLowering.asGemm(
        new Conv2d(1, 8, 9, 9, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.RELU)), "fused Relu");
    assertEquals(Optional.empty(), SpatialLowering.asGemm(
        Conv2d.simple(1, 8, 9, 9, 16, 1, 1, 0, 1).withPrecision(Precision.BF16_FP32_ACC)), "bf16");
    Gemm g = SpatialLowering.asGemm(
        new Conv2d(3, 24, 7, 5, 144, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.NONE)).orElseThrow();
    assertEquals(new Gemm(3, 144, 35, 24, false, false, 1f, 1f, GemmBias.PER_ROW,
        new int[] {0, 0, 0}, new int[] {0, 24 * 35, 2 * 24 * 35}), g);
  }

  @Test
  void theGemmEqualsTheConvolutionBitForBitOnTheReferenceDevice() {
    List<Conv2d> convs = List.of(
        Conv2d.simple(1, 24, 28, 28, 144, 1, 1, 0, 1),
        Conv2d.simple(1, 32, 112, 112, 16, 1, 1, 0, 1),
        Conv2d.simple(3, 8, 5, 7, 12, 1, 1, 0, 1),
        new Conv2d(2, 320, 7, 7, 1280, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.NONE),
        new Conv2d(1, 16, 4, 4, 40, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.NONE));
    for (Conv2d c : convs) {
      float[] x = random(c.n() * c.c() * c.h() * c.w());
      float[] w = random(c.k() * c.c());
      float[] b = random(c.k());
      float[][] convArgs = c.hasBias() ? new float[][] {x, w, b} : new float[][] {x, w};
      float[][] gemmArgs = c.hasBias() ? new float[][] {w, x, b} : new float[][] {w, x};
      Gemm g = SpatialLowering.asGemm(c).orElseThrow();
      assertArrayEquals(bits(run(c, convArgs)), bits(run(g, gemmArgs)), c.toString());
    }
  }

  @Test
  void theLoweringEmitsTheGemmWithWeightsFirstAndKeepsConvolutionsWithAFusedActivation() {
    Graph g = new Graph();
    g.input("x", 2, 8, 5, 5);
    g.constant("w", 12, 8, 1, 1);
    g.constant("b", 12);
    g.constant("w2", 6, 12, 1, 1);
    g.node("Conv", List.of("x", "w", "b"), "c", Shape.of(2, 12, 5, 5));
    g.node("Conv", List.of("c", "w2"), "d", Shape.of(2, 6, 5, 5));
    g.node("Relu", List.of("d"), "y", Shape.of(2, 6, 5, 5));
    ModelGraph graph = g.build("y");
    Lowered lowered = Lowering.lower(graph);
    assertEquals(2, lowered.steps().size(), lowered.steps().toString());
    Step pointwise = lowered.steps().get(0);
    assertInstanceOf(Gemm.class, pointwise.kernel());
    assertEquals(List.of("w", "x", "b", "c"), pointwise.args());
    Step fused = lowered.steps().get(1);
    assertEquals(Activation.RELU, assertInstanceOf(Conv2d.class, fused.kernel()).activation());

    // and the compiled model computes the convolutions' result
    Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(Shape.of(2, 8, 5, 5), random(2 * 8 * 25)));
    float[] got;
    try (CompiledModel m = ModelExecutor.compile(graph, device)) {
      got = m.run(in).toCompletableFuture().join().get("y").floats();
    }
    Conv2d first = new Conv2d(2, 8, 5, 5, 12, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.NONE);
    Conv2d second = new Conv2d(2, 12, 5, 5, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false, Activation.RELU);
    float[] c = run(first, in.get("x").floats(), g.constants.get("w").floats(), g.constants.get("b").floats());
    float[] y = run(second, c, g.constants.get("w2").floats());
    assertArrayEquals(bits(y), bits(got));
  }

  private float[] run(Kernel k, float[]... inputs) {
    List<BufferSlice> args = new ArrayList<>();
    for (float[] in : inputs) {
      BufferSlice s = device.allocate(4L * in.length).whole();
      device.upload(in, s, device.defaultStream()).toCompletableFuture().join();
      args.add(s);
    }
    BufferSlice out = device.allocate(k.argBytes(inputs.length)).whole();
    args.add(out);
    device.launch(new KernelLaunch(k, args), device.defaultStream()).toCompletableFuture().join();
    return device.download(out, device.defaultStream()).toCompletableFuture().join();
  }

  private float[] random(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextFloat() * 2 - 1;
    }
    return a;
  }

  /** A graph builder: values get shapes as nodes are added. */
  private final class Graph {
    final List<ValueInfo> inputs = new ArrayList<>();
    final Map<String, Tensor> constants = new LinkedHashMap<>();
    final List<Node> nodes = new ArrayList<>();
    final Map<String, ValueInfo> values = new LinkedHashMap<>();

    void input(String name, int... dims) {
      ValueInfo v = new ValueInfo(name, DType.FLOAT32, Shape.of(dims));
      inputs.add(v);
      values.put(name, v);
    }

    void constant(String name, int... dims) {
      constants.put(name, Tensor.ofFloats(Shape.of(dims), random(Shape.of(dims).size())));
      values.put(name, new ValueInfo(name, DType.FLOAT32, Shape.of(dims)));
    }

    void node(String op, List<String> in, String out, Shape shape) {
      nodes.add(new Node(out + "_node", op, in, List.of(out), Attributes.of(Map.<String, Attribute>of())));
      values.put(out, new ValueInfo(out, DType.FLOAT32, shape));
    }

    ModelGraph build(String output) {
      return new ModelGraph("pointwise", 2, inputs, List.of(values.get(output)), constants, nodes, values);
    }
  }
}
