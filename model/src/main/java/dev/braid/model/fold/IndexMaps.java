package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds the {@link IndexMap} of each pure data-movement operator, with ONNX semantics, whatever
 * the opset: Slice (starts/ends/axes as attributes in opset 1, as inputs from 10, with steps),
 * Expand, Tile, Pad ({@link PadMap}), Split (split as attribute
 * before 13, as input after, or num_outputs from 18, or equal parts), DepthToSpace (DCR, CRD),
 * SpaceToDepth and Trilu. The opset form is read from what the node carries (an attribute that
 * only the old form has), so a bound graph needs no opset.
 *
 * <p>Parameters given as inputs must be constants after folding: the output shape depends on them.
 * Pure; errors are {@link ModelException}s naming the field and the value.
 */
public final class IndexMaps {
  private IndexMaps() {}

  /** The operators this class maps. */
  public static final Set<String> OPS =
      Set.of("Slice", "Expand", "Tile", "Pad", "Split", "DepthToSpace", "SpaceToDepth", "Trilu", "Resize", "Upsample");

  /**
   * The map of output {@code output} of {@code n}, reading input shapes through {@code shape} and
   * constant inputs through {@code constant} (null for a value computed at run time).
   */
  public static IndexMap of(Node n, int output, Function<String, Shape> shape, Function<String, Tensor> constant) {
    Shape x = shape.apply(n.input(0));
    return switch (n.opType()) {
      case "Slice" -> slice(n, x, constant);
      case "Expand" -> expand(x, longs(n, 1, "shape", constant));
      case "Tile" -> tile(x, longs(n, 1, "repeats", constant));
      case "Pad" -> PadMap.of(n, x, constant);
      case "Split" -> split(x, Axes.normalize(n.attributes().getInt("axis", 0), x.rank(), "attribute 'axis'"),
          splitSizes(n, x, constant), output);
      case "DepthToSpace" -> depthToSpace(x, blockSize(n),
          n.attributes().getString("mode", "DCR"));
      case "SpaceToDepth" -> spaceToDepth(x, blockSize(n));
      case "Trilu" -> trilu(x, n.hasInput(1) ? longs(n, 1, "k", constant)[0] : 0,
          n.attributes().getInt("upper", 1) != 0);
      case "Resize", "Upsample" -> NearestResize.of(n, x, constant);
      default -> throw new IllegalArgumentException("operator " + n.opType() + " is not an index map");
    };
  }

  /** Within graph binding: shapes and constants from the work graph. */
  static IndexMap of(Node n, int output, Values v) {
    return of(n, output, name -> v.info(name).shape(), v::constant);
  }

  static long[] longs(Node n, int input, String role, Function<String, Tensor> constant) {
    return constantInput(n, input, role, constant).toLongs();
  }

  /**
   * Input {@code input} of {@code n}, which defines an output shape and so must be a constant;
   * refused naming its role otherwise.
   */
  static Tensor constantInput(Node n, int input, String role, Function<String, Tensor> constant) {
    if (!n.hasInput(input)) {
      throw new ModelException(role + " (input " + input + ") is required but not given");
    }
    Tensor t = constant.apply(n.input(input));
    if (t == null) {
      throw new ModelException(role + " (input " + input + ", '" + n.input(input) + "') must be a constant:"
          + " the output shape depends on it and Braid resolves shapes when a model loads");
    }
    return t;
  }

  static long[] optionalLongs(Node n, int input, String role, Function<String, Tensor> constant) {
    return n.hasInput(input) ? longs(n, input, role, constant) : null;
  }

  /** Fills {@code source} by visiting every output coordinate in row-major order. */
  interface Source {
    /** The flat input index of output coordinate {@code c}, or -1 for the fill value. */
    int at(int[] c);
  }

  static IndexMap build(Shape in, Shape out, float fill, Source f) {
    int[] source = new int[out.size()];
    int[] c = new int[out.rank()];
    for (int i = 0; i < source.length; i++) {
      source[i] = f.at(c);
      for (int d = c.length - 1; d >= 0 && ++c[d] == out.dim(d); d--) {
        c[d] = 0;
      }
    }
    return new IndexMap(in, out, source, fill);
  }

  static int checkedDim(long d, String what) {
    if (d < 0 || d > Integer.MAX_VALUE) {
      throw new ModelException(what + " " + d + " is not a valid dimension");
    }
    return (int) d;
  }

  // ---- Slice ----

