package dev.braid.device.exec;

import dev.braid.device.kernel.ConvTranspose2d;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.fold.ConvTransposeGeometry;

/**
 * Lowers ONNX ConvTranspose (1-D and 2-D; a 1-D one as 2-D with a unit height) to one
 * {@link ConvTranspose2d}: X, W and the optional bias B are run-time buffers, the geometry
 * (pads, output size, from auto_pad, output_shape, output_padding) is resolved at load by
 * {@link ConvTransposeGeometry}. 3-D goes to {@link ConvNdLowering}; higher is refused by name.
 */
final class ConvTransposeLowering {
  private ConvTransposeLowering() {}

  static void lower(Lowering l, Node n) {
    Shape x = l.shape(n.input(0)), w = l.shape(n.input(1));
    if (x.rank() > 4) {
      ConvNdLowering.convTranspose(l, n); // 3-D (or refused naming the rank)
      return;
    }
    ConvTransposeGeometry g = ConvTransposeGeometry.of(n, x, w);
    Shape y = g.output();
    if (!y.equals(l.shape(n.output(0)))) {
      throw new ModelException(n.describe() + ": output computed as " + y + " but the graph declares "
          + l.shape(n.output(0)));
    }
    boolean twoD = x.rank() == 4;
    int last = twoD ? 1 : 0;
    boolean bias = n.hasInput(2);
    ConvTranspose2d k = new ConvTranspose2d(x.dim(0), x.dim(1), twoD ? x.dim(2) : 1, x.dim(x.rank() - 1), y.dim(1),
        twoD ? (int) g.kernel()[0] : 1, (int) g.kernel()[last], twoD ? (int) g.strides()[0] : 1,
        (int) g.strides()[last], twoD ? (int) g.padBegin()[0] : 0, (int) g.padBegin()[last],
        twoD ? (int) g.dilations()[0] : 1, (int) g.dilations()[last], g.group(), twoD ? y.dim(2) : 1,
        y.dim(y.rank() - 1), bias);
    if (bias) {
      l.emit(n, k, n.input(0), n.input(1), n.input(2), n.output(0));
    } else {
      l.emit(n, k, n.input(0), n.input(1), n.output(0));
    }
  }
}
