package dev.braid.device.exec;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.ScatterReduction;
import dev.braid.device.kernel.TopK;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.fold.IndexMap;
import dev.braid.model.fold.IndexMaps;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The lowering of issue 12's reductions, axis operators and layout operators, on nodes in the
 * binder's canonical form (reduction axes as a constant input 1; LogSoftmax and Hardmax with an
 * explicit single axis, opset-11 flattening already rewritten into Reshapes):
 *
 * <ul>
 *   <li>ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
 *       ReduceLogSumExp, ReduceSumSquare, ArgMax, ArgMin: one {@link Reduce};
 *   <li>LogSoftmax, Hardmax, CumSum: one {@link AlongAxis};
 *   <li>TopK with a constant k: one {@link TopK} per output the graph uses;
 *   <li>Slice, Expand, Tile, Pad, Split, DepthToSpace, SpaceToDepth, Trilu: one {@link Remap} per
 *       output over the index program {@link IndexMaps} builds, or an alias where the map is the
 *       identity;
 *   <li>GatherElements, GatherND, ScatterElements (and Scatter), ScatterND, OneHot: one kernel
 *       each over run-time indices ({@link GatherElements}, {@link GatherNd}, {@link Scatter},
 *       {@link OneHot}).
 * </ul>
 *
 * <p>Integer tensors are carried as float32: reductions and cumulative sums of them are marked
 * {@code integral} so a result float32 cannot carry exactly fails the launch.
 */
final class TensorLowering {
  private TensorLowering() {}

  static void reduce(Lowering l, Node n, ReduceOp op) {
    Shape x = l.shape(n.input(0));
    TreeSet<Integer> set = new TreeSet<>();
    for (long a : l.constant(n, 1, "axes").toLongs()) {
      set.add(Lowering.axis(a, x.rank(), n));
    }
    Reduce k = new Reduce(op, x, new ArrayList<>(set), integral(l, n.input(0)));
    checkElements(l, n, k.outputElements());
    l.emit(n, k, n.input(0), n.output(0));
  }

  static void argReduce(Lowering l, Node n, boolean max) {
    Shape x = l.shape(n.input(0));
    int axis = Lowering.axis(n.attributes().getInt("axis", 0), x.rank(), n);
    boolean last = n.attributes().getInt("select_last_index", 0) != 0;
    ReduceOp op = max ? (last ? ReduceOp.ARG_MAX_LAST : ReduceOp.ARG_MAX) : (last ? ReduceOp.ARG_MIN_LAST : ReduceOp.ARG_MIN);
    Reduce k = new Reduce(op, x, List.of(axis), false);
    checkElements(l, n, k.outputElements());
    l.emit(n, k, n.input(0), n.output(0));
  }

  /** LogSoftmax and Hardmax on their (canonical, single) axis. */
  static void alongAxis(Lowering l, Node n, AxisOp op) {
    Shape x = l.shape(n.input(0));
    int a = Lowering.axis(n.attributes().getInt("axis", -1), x.rank(), n);
    l.emit(n, new AlongAxis(op, x.product(0, a), x.dim(a), x.product(a + 1, x.rank()), false), n.input(0), n.output(0));
  }

  static void cumSum(Lowering l, Node n) {
    Shape x = l.shape(n.input(0));
    int a = Lowering.axis(l.constant(n, 1, "axis").toLongs()[0], x.rank(), n);
    AxisOp op = AxisOp.cumSum(n.attributes().getInt("exclusive", 0) != 0, n.attributes().getInt("reverse", 0) != 0);
    l.emit(n, new AlongAxis(op, x.product(0, a), x.dim(a), x.product(a + 1, x.rank()), integral(l, n.input(0))),
        n.input(0), n.output(0));
  }

  static void topK(Lowering l, Node n) {
    Shape x = l.shape(n.input(0));
    int a = Lowering.axis(n.attributes().getInt("axis", -1), x.rank(), n);
    int k = l.shape(n.output(0)).dim(a);
    boolean largest = n.attributes().getInt("largest", 1) != 0;
    int outer = x.product(0, a), inner = x.product(a + 1, x.rank());
    for (int out = 0; out < Math.min(2, n.outputs().size()); out++) {
      if (!n.output(out).isEmpty() && l.isUsed(n.output(out))) {
        l.emit(n, new TopK(outer, x.dim(a), inner, k, largest, out == 1), n.input(0), n.output(out));
      }
    }
  }

