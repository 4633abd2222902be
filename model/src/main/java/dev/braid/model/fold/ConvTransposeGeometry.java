package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;

/**
 * The geometry of an ONNX ConvTranspose node: per spatial axis the leading pad and the output
 * size, from X {@code [n, c, d1..]}, W {@code [c, m/group, k1..]} and the attributes strides,
 * dilations, group, output_padding, pads, auto_pad (NOTSET, SAME_UPPER, SAME_LOWER, VALID) and
 * output_shape. With output_shape or a SAME auto_pad, the total padding is
 * {@code stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - out}, split as ONNX's
 * operator text says, halving by floor division as ONNX's reference does (SAME_UPPER: the
 * smaller half first; otherwise the larger half first); a negative total (an output larger than
 * the natural one) gives a negative end pad, so the extra rows come at the end. Pure; errors are
 * {@link ModelException}s naming the attribute and its value.
 */
public record ConvTransposeGeometry(
    Shape output, int group, long[] kernel, long[] strides, long[] dilations, long[] padBegin) {

  public static ConvTransposeGeometry of(Node n, Shape x, Shape w) {
    int rank = x.rank();
    if (rank < 3 || w.rank() != rank) {
      throw new ModelException(n.opType() + ": X has rank " + rank + " and W rank " + w.rank()
          + "; expected equal ranks of at least 3 (N, C, spatial...)");
    }
    int sp = rank - 2;
    int group = (int) n.attributes().getInt("group", 1);
    if (group < 1 || x.dim(1) % group != 0) {
      throw new ModelException(n.opType() + " attribute 'group' is " + group + "; it must divide the input channels "
          + x.dim(1));
    }
    if (w.dim(0) != x.dim(1)) {
      throw new ModelException(n.opType() + ": W's first dimension " + w.dim(0) + " does not match X's channels "
          + x.dim(1));
    }
    long[] kernel = new long[sp];
    for (int i = 0; i < sp; i++) {
      kernel[i] = w.dim(i + 2);
    }
    long[] ks = n.attributes().getInts("kernel_shape", null);
    if (ks != null && !java.util.Arrays.equals(ks, kernel)) {
      throw new ModelException(n.opType() + " attribute 'kernel_shape' is " + java.util.Arrays.toString(ks)
          + " but W's spatial dimensions are " + java.util.Arrays.toString(kernel));
    }
    long[] strides = perAxis(n, "strides", sp, 1);
    long[] dilations = perAxis(n, "dilations", sp, 1);
    long[] outPad = perAxis(n, "output_padding", sp, 0);
    long[] pads = n.attributes().getInts("pads", new long[2 * sp]);
    if (pads.length != 2 * sp) {
      throw new ModelException(n.opType() + " attribute 'pads' has " + pads.length + " entries, expected " + 2 * sp);
    }
    String autoPad = n.attributes().getString("auto_pad", "NOTSET");
    long[] outputShape = n.attributes().getInts("output_shape", null);
    if (outputShape != null && outputShape.length == rank) {
      outputShape = java.util.Arrays.copyOfRange(outputShape, 2, rank);
    }
    if (outputShape != null && outputShape.length != sp) {
      throw new ModelException(n.opType() + " attribute 'output_shape' has " + outputShape.length
          + " entries, expected " + sp);
    }
    long[] dims = new long[rank];
    dims[0] = x.dim(0);
    dims[1] = w.dim(1) * group;
    long[] begin = new long[sp];
    for (int i = 0; i < sp; i++) {
      if (strides[i] < 1 || dilations[i] < 1 || outPad[i] < 0) {
        throw new ModelException(n.opType() + ": strides, dilations must be >= 1 and output_padding >= 0, got "
            + strides[i] + ", " + dilations[i] + ", " + outPad[i] + " on spatial axis " + i);
      }
      long natural = strides[i] * (x.dim(i + 2) - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1;
      long out;
      if (outputShape != null || autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
        out = outputShape != null ? outputShape[i] : x.dim(i + 2) * strides[i];
        long total = natural - out;
        begin[i] = autoPad.equals("SAME_UPPER") ? Math.floorDiv(total, 2) : total - Math.floorDiv(total, 2);
      } else if (autoPad.equals("VALID")) {
        out = natural;
      } else if (autoPad.equals("NOTSET")) {
        begin[i] = pads[i];
        out = natural - pads[i] - pads[i + sp];
      } else {
        throw new ModelException(n.opType() + " attribute 'auto_pad' is '" + autoPad + "', not one ONNX defines");
      }
      if (out < 1) {
        throw new ModelException(n.opType() + ": output size " + out + " on spatial axis " + i + " is not positive");
      }
      dims[i + 2] = out;
    }
    return new ConvTransposeGeometry(Shape.of(dims), group, kernel, strides, dilations, begin);
  }

  private static long[] perAxis(Node n, String name, int sp, long fallback) {
    long[] v = n.attributes().getInts(name, null);
    if (v == null) {
      v = new long[sp];
      java.util.Arrays.fill(v, fallback);
    }
    if (v.length != sp) {
      throw new ModelException(n.opType() + " attribute '" + name + "' has " + v.length + " entries, expected " + sp);
    }
    return v;
  }
}
