package dev.braid.device.exec;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Broadcast;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Precision;
import dev.braid.model.Attributes;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.Optional;

/**
 * The lowering of the matrix and windowed operators: Gemm, MatMul, Conv, MaxPool, AveragePool. A
 * pointwise Conv that is exactly a GEMM is lowered to a {@link Gemm} ({@link #asGemm}); a 3-D Conv
 * goes to {@link ConvNdLowering}.
 */
final class SpatialLowering {
  private SpatialLowering() {}

  static void gemm(Lowering l, Node n) {
    Attributes at = n.attributes();
    boolean ta = at.getInt("transA", 0) != 0, tb = at.getInt("transB", 0) != 0;
    float alpha = at.getFloat("alpha", 1f), beta = at.getFloat("beta", 1f);
    Shape a = l.shape(n.input(0)), b = l.shape(n.input(1));
    int m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1), nn = tb ? b.dim(0) : b.dim(1);
    String bName = n.input(1);
    if (tb && l.graph.isConstant(bName)) {
      // Weights stored [N, K] are transposed once here so every run multiplies contiguous rows.
      bName = l.derive(n, "B_transposed", Tensor.ofFloats(Shape.of(k, nn), transpose(l.graph.constant(bName).toFloats(), nn, k)));
      tb = false;
    }
    GemmBias bias = GemmBias.NONE;
    if (n.hasInput(2) && beta != 0f) {
      bias = biasMode(n, l.shape(n.input(2)), m, nn);
    }
    Gemm g = Gemm.of(m, nn, k, ta, tb, alpha, beta, bias);
    l.checkOutput(n, Shape.of(m, nn));
    if (bias == GemmBias.NONE) {
      l.emit(n, g, n.input(0), bName, n.output(0));
    } else {
      l.emit(n, g, n.input(0), bName, n.input(2), n.output(0));
    }
  }

  private static GemmBias biasMode(Node n, Shape c, int m, int nn) {
    int[] d = c.dims();
    if (c.size() == 1) {
      return GemmBias.SCALAR;
    }
    if ((d.length == 1 && d[0] == nn) || (d.length == 2 && d[0] == 1 && d[1] == nn)) {
      return GemmBias.PER_COLUMN;
    }
    if (d.length == 2 && d[0] == m && d[1] == 1) {
      return GemmBias.PER_ROW;
    }
    if (d.length == 2 && d[0] == m && d[1] == nn) {
      return GemmBias.FULL;
    }
    throw new ModelException(n.describe() + ": C of shape " + c + " does not broadcast to [" + m + ", " + nn + "]");
  }

  static void matMul(Lowering l, Node n) {
    Shape a = l.shape(n.input(0)), b = l.shape(n.input(1));
    Shape a2 = a.rank() == 1 ? Shape.of(1, a.dim(0)) : a;
    Shape b2 = b.rank() == 1 ? Shape.of(b.dim(0), 1) : b;
    int m = a2.dim(-2), k = a2.dim(-1), nn = b2.dim(-1);
    if (b2.dim(-2) != k) {
      throw new ModelException(n.describe() + ": inner dimensions differ, " + a + " x " + b);
    }
    Gemm g;
    if (b2.rank() == 2) {
      // Shared weights: all of A's batch dimensions fold into M, one large product.
      g = Gemm.of(a2.product(0, a2.rank() - 1), nn, k);
    } else {
      Shape aBatch = Shape.of(java.util.Arrays.copyOf(a2.dims(), a2.rank() - 2));
      Shape bBatch = Shape.of(java.util.Arrays.copyOf(b2.dims(), b2.rank() - 2));
      Shape out = Broadcast.shape(aBatch, bBatch);
      int[] as = Broadcast.strides(aBatch, out), bs = Broadcast.strides(bBatch, out);
      int batch = out.size();
      int[] aOff = new int[batch], bOff = new int[batch];
      int[] dims = out.dims();
      for (int i = 0; i < batch; i++) {
        int rem = i, ao = 0, bo = 0;
        for (int d = dims.length - 1; d >= 0; d--) {
          int idx = rem % dims[d];
          rem /= dims[d];
          ao += idx * as[d];
          bo += idx * bs[d];
        }
        aOff[i] = ao * m * k;
        bOff[i] = bo * k * nn;
      }
      g = new Gemm(batch, m, nn, k, false, false, 1f, 0f, GemmBias.NONE, aOff, bOff);
    }
    if ((long) g.batch() * g.m() * g.n() != l.shape(n.output(0)).size()) {
      throw new ModelException(n.describe() + ": " + a + " x " + b + " does not give " + l.shape(n.output(0)));
    }
    l.emit(n, g, n.input(0), n.input(1), n.output(0));
  }

  static void conv(Lowering l, Node n) {
    Shape x = l.shape(n.input(0)), w = l.shape(n.input(1)), y = l.shape(n.output(0));
    if (x.rank() != 3 && x.rank() != 4) {
      ConvNdLowering.conv(l, n); // 3-D (or refused naming the rank)
      return;
    }
    Window win = Window.of(n, x, new int[] {w.dim(2), x.rank() == 4 ? w.dim(3) : 0}, y);
    Activation act = l.fusibleActivation(n.output(0));
    Conv2d c = new Conv2d(x.dim(0), x.dim(1), win.h, win.w, w.dim(0), win.kh, win.kw, win.sh, win.sw,
        win.pt, win.pl, win.pb, win.pr, win.dh, win.dw, (int) n.attributes().getInt("group", 1), n.hasInput(2), act);
    if (c.outH() != win.oh || c.outW() != win.ow) {
      throw new ModelException(n.describe() + ": computed output " + c.outH() + "x" + c.outW() + " but the graph declares " + y);
    }
    Optional<Gemm> pointwise = asGemm(c);
    if (pointwise.isPresent()) {
      if (n.hasInput(2)) {
        l.emit(n, pointwise.get(), n.input(1), n.input(0), n.input(2), n.output(0));
      } else {
        l.emit(n, pointwise.get(), n.input(1), n.input(0), n.output(0));
      }
      return;
    }
    if (n.hasInput(2)) {
      l.emit(n, c, n.input(0), n.input(1), n.input(2), n.output(0));
    } else {
      l.emit(n, c, n.input(0), n.input(1), n.output(0));
    }
  }

  /**
   * A pointwise convolution as the GEMM it is, when it is one exactly: a 1x1 window, stride 1, no
   * padding, one group and no fused activation (Gemm has no activation epilogue). Per image
   * {@code b} of the batch, {@code Y[b] (K x HW) = W (K x C) * X[b] (C x HW)}: A is the weight
   * matrix shared by every image (offset 0), B the image's {@code C x HW} slice of X (offset
   * {@code b * C * HW}), Y batch entries contiguous, which is NCHW; the bias {@code [K]} is
   * GEMM's per-row C with beta 1. Arguments: W, X, [B], Y.
   *
   * <p>Why: the GEMM joins the GEMM super-kernels (the transformer and MLP layers of other models)
   * rather than the implicit-GEMM convolutions, needs no im2col addressing, and runs the same
   * multiply-add sequence on the CPU (ConvCpu runs such a convolution as exactly this product).
   */
  static Optional<Gemm> asGemm(Conv2d c) {
    if (c.kernelH() != 1 || c.kernelW() != 1 || c.strideH() != 1 || c.strideW() != 1
        || c.padTop() != 0 || c.padLeft() != 0 || c.padBottom() != 0 || c.padRight() != 0
        || c.groups() != 1 || !c.activation().isNone() || c.precision() != Precision.FP32) {
      return Optional.empty();
    }
    int spatial = c.h() * c.w();
    int[] aOffsets = new int[c.n()];
    int[] bOffsets = new int[c.n()];
    for (int b = 0; b < c.n(); b++) {
      bOffsets[b] = Math.multiplyExact(b, Math.multiplyExact(c.c(), spatial));
    }
    return Optional.of(new Gemm(c.n(), c.k(), spatial, c.c(), false, false, 1f, c.hasBias() ? 1f : 0f,
        c.hasBias() ? GemmBias.PER_ROW : GemmBias.NONE, aOffsets, bOffsets));
  }

  static void pool(Lowering l, Node n) {
    if (n.outputs().size() > 1 && !n.output(1).isEmpty()) {
      throw new ModelException(n.describe() + ": the Indices output is not supported");
    }
    Shape x = l.shape(n.input(0)), y = l.shape(n.output(0));
    if (x.rank() != 3 && x.rank() != 4) {
      throw new ModelException(n.describe() + ": only 1-D and 2-D pooling is supported, input is " + x);
    }
    long[] ks = n.attributes().getInts("kernel_shape", null);
    if (ks == null) {
      throw new ModelException(n.describe() + ": kernel_shape is required");
    }
    Window win = Window.of(n, x, new int[] {(int) ks[0], ks.length > 1 ? (int) ks[1] : 0}, y);
    Pool2d.PoolMode mode = n.opType().equals("MaxPool") ? Pool2d.PoolMode.MAX : Pool2d.PoolMode.AVERAGE;
    boolean includePad = n.attributes().getInt("count_include_pad", 0) != 0;
    l.emit(n, new Pool2d(mode, x.dim(0), x.dim(1), win.h, win.w, win.kh, win.kw, win.sh, win.sw,
        win.pt, win.pl, win.pb, win.pr, win.dh, win.dw, win.oh, win.ow, includePad), n.input(0), n.output(0));
  }

  private static float[] transpose(float[] src, int rows, int cols) {
    float[] t = new float[src.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = src[r * cols + c];
      }
    }
    return t;
  }
}
