package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;

/**
 * Pad's {@link IndexMap} with ONNX semantics, whatever the opset: pads and value as attributes
 * before opset 11 (also opset 1's {@code paddings}), as inputs after; modes constant, reflect,
 * edge and wrap; negative pads crop; axes from opset 18. Pure; errors are {@link ModelException}s
 * naming the field and the value.
 */
public final class PadMap {
  private PadMap() {}

  /** The map of Pad node {@code n} over input shape {@code x}, its parameters read in the node's opset form. */
  static IndexMap of(Node n, Shape x, Function<String, Tensor> constant) {
    String mode = n.attributes().getString("mode", "constant");
    long[] pads;
    float value;
    if (n.attributes().has("pads") || n.attributes().has("paddings")) {
      pads = n.attributes().getInts(n.attributes().has("pads") ? "pads" : "paddings", null);
      value = n.attributes().getFloat("value", 0f);
    } else {
      pads = IndexMaps.longs(n, 1, "pads", constant);
      value = 0f;
      if (n.hasInput(2)) {
        Tensor v = constant.apply(n.input(2));
        if (v == null) {
          throw new ModelException("constant_value (input 2, '" + n.input(2) + "') must be a constant");
        }
        value = (float) v.get(0);
      }
      long[] axes = IndexMaps.optionalLongs(n, 3, "axes", constant);
      if (axes != null) {
        int[] ax = Axes.normalizeAll(axes, x.rank(), "axes");
        if (pads.length != 2 * ax.length) {
          throw new ModelException("pads " + Arrays.toString(pads) + " must have " + 2 * ax.length
              + " entries (twice the axes " + Arrays.toString(axes) + ")");
        }
        long[] full = new long[2 * x.rank()];
        for (int i = 0; i < ax.length; i++) {
          full[ax[i]] = pads[i];
          full[x.rank() + ax[i]] = pads[ax.length + i];
        }
        pads = full;
      }
    }
    return pad(x, pads, mode, value);
  }

  /** ONNX Pad: {@code pads} = begins then ends per axis (negative ones crop). */
  public static IndexMap pad(Shape x, long[] pads, String mode, float value) {
    int r = x.rank();
    if (pads.length != 2 * r) {
      throw new ModelException("pads " + Arrays.toString(pads) + " must have " + 2 * r + " entries (twice the rank)");
    }
    if (!Set.of("constant", "reflect", "edge", "wrap").contains(mode)) {
      throw new ModelException("attribute 'mode' must be constant, reflect, edge or wrap, got '" + mode + "'");
    }
    int[] out = new int[r], begin = new int[r];
    for (int d = 0; d < r; d++) {
      out[d] = IndexMaps.checkedDim(x.dim(d) + pads[d] + pads[r + d], "padded dimension " + d);
      begin[d] = (int) pads[d];
      if (!mode.equals("constant") && out[d] > 0 && x.dim(d) == 0) {
        throw new ModelException("mode '" + mode + "' cannot pad the empty axis " + d);
      }
      if (mode.equals("reflect") && x.dim(d) > 1 && (pads[d] >= x.dim(d) || pads[r + d] >= x.dim(d))) {
        throw new ModelException("reflect pads " + Arrays.toString(pads) + " must be smaller than dimension " + d
            + " (" + x.dim(d) + ")");
      }
    }
    int[] str = x.strides();
    return IndexMaps.build(x, Shape.of(out), value, c -> {
      int src = 0;
      for (int d = 0; d < r; d++) {
        int n = x.dim(d), i = c[d] - begin[d];
        if (i < 0 || i >= n) {
          switch (mode) {
            case "constant" -> {
              return -1;
            }
            case "edge" -> i = i < 0 ? 0 : n - 1;
            case "wrap" -> i = Math.floorMod(i, n);
            default -> {
              if (n == 1) {
                i = 0;
              } else {
                int period = 2 * (n - 1);
                i = Math.floorMod(i, period);
                i = i < n ? i : period - i;
              }
            }
          }
        }
        src += i * str[d];
      }
      return src;
    });
  }
}
