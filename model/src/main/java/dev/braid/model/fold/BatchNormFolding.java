package dev.braid.model.fold;

import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.List;

/**
 * Folds BatchNormalization into the Conv that feeds it: with {@code f = scale / sqrt(var + eps)}
 * per output channel, {@code W' = W * f} and {@code b' = (b - mean) * f + beta}. Applies only
 * when the Conv output feeds nothing but this BatchNormalization and is not a graph output, and
 * the weight, the bias (if any) and the four BN parameters are floating constants. The folded
 * Conv keeps the Conv's name and produces the BN's output. New tensors are allocated: the
 * model's initializers are never mutated, since a model binds at several batch sizes.
 */
final class BatchNormFolding {
  private BatchNormFolding() {}

  static void apply(WorkGraph g) {
    for (int i = 0; i < g.nodes.size(); i++) {
      Node bn = g.nodes.get(i);
      if (!bn.opType().equals("BatchNormalization")) {
        continue;
      }
      String x = bn.input(0);
      int p = g.producer(x);
      if (p < 0 || g.outputs.contains(x) || g.consumers(x) != 1) {
        continue;
      }
      Node conv = g.nodes.get(p);
      if (!conv.opType().equals("Conv") || !floatingConstants(g, conv.input(1), conv.input(2))
          || !floatingConstants(g, bn.input(1), bn.input(2), bn.input(3), bn.input(4))) {
        continue;
      }
      double eps = bn.attributes().getFloat("epsilon", 1e-5f);
      Tensor w = g.constant(conv.input(1));
      int channels = w.shape().dim(0);
      float[] scale = g.constant(bn.input(1)).floats();
      float[] beta = g.constant(bn.input(2)).floats();
      float[] mean = g.constant(bn.input(3)).floats();
      float[] var = g.constant(bn.input(4)).floats();
      float[] bias = conv.hasInput(2) ? g.constant(conv.input(2)).floats() : new float[channels];
      float[] wIn = w.floats();
      float[] wOut = new float[wIn.length];
      float[] bOut = new float[channels];
      int per = wIn.length / channels;
      for (int m = 0; m < channels; m++) {
        double f = scale[m] / Math.sqrt(var[m] + eps);
        for (int j = 0; j < per; j++) {
          wOut[m * per + j] = (float) (wIn[m * per + j] * f);
        }
        bOut[m] = (float) ((bias[m] - mean[m]) * f + beta[m]);
      }
      String wName = g.fresh(conv.name() + "_W_bn_folded");
      g.addConstant(wName, Tensor.ofFloats(w.dtype(), w.shape(), wOut));
      String bName = g.fresh(conv.name() + "_B_bn_folded");
      g.addConstant(bName, Tensor.ofFloats(w.dtype(), Shape.of(channels), bOut));
      g.nodes.set(p, new Node(conv.name(), "Conv", List.of(conv.input(0), wName, bName), List.of(bn.output(0)),
          conv.attributes()));
      g.nodes.remove(i);
      g.values.remove(x);
      i--;
    }
  }

  private static boolean floatingConstants(WorkGraph g, String... names) {
    for (String n : names) {
      if (n.isEmpty()) {
        continue;
      }
      Tensor t = g.constant(n);
      if (t == null || !t.isFloating()) {
        return false;
      }
    }
    return true;
  }
}
