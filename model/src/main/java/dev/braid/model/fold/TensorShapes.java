package dev.braid.model.fold;

import static dev.braid.model.fold.ShapeInference.in;
import static dev.braid.model.fold.ShapeInference.rename;
import static dev.braid.model.fold.ShapeInference.requireRank;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Shape inference for the reductions (ReduceX, ArgMax, ArgMin), the axis operators (LogSoftmax,
 * Hardmax, CumSum, TopK), the index-map layout operators ({@link IndexMaps}), the data-dependent
 * gathers and scatters, Size, OneHot and the normalizations. Unlike the rest of shape inference,
 * some of these have several computed outputs (Split, TopK): {@link #extraOutputs} gives them.
 */
final class TensorShapes {
  private TensorShapes() {}

  /** The ReduceX family (ReduceMean included): axes as attribute or input, keepdims, noop_with_empty_axes. */
  static final Set<String> REDUCE = Set.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
      "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

  static ValueInfo infer(Node n, Values v, String out) {
    String op = n.opType();
    if (REDUCE.contains(op)) {
      return reduce(n, v, out);
    }
    if (ResampleTables.interpolates(n)) {
      requireFloating(n, in(n, 0, v).dtype(), "mode '" + n.attributes().getString("mode", "") + "'");
      return new ValueInfo(out, in(n, 0, v).dtype(), ResizeGeometry.of(n, in(n, 0, v).shape(), v::constant).output());
    }
    if (IndexMaps.OPS.contains(op)) {
      IndexMap m = IndexMaps.of(n, 0, v);
      return new ValueInfo(out, in(n, 0, v).dtype(), m.output());
    }
    return switch (op) {
      case "ArgMax", "ArgMin" -> argReduce(n, v, out);
      case "CumSum" -> {
        Tensor axis = v.constant(n.input(1));
        if (axis == null) {
          throw new ModelException("axis (input 1, '" + n.input(1) + "') must be a constant");
        }
        Axes.normalize(axis.toLongs()[0], in(n, 0, v).shape().rank(), "axis");
        yield rename(in(n, 0, v), out);
      }
      case "TopK" -> rename(topK(n, v).get(0), out);
      case "Size" -> new ValueInfo(out, DType.INT64, Shape.scalar());
      case "ConvTranspose" -> new ValueInfo(out, in(n, 0, v).dtype(),
          ConvTransposeGeometry.of(n, in(n, 0, v).shape(), in(n, 1, v).shape()).output());
      case "OneHot" -> oneHot(n, v, out);
      case "GridSample" -> gridSample(n, v, out);
      case "RoiAlign" -> roiAlign(n, v, out);
      case "GatherElements" -> gatherElements(n, v, out);
      case "GatherND" -> gatherNd(n, v, out);
      case "ScatterND", "ScatterElements", "Scatter" -> scatter(n, v, out);
      case "InstanceNormalization", "MeanVarianceNormalization", "LpNormalization", "GroupNormalization" ->
          rename(in(n, 0, v), out);
      case LossDecompositions.NLL, LossDecompositions.SCE -> LossDecompositions.infer(n, v);
      default -> throw new ModelException("Braid has no shape inference for operator " + op);
    };
  }

  /** The infos of outputs 1.. that the node computes (Split's parts, TopK's indices); empty for most ops. */
  static List<ValueInfo> extraOutputs(Node n, Values v) {
    List<ValueInfo> extra = new ArrayList<>();
    if (n.opType().equals("Split")) {
      for (int i = 1; i < n.outputs().size(); i++) {
        if (!n.output(i).isEmpty()) {
          extra.add(new ValueInfo(n.output(i), in(n, 0, v).dtype(), IndexMaps.of(n, i, v).output()));
        }
      }
    } else if (n.opType().equals("MaxPool") && n.outputs().size() > 1 && !n.output(1).isEmpty()) {
      ValueInfo values = ShapeInference.infer(n, v);
      extra.add(new ValueInfo(n.output(1), DType.INT64, values.shape()));
    } else if (n.opType().equals("TopK") && n.outputs().size() > 1 && !n.output(1).isEmpty()) {
      extra.add(rename(topK(n, v).get(1), n.output(1)));
    } else if (RecurrentDecompositions.OPS.contains(n.opType())) {
      List<ValueInfo> all = RecurrentDecompositions.outputs(n, v);
      extra.addAll(all.subList(1, all.size()));
    }
    extra.addAll(LossDecompositions.logProb(n, v));
    return extra;
  }

  private static ValueInfo reduce(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    boolean keep = n.attributes().getInt("keepdims", 1) != 0;
    boolean[] reduce = LayoutShapes.reducedAxes(n, v, x.shape().rank());
    List<Integer> d = new ArrayList<>();
    for (int i = 0; i < reduce.length; i++) {
      if (reduce[i] && x.shape().dim(i) == 0 && !n.opType().equals("ReduceSum") && !n.opType().equals("ReduceProd")
          && !n.opType().equals("ReduceSumSquare") && !n.opType().equals("ReduceL1") && !n.opType().equals("ReduceL2")) {
        throw new ModelException(n.opType() + " over the empty axis " + i + " of " + x.shape() + " has no value");
      }
      if (!reduce[i]) {
        d.add(x.shape().dim(i));
      } else if (keep) {
        d.add(1);
      }
    }
    return new ValueInfo(out, x.dtype(), Shape.of(d.stream().mapToInt(Integer::intValue).toArray()));
  }

  private static ValueInfo argReduce(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    int axis = Axes.normalize(n.attributes().getInt("axis", 0), x.shape().rank(), "attribute 'axis'");
    if (x.shape().dim(axis) == 0) {
      throw new ModelException(n.opType() + " over the empty axis " + axis + " of " + x.shape() + " has no value");
    }
    boolean keep = n.attributes().getInt("keepdims", 1) != 0;
    Shape s = keep ? x.shape().withDim(axis, 1) : remove(x.shape(), axis);
    return new ValueInfo(out, DType.INT64, s);
  }

  private static Shape remove(Shape s, int axis) {
    int[] d = new int[s.rank() - 1];
    for (int i = 0, j = 0; i < s.rank(); i++) {
      if (i != axis) {
        d[j++] = s.dim(i);
      }
    }
    return Shape.of(d);
  }

  /** TopK's values and indices infos (names are placeholders). */
  static List<ValueInfo> topK(Node n, Values v) {
    ValueInfo x = in(n, 0, v);
    int axis = Axes.normalize(n.attributes().getInt("axis", -1), x.shape().rank(), "attribute 'axis'");
    long k = topKCount(n, v);
    if (k < 0 || k > x.shape().dim(axis)) {
      throw new ModelException("k = " + k + " must be in [0, " + x.shape().dim(axis) + "] (axis " + axis + " of "
          + x.shape() + ")");
    }
    Shape s = x.shape().withDim(axis, (int) k);
    return List.of(new ValueInfo("values", x.dtype(), s), new ValueInfo("indices", DType.INT64, s));
  }

  /** TopK's k: attribute before opset 10, a constant input after. */
  static long topKCount(Node n, Values v) {
    if (n.attributes().has("k")) {
      return n.attributes().getInt("k");
    }
    Tensor k = n.hasInput(1) ? v.constant(n.input(1)) : null;
    if (k == null) {
      throw new ModelException("k (input 1) must be a constant: the output shape depends on it, and Braid"
          + " resolves shapes when a model loads (TopK with a run-time k is not supported)");
    }
    return k.toLongs()[0];
  }

  /** GridSample (opset 16, 2-D): X [N, C, H, W] and grid [N, H_out, W_out, 2] give [N, C, H_out, W_out]. */
  private static ValueInfo gridSample(Node n, Values v, String out) {
    Shape x = in(n, 0, v).shape(), grid = in(n, 1, v).shape();
    if (x.rank() != 4 || grid.rank() != 4 || grid.dim(3) != 2 || grid.dim(0) != x.dim(0)) {
      throw new ModelException("GridSample takes X [N, C, H, W] and grid [N, H_out, W_out, 2] with one N, got " + x
          + " and " + grid + (x.rank() != 4 ? " (Braid implements the 2-D form of opset 16)" : ""));
    }
    if (!n.attributes().getString("mode", "bilinear").equals("nearest")) {
      requireFloating(n, in(n, 0, v).dtype(), "mode '" + n.attributes().getString("mode", "bilinear") + "'");
    }
    return new ValueInfo(out, in(n, 0, v).dtype(), Shape.of(x.dim(0), x.dim(1), grid.dim(1), grid.dim(2)));
  }

  /**
   * Interpolation makes values between the input's: for an integer tensor ONNX leaves the
   * conversion back to the implementation (truncating or rounding), so Braid refuses it rather
   * than pick one.
   */
  private static void requireFloating(Node n, DType dtype, String what) {
    if (!dtype.isFloating()) {
      throw new ModelException(n.opType() + " " + what + " interpolates; Braid interpolates floating-point tensors"
          + " only, got " + dtype.onnxName());
    }
  }

  /** RoiAlign: X [N, C, H, W], rois [R, 4] and batch_indices [R] give [R, C, output_height, output_width]. */
  private static ValueInfo roiAlign(Node n, Values v, String out) {
    Shape x = in(n, 0, v).shape(), rois = in(n, 1, v).shape(), idx = in(n, 2, v).shape();
    if (x.rank() != 4 || rois.rank() != 2 || rois.dim(1) != 4 || idx.rank() != 1 || idx.dim(0) != rois.dim(0)) {
      throw new ModelException("RoiAlign takes X [N, C, H, W], rois [R, 4] and batch_indices [R], got " + x + ", "
          + rois + " and " + idx);
    }
    requireFloating(n, in(n, 0, v).dtype(), "of X");
    long oh = n.attributes().getInt("output_height", 1), ow = n.attributes().getInt("output_width", 1);
    if (oh < 1 || ow < 1 || oh > Integer.MAX_VALUE || ow > Integer.MAX_VALUE) {
      throw new ModelException("RoiAlign attributes 'output_height' and 'output_width' must be positive, got " + oh
          + " and " + ow);
    }
    return new ValueInfo(out, in(n, 0, v).dtype(), Shape.of(rois.dim(0), x.dim(1), (int) oh, (int) ow));
  }

  private static ValueInfo oneHot(Node n, Values v, String out) {
    ValueInfo idx = in(n, 0, v);
    Tensor depth = v.constant(n.input(1));
    Tensor values = v.constant(n.input(2));
    if (depth == null || values == null) {
      throw new ModelException("depth (input 1) and values (input 2) must be constants: the output shape"
          + " depends on depth");
    }
    if (values.size() != 2) {
      throw new ModelException("values must hold 2 elements [off, on], got " + values.shape());
    }
    long d = (long) depth.get(0);
    if (d < 1 || d > Integer.MAX_VALUE) {
      throw new ModelException("depth must be >= 1, got " + depth.get(0));
    }
    int r = idx.shape().rank() + 1;
    int axis = Axes.normalize(n.attributes().getInt("axis", -1), r, "attribute 'axis'");
    int[] dims = new int[r];
    for (int i = 0, j = 0; i < r; i++) {
      dims[i] = i == axis ? (int) d : idx.shape().dim(j++);
    }
    return new ValueInfo(out, values.dtype(), Shape.of(dims));
  }

  private static ValueInfo gatherElements(Node n, Values v, String out) {
    ValueInfo data = in(n, 0, v);
    ValueInfo idx = in(n, 1, v);
    if (idx.shape().rank() != data.shape().rank()) {
      throw new ModelException("indices " + idx.shape() + " must have the rank of data " + data.shape());
    }
    Axes.normalize(n.attributes().getInt("axis", 0), data.shape().rank(), "attribute 'axis'");
    return new ValueInfo(out, data.dtype(), idx.shape());
  }

  private static ValueInfo scatter(Node n, Values v, String out) {
    ValueInfo data = in(n, 0, v);
    Shape idx = in(n, 1, v).shape(), upd = in(n, 2, v).shape();
    Shape want;
    if (n.opType().equals("ScatterND")) {
      requireRank(in(n, 1, v), 1, Integer.MAX_VALUE, "indices");
      int k = idx.dim(idx.rank() - 1);
      if (k < 1 || k > data.shape().rank()) {
        throw new ModelException("indices " + idx + " address " + k + " axes of data " + data.shape());
      }
      int[] d = new int[idx.rank() - 1 + data.shape().rank() - k];
      for (int i = 0; i < idx.rank() - 1; i++) {
        d[i] = idx.dim(i);
      }
      for (int i = k; i < data.shape().rank(); i++) {
        d[idx.rank() - 1 + i - k] = data.shape().dim(i);
      }
      want = Shape.of(d);
    } else {
      Axes.normalize(n.attributes().getInt("axis", 0), data.shape().rank(), "attribute 'axis'");
      if (idx.rank() != data.shape().rank()) {
        throw new ModelException("indices " + idx + " must have the rank of data " + data.shape());
      }
      want = idx;
    }
    if (!upd.equals(want)) {
      throw new ModelException("updates must have shape " + want + ", got " + upd);
    }
    return rename(data, out);
  }

  private static ValueInfo gatherNd(Node n, Values v, String out) {
    ValueInfo data = in(n, 0, v);
    ValueInfo idx = in(n, 1, v);
    requireRank(idx, 1, Integer.MAX_VALUE, "indices");
    int b = (int) n.attributes().getInt("batch_dims", 0);
    int q = idx.shape().rank(), r = data.shape().rank();
    int last = idx.shape().dim(q - 1);
    if (b < 0 || b >= Math.min(q, r) || last < 1 || last > r - b) {
      throw new ModelException("indices " + idx.shape() + " with batch_dims " + b + " do not fit data " + data.shape());
    }
    for (int i = 0; i < b; i++) {
      if (idx.shape().dim(i) != data.shape().dim(i)) {
        throw new ModelException("batch dimension " + i + " differs: data " + data.shape() + ", indices " + idx.shape());
      }
    }
    int[] dims = new int[q - 1 + r - b - last];
    int j = 0;
    for (int i = 0; i < q - 1; i++) {
      dims[j++] = idx.shape().dim(i);
    }
    for (int i = b + last; i < r; i++) {
      dims[j++] = data.shape().dim(i);
    }
    return new ValueInfo(out, data.dtype(), Shape.of(dims));
  }
}
