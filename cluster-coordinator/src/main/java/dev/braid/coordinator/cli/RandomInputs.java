package dev.braid.coordinator.cli;

import dev.braid.model.DType;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Seeded random inputs for a model: the same seed and graph give the same tensors. */
public final class RandomInputs {
  private RandomInputs() {}

  /**
   * One tensor per graph input: floats uniform in [-1, 1), integers uniform in [0, 10). Each
   * input draws from its own stream (seed mixed with the input's position), so adding an input
   * does not change the others.
   */
  public static Map<String, Tensor> forGraph(ModelGraph graph, long seed) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    int position = 0;
    for (ValueInfo in : graph.inputs()) {
      SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + position++);
      int n = in.shape().size();
      if (in.dtype().isFloating()) {
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
          data[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        inputs.put(in.name(), Tensor.ofFloats(in.dtype() == DType.FLOAT32 ? DType.FLOAT32 : in.dtype(), in.shape(), data));
      } else {
        long[] data = new long[n];
        for (int i = 0; i < n; i++) {
          data[i] = rnd.nextInt(10);
        }
        inputs.put(in.name(), Tensor.ofLongs(in.dtype(), in.shape(), data));
      }
    }
    return inputs;
  }

  /**
   * One tensor per graph input drawn from one stream, in input order: floats uniform in [-1, 1),
   * integer ids in [0, 16). The benchmarks use this form so that a caller's stream (split from
   * one seed) decides every input.
   */
  public static Map<String, Tensor> drawn(ModelGraph graph, SplittableRandom rnd) {
    return fill(graph, rnd);
  }

  /** One all-zero tensor per graph input (timing-only devices ignore the values). */
  public static Map<String, Tensor> zeros(ModelGraph graph) {
    return fill(graph, null);
  }

  private static Map<String, Tensor> fill(ModelGraph graph, SplittableRandom rnd) {
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (ValueInfo v : graph.inputs()) {
      int n = v.shape().size();
      if (v.dtype().isFloating()) {
        float[] d = new float[n];
        for (int i = 0; rnd != null && i < n; i++) {
          d[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        in.put(v.name(), Tensor.ofFloats(v.dtype(), v.shape(), d));
      } else {
        long[] d = new long[n];
        for (int i = 0; rnd != null && i < n; i++) {
          d[i] = rnd.nextInt(16);
        }
        in.put(v.name(), Tensor.ofLongs(v.dtype(), v.shape(), d));
      }
    }
    return in;
  }
}