  private static IndexMap slice(Node n, Shape x, Function<String, Tensor> constant) {
    long[] starts, ends, axes, steps;
    if (n.attributes().has("starts")) {
      starts = n.attributes().getInts("starts", null);
      ends = n.attributes().getInts("ends", null);
      axes = n.attributes().getInts("axes", null);
      steps = null;
    } else {
      starts = longs(n, 1, "starts", constant);
      ends = longs(n, 2, "ends", constant);
      axes = optionalLongs(n, 3, "axes", constant);
      steps = optionalLongs(n, 4, "steps", constant);
    }
    return slice(x, starts, ends, axes, steps);
  }

  /** ONNX Slice: per listed axis, elements {@code start, start + step, ...} before {@code end}, clamped. */
  public static IndexMap slice(Shape x, long[] starts, long[] ends, long[] axes, long[] steps) {
    int r = x.rank();
    if (ends == null || starts.length != ends.length) {
      throw new ModelException("starts " + Arrays.toString(starts) + " and ends " + Arrays.toString(ends)
          + " must have equal lengths");
    }
    if (axes == null) {
      axes = new long[starts.length];
      Arrays.setAll(axes, i -> i);
    }
    if (steps == null) {
      steps = new long[starts.length];
      Arrays.fill(steps, 1);
    }
    if (axes.length != starts.length || steps.length != starts.length) {
      throw new ModelException("axes " + Arrays.toString(axes) + " and steps " + Arrays.toString(steps)
          + " must have " + starts.length + " entries, as starts has");
    }
    int[] from = new int[r], step = new int[r], count = x.dims().clone();
    Arrays.fill(step, 1);
    int[] ax = Axes.normalizeAll(axes, r, "axes");
    for (int i = 0; i < ax.length; i++) {
      int a = ax[i];
      long d = x.dim(a), s = starts[i], e = ends[i], st = steps[i];
      if (st == 0) {
        throw new ModelException("steps[" + i + "] must not be 0");
      }
      s = s < 0 ? s + d : s;
      e = e < 0 ? e + d : e;
      long c;
      if (st > 0) {
        s = Math.max(0, Math.min(d, s));
        e = Math.max(0, Math.min(d, e));
        c = e > s ? (e - s + st - 1) / st : 0;
      } else {
        s = Math.max(-1, Math.min(d - 1, s));
        e = Math.max(-1, Math.min(d - 1, e));
        c = s > e ? (s - e + (-st) - 1) / (-st) : 0;
      }
      from[a] = (int) s;
      step[a] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, st));
      count[a] = (int) c;
    }
    int[] str = x.strides();
    return build(x, Shape.of(count), 0, c -> {
      int src = 0;
      for (int d = 0; d < r; d++) {
        src += (from[d] + c[d] * step[d]) * str[d];
      }
      return src;
    });
  }

  // ---- Expand, Tile ----

  /** ONNX Expand: bidirectional broadcast of {@code x} with {@code shape}. */
  public static IndexMap expand(Shape x, long[] shape) {
    int[] target = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      target[i] = checkedDim(shape[i], "shape[" + i + "]");
    }
    Shape out = Shape.of(Broadcasting.dims(x.dims(), target));
    int r = out.rank(), lead = r - x.rank();
    int[] str = x.strides();
    return build(x, out, 0, c -> {
      int src = 0;
      for (int d = lead; d < r; d++) {
        int xd = x.dim(d - lead);
        src += (xd == 1 ? 0 : c[d]) * str[d - lead];
      }
      return src;
    });
  }

  /** ONNX Tile: {@code x} repeated {@code repeats[d]} times along each axis. */
  public static IndexMap tile(Shape x, long[] repeats) {
    if (repeats.length != x.rank()) {
      throw new ModelException("repeats " + Arrays.toString(repeats) + " must have " + x.rank()
          + " entries (the input's rank)");
    }
    int[] out = new int[x.rank()];
    for (int d = 0; d < out.length; d++) {
      out[d] = checkedDim(x.dim(d) * repeats[d], "repeats[" + d + "] x dimension");
    }
    int[] str = x.strides();
    return build(x, Shape.of(out), 0, c -> {
      int src = 0;
      for (int d = 0; d < c.length; d++) {
        src += (c[d] % x.dim(d)) * str[d];
      }
      return src;
    });
  }

  // ---- Split ----

  /** The sizes of Split's outputs along its axis. */
  static long[] splitSizes(Node n, Shape x, Function<String, Tensor> constant) {
    int axis = Axes.normalize(n.attributes().getInt("axis", 0), x.rank(), "attribute 'axis'");
    int d = x.dim(axis);
    long[] sizes = n.attributes().has("split") ? n.attributes().getInts("split", null)
        : optionalLongs(n, 1, "split", constant);
    int outputs = n.outputs().size();
    if (sizes == null) {
      long parts = n.attributes().getInt("num_outputs", outputs);
      if (parts != outputs) {
        throw new ModelException("attribute 'num_outputs' " + parts + " differs from the " + outputs + " outputs");
      }
      sizes = new long[outputs];
      long each = (d + parts - 1) / parts;
      long left = d;
      for (int i = 0; i < outputs; i++) {
        sizes[i] = Math.min(each, left);
        left -= sizes[i];
      }
      if (!n.attributes().has("num_outputs") && d % outputs != 0) {
        throw new ModelException("axis " + axis + " of " + x + " does not split into " + outputs + " equal parts");
      }
    }
    long sum = 0;
    for (long s : sizes) {
      if (s < 0) {
        throw new ModelException("split " + Arrays.toString(sizes) + " has a negative size");
      }
      sum += s;
    }
    if (sum != d || sizes.length != outputs) {
      throw new ModelException("split " + Arrays.toString(sizes) + " must have " + outputs + " sizes summing to "
          + d + " (axis " + axis + " of " + x + ")");
    }
    return sizes;
  }

  /** Output {@code output} of a split of {@code x} along {@code axis} into {@code sizes}. */
  public static IndexMap split(Shape x, int axis, long[] sizes, int output) {
    int offset = 0;
    for (int i = 0; i < output; i++) {
      offset += (int) sizes[i];
    }
    long[] starts = {offset}, ends = {offset + sizes[output]}, axes = {axis};
    return slice(x, starts, ends, axes, null);
  }

  // ---- DepthToSpace, SpaceToDepth ----

  private static int blockSize(Node n) {
    long b = n.attributes().getInt("blocksize", 0);
    if (b < 1) {
      throw new ModelException("attribute 'blocksize' must be >= 1, got " + b);
    }
    return (int) b;
  }

  /** ONNX DepthToSpace on NCHW, mode DCR (depth-column-row) or CRD (column-row-depth). */
  public static IndexMap depthToSpace(Shape x, int bs, String mode) {
    if (x.rank() != 4 || x.dim(1) % (bs * bs) != 0) {
      throw new ModelException("input must be NCHW with channels divisible by blocksize^2 = " + bs * bs + ", got " + x);
    }
    if (!mode.equals("DCR") && !mode.equals("CRD")) {
      throw new ModelException("attribute 'mode' must be DCR or CRD, got '" + mode + "'");
    }
    boolean dcr = mode.equals("DCR");
    int c = x.dim(1) / (bs * bs), h = x.dim(2), w = x.dim(3);
    int[] str = x.strides();
    return build(x, Shape.of(x.dim(0), c, h * bs, w * bs), 0, p -> {
      int i = p[2] % bs, j = p[3] % bs;
      int ch = dcr ? (i * bs + j) * c + p[1] : p[1] * bs * bs + i * bs + j;
      return p[0] * str[0] + ch * str[1] + (p[2] / bs) * str[2] + (p[3] / bs) * str[3];
    });
  }

  /** ONNX SpaceToDepth on NCHW (the inverse of DepthToSpace in DCR mode). */
  public static IndexMap spaceToDepth(Shape x, int bs) {
    if (x.rank() != 4 || x.dim(2) % bs != 0 || x.dim(3) % bs != 0) {
      throw new ModelException("input must be NCHW with H and W divisible by blocksize " + bs + ", got " + x);
    }
    int c = x.dim(1);
    int[] str = x.strides();
    return build(x, Shape.of(x.dim(0), c * bs * bs, x.dim(2) / bs, x.dim(3) / bs), 0, p -> {
      int block = p[1] / c, ch = p[1] % c, i = block / bs, j = block % bs;
      return p[0] * str[0] + ch * str[1] + (p[2] * bs + i) * str[2] + (p[3] * bs + j) * str[3];
    });
  }

  // ---- Trilu ----

  /** ONNX Trilu: keeps the upper (column - row >= k) or lower (column - row <= k) triangle of the last two axes. */
  public static IndexMap trilu(Shape x, long k, boolean upper) {
    if (x.rank() < 2) {
      throw new ModelException("input must have rank >= 2, got " + x);
    }
    int r = x.rank();
    int[] str = x.strides();
    return build(x, x, 0, c -> {
      long diff = (long) c[r - 1] - c[r - 2];
      if (upper ? diff < k : diff > k) {
        return -1;
      }
      int src = 0;
      for (int d = 0; d < r; d++) {
        src += c[d] * str[d];
      }
      return src;
    });
  }
}