  /** Slice, Expand, Tile, Pad, Split, DepthToSpace, SpaceToDepth, Trilu. */
  static void remap(Lowering l, Node n) {
    for (int out = 0; out < n.outputs().size(); out++) {
      String y = n.output(out);
      if (y.isEmpty() || (n.outputs().size() > 1 && !l.isUsed(y))) {
        continue;
      }
      IndexMap m = IndexMaps.of(n, out, l::shape, v -> l.graph.isConstant(v) ? l.graph.constant(v) : null);
      if (m.output().size() != l.shape(y).size()) {
        throw new ModelException(n.describe() + ": output " + out + " computed as " + m.output() + " but the graph"
            + " declares " + l.shape(y));
      }
      if (m.input().size() > Remap.MAX_INPUT_ELEMENTS) {
        throw new ModelException(n.describe() + ": input of " + m.input().size() + " elements; the index-map kernel"
            + " addresses at most 2^24");
      }
      if (isIdentity(m)) {
        l.alias(y, n.input(0));
        continue;
      }
      float[] map = new float[m.source().length];
      for (int i = 0; i < map.length; i++) {
        map[i] = m.source()[i];
      }
      String mapName = l.derive(n, "map" + out, Tensor.ofFloats(Shape.of(map.length), map));
      l.emit(n, new Remap(m.input().size(), m.output().size(), m.fill()), n.input(0), mapName, y);
    }
  }

  static void gatherElements(Lowering l, Node n) {
    Shape data = l.shape(n.input(0));
    int axis = Lowering.axis(n.attributes().getInt("axis", 0), data.rank(), n);
    l.emit(n, new GatherElements(data, l.shape(n.input(1)), axis), n.input(0), n.input(1), n.output(0));
  }

  static void gatherNd(Lowering l, Node n) {
    GatherNd k = new GatherNd(l.shape(n.input(0)), l.shape(n.input(1)), (int) n.attributes().getInt("batch_dims", 0));
    checkElements(l, n, k.outputElements());
    l.emit(n, k, n.input(0), n.input(1), n.output(0));
  }

  /** ScatterElements (and the deprecated Scatter, its opset 9-10 name) and ScatterND. */
  static void scatter(Lowering l, Node n, boolean nd) {
    Shape data = l.shape(n.input(0));
    String r = n.attributes().getString("reduction", "none");
    ScatterReduction reduction = switch (r) {
      case "none" -> ScatterReduction.NONE;
      case "add" -> ScatterReduction.ADD;
      case "mul" -> ScatterReduction.MUL;
      case "max" -> ScatterReduction.MAX;
      case "min" -> ScatterReduction.MIN;
      default -> throw new ModelException(n.describe() + ": attribute 'reduction' must be none, add, mul, max or min,"
          + " got '" + r + "'");
    };
    int axis = nd ? 0 : Lowering.axis(n.attributes().getInt("axis", 0), data.rank(), n);
    Scatter k = new Scatter(nd, data, l.shape(n.input(1)), axis, reduction);
    if (l.shape(n.input(2)).size() != k.updateElements()) {
      throw new ModelException(n.describe() + ": updates " + l.shape(n.input(2)) + " must have " + k.updateElements()
          + " elements for indices " + l.shape(n.input(1)) + " into data " + data);
    }
    l.emit(n, k, n.input(0), n.input(1), n.input(2), n.output(0));
  }

  static void oneHot(Lowering l, Node n) {
    Shape idx = l.shape(n.input(0));
    int depth = (int) l.constant(n, 1, "depth").get(0);
    float[] values = l.constant(n, 2, "values").toFloats();
    int axis = Lowering.axis(n.attributes().getInt("axis", -1), idx.rank() + 1, n);
    OneHot k = new OneHot(idx.product(0, axis), depth, idx.product(axis, idx.rank()), values[0], values[1]);
    checkElements(l, n, (long) idx.size() * depth);
    l.emit(n, k, n.input(0), n.output(0));
  }

