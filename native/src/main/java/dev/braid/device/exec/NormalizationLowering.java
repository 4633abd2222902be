package dev.braid.device.exec;

import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The lowering of the normalisations and the mean (Softmax, LayerNormalization, ReduceMean,
 * BatchNormalization), one static method per operator, each called from one line of {@link
 * Lowering}'s switch. Softmax takes opset-13 single-axis semantics (the binder rewrote older
 * opsets' flattening); BatchNormalization folds its constant statistics into one scale and shift
 * per channel at load.
 */
final class NormalizationLowering {
  private NormalizationLowering() {}

  static void softmax(Lowering l, Node n) {
    Shape x = l.shape(n.input(0));
    int a = Lowering.axis(n.attributes().getInt("axis", -1), x.rank(), n);
    l.emit(n, new Softmax(x.product(0, a), x.dim(a), x.product(a + 1, x.rank())), n.input(0), n.output(0));
  }

  static void layerNorm(Lowering l, Node n) {
    for (int i = 1; i < n.outputs().size(); i++) {
      if (!n.output(i).isEmpty() && l.isUsed(n.output(i))) {
        throw new ModelException(n.describe() + ": the Mean and InvStdDev outputs are not supported");
      }
    }
    Shape x = l.shape(n.input(0));
    int a = Lowering.axis(n.attributes().getInt("axis", -1), x.rank(), n);
    int cols = x.product(a, x.rank());
    if (l.shape(n.input(1)).size() != cols || (n.hasInput(2) && l.shape(n.input(2)).size() != cols)) {
      throw new ModelException(n.describe() + ": Scale and B must have " + cols + " elements (no broadcasting)");
    }
    LayerNorm k = new LayerNorm(x.product(0, a), cols, n.attributes().getFloat("epsilon", 1e-5f), n.hasInput(2));
    if (n.hasInput(2)) {
      l.emit(n, k, n.input(0), n.input(1), n.input(2), n.output(0));
    } else {
      l.emit(n, k, n.input(0), n.input(1), n.output(0));
    }
  }

  static void reduceMean(Lowering l, Node n) {
    Shape x = l.shape(n.input(0));
    long[] axes = n.attributes().getInts("axes", null);
    if (n.hasInput(1)) {
      axes = l.constant(n, 1, "axes").toLongs();
    }
    TreeSet<Integer> set = new TreeSet<>();
    if (axes == null || axes.length == 0) {
      if (n.attributes().getInt("noop_with_empty_axes", 0) != 0) {
        l.alias(n);
        return;
      }
      for (int i = 0; i < x.rank(); i++) {
        set.add(i);
      }
    } else {
      Arrays.stream(axes).forEach(a -> set.add(Lowering.axis(a, x.rank(), n)));
    }
    ReduceMean k = new ReduceMean(x, new ArrayList<>(set));
    if (k.outputElements() != l.shape(n.output(0)).size()) {
      throw new ModelException(n.describe() + ": reducing " + x + " over " + set + " does not give " + l.shape(n.output(0)));
    }
    l.emit(n, k, n.input(0), n.output(0));
  }

  static void batchNorm(Lowering l, Node n) {
    if (n.attributes().getInt("training_mode", 0) != 0) {
      throw new ModelException(n.describe() + ": training_mode=1 is not supported");
    }
    Shape x = l.shape(n.input(0));
    float eps = n.attributes().getFloat("epsilon", 1e-5f);
    float[] gamma = l.constant(n, 1, "scale").toFloats(), beta = l.constant(n, 2, "B").toFloats();
    float[] mean = l.constant(n, 3, "input_mean").toFloats(), var = l.constant(n, 4, "input_var").toFloats();
    int c = x.dim(1);
    float[] scale = new float[c], shift = new float[c];
    for (int i = 0; i < c; i++) {
      double s = gamma[i] / Math.sqrt((double) var[i] + eps);
      scale[i] = (float) s;
      shift[i] = (float) (beta[i] - mean[i] * s);
    }
    String sc = l.derive(n, "scale", Tensor.ofFloats(Shape.of(c), scale));
    String sh = l.derive(n, "shift", Tensor.ofFloats(Shape.of(c), shift));
    l.emit(n, new BatchNorm(x.dim(0), c, x.product(2, x.rank())), n.input(0), sc, sh, n.output(0));
  }
}
