package dev.braid.device.conformance;

import static dev.braid.device.conformance.OperatorConformanceTest.op;
import static dev.braid.device.conformance.OperatorConformanceTest.weight;
import static dev.braid.device.conformance.OperatorConformanceTest.weights;
import static dev.braid.model.DType.FLOAT32;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.Device;
import dev.braid.device.conformance.OperatorConformanceTest.Case;
import dev.braid.device.conformance.OrtOracle.InputFill;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.device.kernel.ConvNd;
import dev.braid.model.ModelException;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.OnnxModelBuilder;
import dev.braid.model.onnx.OnnxSingleOpBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conv and ConvTranspose over three spatial axes ({@link ConvNd}) against ONNX Runtime, over a
 * table of attribute combinations: group (dense, grouped, depthwise), strides, dilations, explicit
 * and asymmetric pads, every auto_pad, bias or none, and for ConvTranspose output_padding and
 * output_shape; the weights as initializers and, as PyTorch's exporter writes them, as graph
 * inputs; and a Conv3d + BatchNormalization + Relu graph. A model with a symbolic batch runs at
 * batch 1 and 3. Tolerance and reporting are {@link OrtOracle}'s. {@link #device()} is CpuDevice
 * here; {@code ConvNdConformanceGpuTest} runs the same table through the CUDA kernel.
 */
class ConvNdConformanceTest {
  private static final int[] BATCHES = {1, 3};
  private static final InputFill SIGNED = InputFill.uniform(-1, 1);
  private static CpuDevice cpu;

  Device device() {
    if (cpu == null) {
      cpu = new CpuDevice(2);
    }
    return cpu;
  }