  /**
   * MaxPool, AveragePool, LpPool: 1-D and 2-D max and average pools without a used Indices output
   * stay {@link SpatialLowering#pool}'s {@code Pool2d}; 3-D windows, LpPool and MaxPool's Indices
   * run as {@link PoolNd} (the Indices as a second kernel).
   */
  static void pool(Lowering l, Node n) {
    Shape x = l.shape(n.input(0)), y = l.shape(n.output(0));
    boolean indices = n.outputs().size() > 1 && !n.output(1).isEmpty() && l.isUsed(n.output(1));
    if (!n.opType().equals("LpPool") && !indices && (x.rank() == 3 || x.rank() == 4)) {
      SpatialLowering.pool(l, new Node(n.name(), n.opType(), n.inputs(), List.of(n.output(0)), n.attributes()));
      return;
    }
    int r = x.rank() - 2;
    if (r < 1 || r > PoolNd.MAX_SPATIAL) {
      throw new ModelException(n.describe() + ": pooling over " + r + " spatial axes (input " + x + "); at most "
          + PoolNd.MAX_SPATIAL + " are supported");
    }
    long[] kernel = n.attributes().getInts("kernel_shape", null);
    long[] strides = n.attributes().getInts("strides", ones(r));
    long[] dil = n.attributes().getInts("dilations", ones(r));
    long[] pads = n.attributes().getInts("pads", new long[2 * r]);
    if (kernel == null || kernel.length != r || strides.length != r || dil.length != r || pads.length != 2 * r) {
      throw new ModelException(n.describe() + ": kernel_shape, strides, dilations and pads must have " + r + ", " + r
          + ", " + r + " and " + 2 * r + " entries");
    }
    List<Integer> in = new ArrayList<>(), out = new ArrayList<>();
    for (int d = 0; d < r; d++) {
      in.add(x.dim(2 + d));
      out.add(y.dim(2 + d));
    }
    PoolNd.Kind kind = switch (n.opType()) {
      case "MaxPool" -> PoolNd.Kind.MAX;
      case "AveragePool" -> PoolNd.Kind.AVERAGE;
      default -> PoolNd.Kind.LP;
    };
    boolean includePad = n.attributes().getInt("count_include_pad", 0) != 0;
    int p = (int) n.attributes().getInt("p", 2);
    boolean columnMajor = n.attributes().getInt("storage_order", 0) != 0;
    PoolNd values = new PoolNd(kind, x.dim(0) * x.dim(1), in, list(kernel, 0, r), list(strides, 0, r),
        list(pads, 0, r), list(pads, r, r), list(dil, 0, r), out, includePad, p, columnMajor);
    l.emit(n, values, n.input(0), n.output(0));
    if (indices) {
      l.emit(n, new PoolNd(PoolNd.Kind.MAX_INDEX, values.planes(), in, values.kernel(), values.stride(),
          values.padBegin(), values.padEnd(), values.dilation(), out, false, p, columnMajor), n.input(0), n.output(1));
    }
  }

  private static long[] ones(int n) {
    long[] a = new long[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }

  private static List<Integer> list(long[] a, int from, int count) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      l.add((int) a[from + i]);
    }
    return l;
  }

  private static boolean isIdentity(IndexMap m) {
    if (m.input().size() != m.output().size()) {
      return false;
    }
    for (int i = 0; i < m.source().length; i++) {
      if (m.source()[i] != i) {
        return false;
      }
    }
    return true;
  }

  private static boolean integral(Lowering l, String value) {
    return !l.graph.info(value).dtype().isFloating();
  }

  private static void checkElements(Lowering l, Node n, long elements) {
    if (elements != l.shape(n.output(0)).size()) {
      throw new ModelException(n.describe() + ": the reduction gives " + elements + " elements but the graph declares "
          + l.shape(n.output(0)));
    }
  }
}
