package dev.braid.device.exec;

import dev.braid.device.kernel.ConvNd;
import dev.braid.model.Attributes;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.fold.ConvTransposeGeometry;
import java.util.ArrayList;
import java.util.List;

/**
 * Lowers ONNX Conv and ConvTranspose over three spatial axes (X {@code [n, c, d, h, w]}) to one
 * {@link ConvNd}; 1-D and 2-D stay on {@link SpatialLowering#conv}'s implicit-GEMM
 * {@code Conv2d} and {@link ConvTransposeLowering}'s {@code ConvTranspose2d}. X, W and the
 * optional bias B are run-time buffers; the geometry (strides, dilations, pads from {@code pads}
 * or {@code auto_pad}, group) is resolved here at load and the output checked against the
 * graph's declared shape, so a model whose attributes and shapes disagree is refused, never run.
 * No activation is fused: a following Relu or Clip runs as its own elementwise kernel.
 */
final class ConvNdLowering {
  private ConvNdLowering() {}

  static void conv(Lowering l, Node n) {
    Shape x = l.shape(n.input(0)), w = l.shape(n.input(1)), y = l.shape(n.output(0));
    int r = x.rank() - 2;
    if (r < 1 || r > ConvNd.MAX_SPATIAL || w.rank() != x.rank()) {
      throw new ModelException(n.describe() + ": only 1-D, 2-D and 3-D convolutions are supported, input is " + x
          + " and weight " + w);
    }
    Attributes at = n.attributes();
    long[] strides = perAxis(n, "strides", r, 1), dil = perAxis(n, "dilations", r, 1);
    long[] pads = at.getInts("pads", new long[2 * r]);
    if (pads.length != 2 * r) {
      throw new ModelException(n.describe() + ": attribute 'pads' has " + pads.length + " entries, expected " + 2 * r);
    }
    String autoPad = at.getString("auto_pad", "NOTSET");
    List<Integer> in = new ArrayList<>(), kernel = new ArrayList<>(), out = new ArrayList<>();
    List<Integer> stride = new ArrayList<>(), dilation = new ArrayList<>(), begin = new ArrayList<>();
    for (int d = 0; d < r; d++) {
      int size = x.dim(2 + d), k = w.dim(2 + d), s = (int) strides[d], di = (int) dil[d], declared = y.dim(2 + d);
      if (s < 1 || di < 1) {
        throw new ModelException(n.describe() + ": strides and dilations must be >= 1, got " + s + " and " + di
            + " on spatial axis " + d);
      }
      long pb, pe;
      switch (autoPad) {
        case "NOTSET" -> {
          pb = pads[d];
          pe = pads[d + r];
        }
        case "VALID" -> {
          pb = 0;
          pe = 0;
        }
        case "SAME_UPPER", "SAME_LOWER" -> {
          long total = Math.max(0, ((long) declared - 1) * s + (long) (k - 1) * di + 1 - size);
          pb = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
          pe = total - pb;
        }
        default -> throw new ModelException(n.describe() + ": attribute 'auto_pad' is '" + autoPad
            + "', not one ONNX defines");
      }
      if (pb < 0 || pe < 0) {
        throw new ModelException(n.describe() + ": pads must be >= 0, got " + pb + " and " + pe + " on spatial axis " + d);
      }
      long span = (long) (k - 1) * di + 1;
      long computed = size + pb + pe < span ? 0 : (size + pb + pe - span) / s + 1;
      if (computed != declared) {
        throw new ModelException(n.describe() + ": output computed as " + computed + " on spatial axis " + d
            + " but the graph declares " + y);
      }
      in.add(size);
      kernel.add(k);
      stride.add(s);
      dilation.add(di);
      begin.add((int) pb);
      out.add(declared);
    }
    int group = (int) at.getInt("group", 1);
    if (group < 1 || x.dim(1) % group != 0 || w.dim(1) * group != x.dim(1) || w.dim(0) % group != 0
        || y.dim(1) != w.dim(0)) {
      throw new ModelException(n.describe() + ": channels do not match: X " + x + ", W " + w + ", group " + group
          + ", Y " + y);
    }
    emit(l, n, new ConvNd(ConvNd.Kind.CONV, x.dim(0), x.dim(1), w.dim(0), in, kernel, stride, begin, dilation, out,
        group, n.hasInput(2)));
  }

  static void convTranspose(Lowering l, Node n) {
    Shape x = l.shape(n.input(0)), w = l.shape(n.input(1));
    ConvTransposeGeometry g = ConvTransposeGeometry.of(n, x, w);
    int r = x.rank() - 2;
    if (r > ConvNd.MAX_SPATIAL) {
      throw new ModelException(n.describe() + ": ConvTranspose over " + r + " spatial axes; Braid implements 1-D to "
          + ConvNd.MAX_SPATIAL + "-D");
    }
    Shape y = g.output();
    if (!y.equals(l.shape(n.output(0)))) {
      throw new ModelException(n.describe() + ": output computed as " + y + " but the graph declares "
          + l.shape(n.output(0)));
    }
    List<Integer> in = new ArrayList<>(), out = new ArrayList<>();
    for (int d = 0; d < r; d++) {
      in.add(x.dim(2 + d));
      out.add(y.dim(2 + d));
    }
    emit(l, n, new ConvNd(ConvNd.Kind.CONV_TRANSPOSE, x.dim(0), x.dim(1), y.dim(1), in, ints(g.kernel()),
        ints(g.strides()), ints(g.padBegin()), ints(g.dilations()), out, g.group(), n.hasInput(2)));
  }

  private static void emit(Lowering l, Node n, ConvNd k) {
    if (k.hasBias()) {
      l.emit(n, k, n.input(0), n.input(1), n.input(2), n.output(0));
    } else {
      l.emit(n, k, n.input(0), n.input(1), n.output(0));
    }
  }

  private static long[] perAxis(Node n, String name, int r, long fallback) {
    long[] v = n.attributes().getInts(name, null);
    if (v == null) {
      v = new long[r];
      java.util.Arrays.fill(v, fallback);
    }
    if (v.length != r) {
      throw new ModelException(n.describe() + ": attribute '" + name + "' has " + v.length + " entries, expected " + r);
    }
    return v;
  }

  private static List<Integer> ints(long[] a) {
    List<Integer> l = new ArrayList<>();
    for (long v : a) {
      l.add(Math.toIntExact(v));
    }
    return l;
  }
}