  @AfterAll
  static void closeCpu() {
    if (cpu != null) {
      cpu.close();
      cpu = null;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesOnnxRuntime(Case c) {
    byte[] onnx = c.model().get();
    OrtOracle oracle = new OrtOracle(device());
    if (OnnxImporter.parse(onnx, c.name()).hasDynamicBatch()) {
      for (int batch : BATCHES) {
        oracle.check(c.name(), onnx, batch, c.name().hashCode(), c.fill());
      }
    } else {
      oracle.check(c.name(), onnx, OrtOracle.fixedBatch(onnx, c.name()), c.name().hashCode(), c.fill());
    }
  }

  /** A declared output that the attributes do not give is refused at load, naming the declared shape. */
  @Test
  void aDeclaredOutputTheAttributesDoNotGiveIsRefused() {
    byte[] onnx = weight(op("Conv", 11, "strides", new long[] {2, 2, 2}).input("X", FLOAT32, 1, 2, 5, 5, 5), "Wbad",
        3, 2, 2, 2, 2).output("Y", FLOAT32, 1, 3, 4, 2, 2).toBytes();
    String message = refusal(onnx);
    assertTrue(message.contains("[1, 3, 4, 2, 2]"), message);
  }

  /** Four spatial axes are beyond ConvNd: refused at load naming the supported ranks and the input. */
  @Test
  void fourSpatialAxesAreRefusedNamingTheRank() {
    byte[] onnx = weight(op("Conv", 11).input("X", FLOAT32, 1, 1, 3, 3, 3, 3), "W4d", 1, 1, 2, 2, 2, 2)
        .outputOfAnyShape("Y", FLOAT32).toBytes();
    String message = refusal(onnx);
    assertTrue(message.contains("only 1-D, 2-D and 3-D convolutions are supported, input is [1, 1, 3, 3, 3, 3]"),
        message);
  }

  /** The message of the ModelException that import, binding or compilation of {@code onnx} ends in. */
  private String refusal(byte[] onnx) {
    Exception e = assertThrows(Exception.class, () -> {
      try (CompiledModel m = ModelExecutor.compile(OnnxImporter.parse(onnx, "refused").bind(1), device())) {
        m.toString();
      }
    });
    Throwable cause = e;
    while (!(cause instanceof ModelException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    assertTrue(cause instanceof ModelException, String.valueOf(e));
    return cause.getMessage();
  }

  static Stream<Case> cases() {
    List<Case> all = new ArrayList<>();
    conv(all);
    convTranspose(all);
    graphs(all);
    return all.stream();
  }

  /** X is [batch, c, spatial...]; W's shape and the attributes vary. */
  private record C(String label, long[] x, long[] w, boolean bias, Object[] attrs) {}

  private static void conv(List<Case> all) {
    List<C> cs = List.of(
        new C("3x3x3 pads 1, bias", new long[] {3, 5, 6, 7}, new long[] {4, 3, 3, 3, 3}, true,
            new Object[] {"pads", new long[] {1, 1, 1, 1, 1, 1}}),
        new C("2x3x4 no pads, no bias", new long[] {3, 3, 4, 5}, new long[] {4, 3, 2, 3, 4}, false, new Object[] {}),
        new C("strides [2,1,2], bias", new long[] {2, 7, 6, 8}, new long[] {3, 2, 3, 3, 3}, true,
            new Object[] {"strides", new long[] {2, 1, 2}}),
        new C("dilations [2,1,2], asymmetric pads [1,0,2,0,1,1], bias", new long[] {2, 7, 5, 8},
            new long[] {3, 2, 2, 3, 3}, true,
            new Object[] {"dilations", new long[] {2, 1, 2}, "pads", new long[] {1, 0, 2, 0, 1, 1}}),
        new C("dilations 2, strides 2", new long[] {3, 5, 5, 5}, new long[] {4, 3, 2, 2, 2}, true,
            new Object[] {"dilations", new long[] {2, 2, 2}, "strides", new long[] {2, 2, 2}}),
        new C("group 2, pads 1, bias", new long[] {4, 4, 5, 4}, new long[] {6, 2, 3, 3, 3}, true,
            new Object[] {"group", 2, "pads", new long[] {1, 1, 1, 1, 1, 1}}),
        new C("depthwise group 4, stride 2, no bias", new long[] {4, 6, 7, 5}, new long[] {4, 1, 3, 3, 3}, false,
            new Object[] {"group", 4, "strides", new long[] {2, 2, 2}, "pads", new long[] {1, 1, 1, 1, 1, 1}}),
        new C("depthwise multiplier 2 (group 3, M 6), bias", new long[] {3, 4, 4, 4}, new long[] {6, 1, 2, 2, 2}, true,
            new Object[] {"group", 3}),
        new C("auto_pad SAME_UPPER strides 2, kernel [4,3,2]", new long[] {2, 7, 6, 5}, new long[] {3, 2, 4, 3, 2},
            true, new Object[] {"auto_pad", "SAME_UPPER", "strides", new long[] {2, 2, 2}}),
        new C("auto_pad SAME_LOWER strides 2, kernel [4,3,2]", new long[] {2, 7, 6, 5}, new long[] {3, 2, 4, 3, 2},
            true, new Object[] {"auto_pad", "SAME_LOWER", "strides", new long[] {2, 2, 2}}),
        new C("auto_pad SAME_UPPER stride 1, kernel 2", new long[] {2, 4, 5, 3}, new long[] {3, 2, 2, 2, 2}, false,
            new Object[] {"auto_pad", "SAME_UPPER"}),
        new C("auto_pad VALID strides [2,3,1]", new long[] {2, 8, 9, 4}, new long[] {3, 2, 3, 3, 2}, true,
            new Object[] {"auto_pad", "VALID", "strides", new long[] {2, 3, 1}}),
        new C("1x1x1 pointwise, bias", new long[] {5, 3, 4, 5}, new long[] {6, 5, 1, 1, 1}, true, new Object[] {}),
        new C("kernel as large as the padded input", new long[] {2, 3, 3, 3}, new long[] {2, 2, 5, 5, 5}, true,
            new Object[] {"pads", new long[] {1, 1, 1, 1, 1, 1}}));
    for (C c : cs) {
      all.add(new Case("Conv3d[" + c.label + "]", () -> model("Conv", 11, c), SIGNED));
    }
    all.add(new Case("Conv3d[W and B as graph inputs, opset 6 as PyTorch exports it]", () -> {
      OnnxSingleOpBuilder b = op("Conv", 6, "strides", new long[] {2, 2, 2}, "pads", new long[] {1, 1, 1, 1, 1, 1},
          "kernel_shape", new long[] {2, 2, 2}, "dilations", new long[] {1, 1, 1}, "group", 1);
      return b.input("X", FLOAT32, 2, 3, 5, 5, 5).input("W", FLOAT32, 4, 3, 2, 2, 2).input("B", FLOAT32, 4)
          .outputOfAnyShape("Y", FLOAT32).toBytes();
    }, SIGNED));
  }

  /** The graph forms a 3-D network exports: BatchNormalization folded into the Conv, then Relu (not fused). */
  private static void graphs(List<Case> all) {
    all.add(new Case("Graph[Conv3d+BatchNormalization+Relu, BN folded into a 3-D Conv]", () -> {
      OnnxModelBuilder g = new OnnxModelBuilder("cbr3d").opset(13);
      g.input("x", FLOAT32, "batch", 3, 4, 6, 6);
      String w = g.initializer("w", weights("w3d", 5 * 3 * 27), 5, 3, 3, 3, 3);
      String conv = g.node("Conv", List.of("x", w), Map.of("pads", new long[] {1, 1, 1, 1, 1, 1},
          "strides", new long[] {1, 2, 2}));
      String bn = g.node("BatchNormalization", List.of(conv, g.initializer("gamma", weights("g3d", 5), 5),
          g.initializer("beta", weights("b3d", 5), 5), g.initializer("mean", weights("m3d", 5), 5),
          g.initializer("var", weights("v3d", 5, 0.1, 2), 5)), Map.of());
      g.node("Relu", List.of(bn), List.of("y"), Map.of());
      return g.outputOfAnyShape("y", FLOAT32).toBytes();
    }, SIGNED));
  }

  private static void convTranspose(List<Case> all) {
    List<C> cs = List.of(
        new C("defaults, no bias", new long[] {1, 3, 4, 5}, new long[] {1, 2, 3, 3, 3}, false, new Object[] {}),
        new C("strides [2,2,1], pads [1,0,1,0,1,1], bias", new long[] {2, 3, 4, 3}, new long[] {2, 3, 3, 3, 2}, true,
            new Object[] {"strides", new long[] {2, 2, 1}, "pads", new long[] {1, 0, 1, 0, 1, 1}}),
        new C("strides 2, output_padding [1,1,0]", new long[] {2, 3, 3, 4}, new long[] {2, 3, 3, 3, 3}, true,
            new Object[] {"strides", new long[] {2, 2, 2}, "output_padding", new long[] {1, 1, 0}}),
        new C("dilations [2,1,1], group 2, bias", new long[] {4, 3, 4, 3}, new long[] {4, 2, 2, 3, 2}, true,
            new Object[] {"dilations", new long[] {2, 1, 1}, "group", 2}),
        new C("output_shape [9,8,7], strides 2", new long[] {2, 4, 4, 3}, new long[] {2, 3, 3, 2, 3}, false,
            new Object[] {"strides", new long[] {2, 2, 2}, "output_shape", new long[] {9, 8, 7}}),
        new C("auto_pad SAME_UPPER strides 2", new long[] {2, 3, 4, 3}, new long[] {2, 2, 3, 3, 2}, true,
            new Object[] {"auto_pad", "SAME_UPPER", "strides", new long[] {2, 2, 2}}),
        new C("auto_pad VALID strides [1,2,3]", new long[] {2, 3, 3, 4}, new long[] {2, 2, 2, 3, 3}, true,
            new Object[] {"auto_pad", "VALID", "strides", new long[] {1, 2, 3}}),
        new C("depthwise group 3, strides 2, pads 1", new long[] {3, 3, 4, 4}, new long[] {3, 1, 3, 3, 3}, true,
            new Object[] {"group", 3, "strides", new long[] {2, 2, 2}, "pads", new long[] {1, 1, 1, 1, 1, 1}}));
    for (C c : cs) {
      all.add(new Case("ConvTranspose3d[" + c.label + "]", () -> model("ConvTranspose", 11, c), SIGNED));
    }
  }

  private static byte[] model(String opType, int opset, C c) {
    OnnxSingleOpBuilder b = op(opType, opset, c.attrs);
    Object[] xd = new Object[c.x.length + 1];
    xd[0] = "batch";
    for (int i = 0; i < c.x.length; i++) {
      xd[i + 1] = (int) c.x[i];
    }
    b.input("X", FLOAT32, xd);
    weight(b, "W" + opType + c.label, c.w);
    if (c.bias) {
      long m = opType.equals("Conv") ? c.w[0] : c.w[1] * groups(c);
      weight(b, "B" + opType + c.label, m);
    }
    return b.outputOfAnyShape("Y", FLOAT32).toBytes();
  }

  private static long groups(C c) {
    for (int i = 0; i < c.attrs.length; i += 2) {
      if (c.attrs[i].equals("group")) {
        return ((Number) c.attrs[i + 1]).longValue();
      }
    }
    return 1;
  }
}
