package dev.braid.model.fold;

import static dev.braid.model.fold.ShapeInference.in;
import static dev.braid.model.fold.ShapeInference.requireRank;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.Arrays;

/**
 * MaxUnpool's shapes, as the ONNX reference defines them: {@code inferred}, the shape its indices
 * address ({@code (in - 1) * stride - padBegin - padEnd + kernel} per spatial axis, N and C
 * kept), and {@code output}, which is {@code inferred} unless a constant {@code output_shape}
 * input asks for a larger one, into whose leading corner the unpooled values go.
 */
record MaxUnpoolGeometry(Shape inferred, Shape output) {
  static MaxUnpoolGeometry of(Node n, Values v) {
    ValueInfo x = in(n, 0, v);
    ValueInfo idx = in(n, 1, v);
    requireRank(x, 3, Integer.MAX_VALUE, "input X");
    if (!idx.shape().equals(x.shape())) {
      throw new ModelException("input I " + idx.shape() + " must have the shape of X " + x.shape());
    }
    int s = x.shape().rank() - 2;
    long[] kernel = n.attributes().getInts("kernel_shape", null);
    if (kernel == null || kernel.length != s) {
      throw new ModelException("attribute 'kernel_shape' must list " + s + " sizes, got "
          + (kernel == null ? "none" : Arrays.toString(kernel)));
    }
    long[] strides = n.attributes().getInts("strides", ones(s));
    long[] pads = n.attributes().getInts("pads", new long[2 * s]);
    if (strides.length != s || pads.length != 2 * s) {
      throw new ModelException("attributes 'strides' " + Arrays.toString(strides) + " and 'pads' "
          + Arrays.toString(pads) + " must have " + s + " and " + 2 * s + " values");
    }
    long[] dims = x.shape().longDims().clone();
    for (int d = 0; d < s; d++) {
      dims[2 + d] = (dims[2 + d] - 1) * strides[d] - pads[d] - pads[s + d] + kernel[d];
      if (dims[2 + d] < 1) {
        throw new ModelException("spatial axis " + d + " of the output would have size " + dims[2 + d]);
      }
    }
    Shape inferred = Shape.of(dims);
    if (!n.hasInput(2)) {
      return new MaxUnpoolGeometry(inferred, inferred);
    }
    Tensor given = MiscShapes.constant(n, 2, "output shape", v, "the output's shape is its value");
    long[] out = given.toLongs();
    boolean fits = out.length == dims.length;
    for (int d = 0; fits && d < dims.length; d++) {
      fits = d < 2 ? out[d] == dims[d] : out[d] >= dims[d];
    }
    if (!fits) {
      throw new ModelException("output_shape " + Arrays.toString(out) + " must keep N and C and be at least the"
          + " unpooled shape " + inferred + " on each spatial axis");
    }
    return new MaxUnpoolGeometry(inferred, Shape.of(out));
  }

  private static long[] ones(int n) {
    long[] a = new long[n];
    Arrays.fill(a, 1);
    return a;
  }
}
