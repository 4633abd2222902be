package dev.braid.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.ConvNd;
import dev.braid.device.kernel.ConvTranspose2d;
import dev.braid.device.kernel.Precision;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ConvNd} on CpuDevice against a float64 evaluation written the other way round: every
 * input element scattered through every tap of its filter (the definition in ONNX's reference), so
 * the gather the kernels do is checked by a loop with a different shape. Also: a 2-D ConvNd gives
 * what the implicit-GEMM {@link Conv2d} and the 2-D {@link ConvTranspose2d} give; FLOPs are the
 * multiply-adds the definition does; bad geometry is refused naming the field.
 */
class ConvNdKernelTest {
  private static CpuDevice cpu;

  @BeforeAll
  static void open() {
    cpu = new CpuDevice(2);
  }

  @AfterAll
  static void close() {
    cpu.close();
  }

  static Stream<ConvNd> cases() {
    ConvNd.Kind conv = ConvNd.Kind.CONV, tr = ConvNd.Kind.CONV_TRANSPOSE;
    return Stream.of(
        new ConvNd(conv, 2, 3, 4, List.of(3, 4, 5), List.of(2, 3, 4), List.of(1, 1, 1), List.of(0, 0, 0),
            List.of(1, 1, 1), List.of(2, 2, 2), 1, true),
        new ConvNd(conv, 2, 4, 6, List.of(6, 7, 8), List.of(3, 2, 3), List.of(2, 1, 2), List.of(1, 0, 1),
            List.of(1, 2, 1), List.of(3, 5, 4), 2, false),
        new ConvNd(conv, 1, 3, 6, List.of(5, 5, 5), List.of(3, 3, 3), List.of(1, 2, 1), List.of(1, 1, 2),
            List.of(2, 1, 1), List.of(3, 3, 7), 3, true),
        new ConvNd(conv, 1, 2, 3, List.of(11), List.of(3), List.of(2), List.of(1), List.of(2), List.of(5), 1, true),
        new ConvNd(tr, 1, 1, 2, List.of(3, 4, 5), List.of(3, 3, 3), List.of(1, 1, 1), List.of(0, 0, 0),
            List.of(1, 1, 1), List.of(5, 6, 7), 1, false),
        new ConvNd(tr, 2, 4, 6, List.of(3, 3, 4), List.of(2, 3, 2), List.of(2, 2, 1), List.of(0, 1, 1),
            List.of(1, 1, 2), List.of(6, 6, 4), 2, true),
        new ConvNd(tr, 1, 4, 2, List.of(3, 4, 5), List.of(3, 3, 2), List.of(2, 1, 2), List.of(1, -1, 0),
            List.of(1, 1, 2), List.of(5, 8, 10), 1, true));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesTheScatteringDefinition(ConvNd k) {
    Random rnd = new Random(k.hashCode());
    float[][] in = inputs(k, rnd);
    float[] got = Harness.run(cpu, k, in);
    double[] want = scatter(k, in[0], in[1], k.hasBias() ? in[2] : null);
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5 * (1 + Math.abs(want[i])), k + " output " + i);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void flopsCountTheMultiplyAddsTheDefinitionDoes(ConvNd k) {
    long macs = scatterMultiplyAdds(k);
    assertEquals(2 * macs + (k.hasBias() ? k.outputElements() : 0), k.flops(), k.toString());
    long upperBound = 2L * k.n() * k.m() * k.outputPlane() * k.inputsPerGroup() * k.taps();
    assertTrue(k.kind() == ConvNd.Kind.CONV_TRANSPOSE || 2 * macs <= upperBound);
  }

  @Test
  void aTwoDimensionalConvNdIsTheImplicitGemmConv2d() {
    Conv2d c2 = new Conv2d(2, 4, 9, 7, 6, 3, 2, 2, 1, 1, 0, 2, 1, 1, 2, 2, true, Activation.NONE, Precision.FP32);
    ConvNd nd = new ConvNd(ConvNd.Kind.CONV, 2, 4, 6, List.of(9, 7), List.of(3, 2), List.of(2, 1), List.of(1, 0),
        List.of(1, 2), List.of(c2.outH(), c2.outW()), 2, true);
    float[][] in = inputs(nd, new Random(3));
    Harness.assertClose(Harness.run(cpu, c2, in), Harness.run(cpu, nd, in), 1e-5, 1e-5, "Conv2d vs ConvNd");
  }

  @Test
  void aTwoDimensionalTransposedConvNdIsConvTranspose2d() {
    ConvTranspose2d t2 = new ConvTranspose2d(2, 4, 5, 6, 6, 3, 3, 2, 3, 1, -1, 2, 1, 2, 12, 19, true);
    ConvNd nd = new ConvNd(ConvNd.Kind.CONV_TRANSPOSE, 2, 4, 6, List.of(5, 6), List.of(3, 3), List.of(2, 3),
        List.of(1, -1), List.of(2, 1), List.of(12, 19), 2, true);
    float[][] in = inputs(nd, new Random(4));
    Harness.assertClose(Harness.run(cpu, t2, in), Harness.run(cpu, nd, in), 1e-5, 1e-5, "ConvTranspose2d vs ConvNd");
  }

  @Test
  void badGeometryIsRefusedNamingTheField() {
    List<Integer> one = List.of(1, 1, 1);
    IllegalArgumentException groups = assertThrows(IllegalArgumentException.class, () -> new ConvNd(ConvNd.Kind.CONV,
        1, 3, 4, List.of(4, 4, 4), one, one, List.of(0, 0, 0), one, List.of(4, 4, 4), 2, false));
    assertTrue(groups.getMessage().contains("groups=2 must divide c=3"), groups.getMessage());
    IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> new ConvNd(ConvNd.Kind.CONV,
        1, 1, 1, List.of(2, 2, 2, 2), List.of(1, 1, 1, 1), List.of(1, 1, 1, 1), List.of(0, 0, 0, 0), List.of(1, 1, 1, 1),
        List.of(2, 2, 2, 2), 1, false));
    assertTrue(rank.getMessage().contains("1 to 3 spatial dims"), rank.getMessage());
    IllegalArgumentException pad = assertThrows(IllegalArgumentException.class, () -> new ConvNd(ConvNd.Kind.CONV,
        1, 1, 1, List.of(4, 4, 4), one, one, List.of(0, -1, 0), one, List.of(4, 4, 4), 1, false));
    assertTrue(pad.getMessage().contains("padBegin[1] must be >= 0, got -1"), pad.getMessage());
    IllegalArgumentException lists = assertThrows(IllegalArgumentException.class, () -> new ConvNd(ConvNd.Kind.CONV,
        1, 1, 1, List.of(4, 4, 4), List.of(1, 1), one, List.of(0, 0, 0), one, List.of(4, 4, 4), 1, false));
    assertTrue(lists.getMessage().contains("must have 3 entries"), lists.getMessage());
  }

  private static float[][] inputs(ConvNd k, Random rnd) {
    int inputs = k.argNames().size() - 1;
    float[][] in = new float[inputs][];
    for (int i = 0; i < inputs; i++) {
      in[i] = Harness.random(rnd, (int) (k.argBytes(i) / 4));
    }
    return in;
  }

  /**
   * The definition as a scatter: each input element X[img, i, p] meets, through tap t of each
   * output channel o of its group, output position q where (per axis) p = q * s - pad + t * d for
   * a convolution, or q = p * s - pad + t * d for a transposed one; q outside the output adds
   * nothing. Evaluated in float64.
   */
  static double[] scatter(ConvNd k, float[] x, float[] w, float[] b) {
    int r = k.in().size();
    long inPlane = k.inputPlane(), outPlane = k.outputPlane(), taps = k.taps();
    double[] y = new double[(int) k.outputElements()];
    for (int img = 0; img < k.n(); img++) {
      for (int o = 0; o < k.m(); o++) {
        for (int q = 0; q < outPlane; q++) {
          y[(int) ((img * k.m() + o) * outPlane + q)] = b == null ? 0 : b[o];
        }
      }
    }
    int cpg = k.inputsPerGroup(), opg = k.outputsPerGroup();
    int[] p = new int[r], t = new int[r];
    for (int img = 0; img < k.n(); img++) {
      for (int i = 0; i < k.c(); i++) {
        int g = i / cpg;
        for (int pf = 0; pf < inPlane; pf++) {
          unflatten(pf, k.in(), p);
          double xv = x[(int) ((img * k.c() + i) * inPlane + pf)];
          for (int tf = 0; tf < taps; tf++) {
            unflatten(tf, k.kernel(), t);
            int q = outputOf(k, p, t);
            if (q < 0) {
              continue;
            }
            for (int ol = 0; ol < opg; ol++) {
              int o = g * opg + ol;
              double wv = k.kind() == ConvNd.Kind.CONV ? w[(int) ((o * cpg + i % cpg) * taps + tf)]
                  : w[(int) ((i * opg + ol) * taps + tf)];
              y[(int) ((img * k.m() + o) * outPlane + q)] += xv * wv;
            }
          }
        }
      }
    }
    return y;
  }

  /** Multiply-adds of {@link #scatter}: input elements times taps times group outputs that land inside the output. */
  static long scatterMultiplyAdds(ConvNd k) {
    int r = k.in().size();
    int[] p = new int[r], t = new int[r];
    long hits = 0;
    for (int pf = 0; pf < k.inputPlane(); pf++) {
      unflatten(pf, k.in(), p);
      for (int tf = 0; tf < k.taps(); tf++) {
        unflatten(tf, k.kernel(), t);
        hits += outputOf(k, p, t) >= 0 ? 1 : 0;
      }
    }
    return hits * k.n() * k.c() * k.outputsPerGroup();
  }

  /** The flat output position input position {@code p} reaches through tap {@code t}, or -1. */
  private static int outputOf(ConvNd k, int[] p, int[] t) {
    int flat = 0;
    for (int d = 0; d < p.length; d++) {
      int s = k.stride().get(d), pad = k.padBegin().get(d), dil = k.dilation().get(d), out = k.out().get(d);
      int q;
      if (k.kind() == ConvNd.Kind.CONV) {
        int v = p[d] + pad - t[d] * dil; // p = q * s - pad + t * dil
        if (v < 0 || v % s != 0) {
          return -1;
        }
        q = v / s;
      } else {
        q = p[d] * s - pad + t[d] * dil;
      }
      if (q < 0 || q >= out) {
        return -1;
      }
      flat = flat * out + q;
    }
    return flat;
  }

  private static void unflatten(int flat, List<Integer> dims, int[] into) {
    for (int d = dims.size() - 1; d >= 0; d--) {
      into[d] = flat % dims.get(d);
      flat /= dims.get(d);
    }
  }
}
