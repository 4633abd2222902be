package dev.braid.device.exec;

import dev.braid.device.kernel.GridSample;
import dev.braid.device.kernel.Resample;
import dev.braid.device.kernel.RoiAlign;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.fold.ResampleTables;
import java.util.ArrayList;
import java.util.List;

/**
 * The lowering of the interpolating operators:
 *
 * <ul>
 *   <li>Resize and Upsample in mode nearest: {@link TensorLowering#remap}'s index map;
 *   <li>in modes linear and cubic: one {@link Resample} over the tables
 *       {@link ResampleTables} computes at load (a constant of the plan), or an alias where every
 *       axis copies its input unchanged;
 *   <li>GridSample (opset 16, 4-D input): one {@link GridSample};
 *   <li>RoiAlign (opsets 10, 16): one {@link RoiAlign}.
 * </ul>
 */
final class InterpLowering {
  private InterpLowering() {}

  static void resize(Lowering l, Node n) {
    if (!ResampleTables.interpolates(n)) {
      TensorLowering.remap(l, n);
      return;
    }
    Shape x = l.shape(n.input(0));
    ResampleTables t = ResampleTables.of(n, x, v -> l.graph.isConstant(v) ? l.graph.constant(v) : null);
    if (!t.output().equals(l.shape(n.output(0)))) {
      throw new ModelException(n.describe() + ": output computed as " + t.output() + " but the graph declares "
          + l.shape(n.output(0)));
    }
    if (isIdentity(t)) {
      l.alias(n.output(0), n.input(0));
      return;
    }
    List<Integer> taps = new ArrayList<>();
    for (int tap : t.taps()) {
      taps.add(tap);
    }
    Resample k = new Resample(x, t.output(), taps, t.fill());
    String table = l.derive(n, "table", Tensor.ofFloats(Shape.of(t.table().length), t.table()));
    l.emit(n, k, n.input(0), table, n.output(0));
  }

  /** Every axis one tap of weight 1 on its own index, nothing outside: Y equals X. */
  private static boolean isIdentity(ResampleTables t) {
    if (!t.input().equals(t.output())) {
      return false;
    }
    for (int d = 0; d < t.taps().length; d++) {
      if (t.taps()[d] != 1) {
        return false;
      }
      int at = t.offset(d);
      for (int i = 0; i < t.output().dim(d); i++) {
        if (t.table()[at + 2 * i] != i || t.table()[at + 2 * i + 1] != 1f) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * RoiAlign: X [N, C, H, W], rois [R, 4], batch_indices [R]; the output [R, C, output_height,
   * output_width]. coordinate_transformation_mode is opset 16's (default half_pixel); the importer
   * gives an opset-10 node, which has none, output_half_pixel.
   */
  static void roiAlign(Lowering l, Node n) {
    Shape x = l.shape(n.input(0)), rois = l.shape(n.input(1)), idx = l.shape(n.input(2));
    if (x.rank() != 4 || rois.rank() != 2 || rois.dim(1) != 4 || idx.rank() != 1 || idx.dim(0) != rois.dim(0)) {
      throw new ModelException(n.describe() + ": RoiAlign takes X [N, C, H, W], rois [R, 4] and batch_indices [R],"
          + " got " + x + ", " + rois + " and " + idx);
    }
    String mode = n.attributes().getString("mode", "avg");
    if (!mode.equals("avg") && !mode.equals("max")) {
      throw new ModelException(n.describe() + ": attribute 'mode' must be avg or max, got '" + mode + "'");
    }
    String transform = n.attributes().getString("coordinate_transformation_mode", "half_pixel");
    if (!transform.equals("half_pixel") && !transform.equals("output_half_pixel")) {
      throw new ModelException(n.describe() + ": attribute 'coordinate_transformation_mode' must be half_pixel or"
          + " output_half_pixel, got '" + transform + "'");
    }
    Shape y = l.shape(n.output(0));
    RoiAlign k = new RoiAlign(x.dim(0), x.dim(1), x.dim(2), x.dim(3), rois.dim(0), y.dim(2), y.dim(3),
        (int) n.attributes().getInt("sampling_ratio", 0), n.attributes().getFloat("spatial_scale", 1f),
        transform.equals("half_pixel"), mode.equals("max"));
    l.emit(n, k, n.input(0), n.input(1), n.input(2), n.output(0));
  }

  static void gridSample(Lowering l, Node n) {
    Shape x = l.shape(n.input(0)), grid = l.shape(n.input(1));
    if (x.rank() != 4 || grid.rank() != 4 || grid.dim(3) != 2 || grid.dim(0) != x.dim(0)) {
      throw new ModelException(n.describe() + ": GridSample takes X [N, C, H, W] and grid [N, H_out, W_out, 2],"
          + " got " + x + " and " + grid);
    }
    String m = n.attributes().getString("mode", "bilinear");
    GridSample.Mode mode = switch (m) {
      case "bilinear", "linear" -> GridSample.Mode.BILINEAR;
      case "nearest" -> GridSample.Mode.NEAREST;
      case "bicubic", "cubic" -> GridSample.Mode.BICUBIC;
      default -> throw new ModelException(n.describe() + ": attribute 'mode' must be bilinear, nearest or bicubic,"
          + " got '" + m + "'");
    };
    String p = n.attributes().getString("padding_mode", "zeros");
    GridSample.Padding padding = switch (p) {
      case "zeros" -> GridSample.Padding.ZEROS;
      case "border" -> GridSample.Padding.BORDER;
      case "reflection" -> GridSample.Padding.REFLECTION;
      default -> throw new ModelException(n.describe() + ": attribute 'padding_mode' must be zeros, border or"
          + " reflection, got '" + p + "'");
    };
    GridSample k = new GridSample(x.dim(0), x.dim(1), x.dim(2), x.dim(3), grid.dim(1), grid.dim(2), mode, padding,
        n.attributes().getInt("align_corners", 0) != 0);
    l.emit(n, k, n.input(0), n.input(1), n.output(0));
  }
}
