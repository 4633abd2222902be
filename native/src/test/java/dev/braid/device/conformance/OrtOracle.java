package dev.braid.device.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.braid.device.Device;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.OnnxImporter;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs one ONNX model in ONNX Runtime and in Braid on the same seeded inputs and checks that every
 * output agrees: equal shapes, and for every element {@code |braid - ort| <= ABS + REL * |ort|}.
 * A failure names the case, the output, the worst element (flat index, both values) and how many
 * elements missed.
 *
 * <p>ONNX Runtime runs with graph optimisation off ({@code NO_OPT}) and one intra-op thread, so it
 * evaluates each node as written rather than a fused rewrite with different rounding.
 */
final class OrtOracle {
  /** Absolute tolerance: float32 round-off on values near zero. */
  static final double ABS = 1e-5;
  /** Relative tolerance: about 800 float32 ulps, room for a different summation order. */
  static final double REL = 1e-4;

  /** An elementwise bound {@code |braid - ort| <= abs + rel * |ort|}. */
  record Tolerance(double abs, double rel) {
    static final Tolerance DEFAULT = new Tolerance(ABS, REL);
  }

  private static final OrtEnvironment ORT = OrtEnvironment.getEnvironment();

  /** Fills float input {@code name} with {@code n} values; the range is the caller's choice. */
  @FunctionalInterface
  interface InputFill {
    float[] fill(String name, int n, SplittableRandom rnd);

    /** Uniform in [lo, hi). */
    static InputFill uniform(double lo, double hi) {
      return (name, n, rnd) -> {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
          x[i] = (float) (lo + rnd.nextDouble() * (hi - lo));
        }
        return x;
      };
    }
  }

  private final Device device;

  OrtOracle(Device device) {
    this.device = device;
  }

  /** Imports {@code onnx}, binds it at {@code batch}, runs both runtimes and compares. */
  void check(String caseName, byte[] onnx, int batch, long seed, InputFill fill) {
    check(caseName, onnx, batch, seed, fill, Tolerance.DEFAULT);
  }

  /** {@link #check(String, byte[], int, long, InputFill)} at another tolerance. */
  void check(String caseName, byte[] onnx, int batch, long seed, InputFill fill, Tolerance tolerance) {
    ImportedModel imported = OnnxImporter.parse(onnx, caseName);
    ModelGraph graph = imported.bind(batch);
    SplittableRandom rnd = new SplittableRandom(seed);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (ValueInfo in : graph.inputs()) {
      if (!in.dtype().isFloating()) {
        throw new IllegalArgumentException(caseName + ": input " + in.name() + " is " + in.dtype()
            + "; the oracle feeds float inputs only");
      }
      inputs.put(in.name(), Tensor.ofFloats(in.shape(), fill.fill(in.name(), in.shape().size(), rnd)));
    }
    Map<String, Tensor> expected;
    try {
      expected = runOrt(onnx, inputs);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(caseName + " (batch " + batch + "): " + e.getMessage(), e);
    }
    Map<String, Tensor> actual;
    try (CompiledModel model = ModelExecutor.compile(graph, device)) {
      actual = model.run(inputs).toCompletableFuture().join();
    }
    assertEquals(expected.keySet(), actual.keySet(), caseName + ": output names");
    for (String out : expected.keySet()) {
      compare(caseName + " (batch " + batch + ") output '" + out + "'", expected.get(out), actual.get(out), tolerance);
    }
  }

  /** The batch a model without a dynamic batch dim binds at: its first input's first dim. */
  static int fixedBatch(byte[] onnx, String caseName) {
    ImportedModel m = OnnxImporter.parse(onnx, caseName);
    return m.inputs().isEmpty() || m.inputs().get(0).rank() == 0 ? 1 : (int) m.inputs().get(0).dims().get(0).value();
  }

  /** Runs {@code onnx} in ONNX Runtime on {@code inputs}; every output as a float tensor. */
  static Map<String, Tensor> runOrt(byte[] onnx, Map<String, Tensor> inputs) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      try (OrtSession session = ORT.createSession(onnx, options)) {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
          for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            feeds.put(e.getKey(), OnnxTensor.createTensor(ORT,
                FloatBuffer.wrap(e.getValue().floats()), e.getValue().shape().longDims()));
          }
          try (OrtSession.Result result = session.run(feeds)) {
            Map<String, Tensor> outs = new LinkedHashMap<>();
            for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : result) {
              outs.put(e.getKey(), toTensor((OnnxTensor) e.getValue()));
            }
            return outs;
          }
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  private static Tensor toTensor(OnnxTensor t) {
    long[] shape = t.getInfo().getShape();
    dev.braid.model.Shape s = dev.braid.model.Shape.of(shape);
    return switch (t.getInfo().type) {
      case FLOAT -> {
        FloatBuffer fb = t.getFloatBuffer();
        float[] v = new float[fb.remaining()];
        fb.get(v);
        yield Tensor.ofFloats(s, v);
      }
      case INT64 -> {
        LongBuffer lb = t.getLongBuffer();
        long[] v = new long[lb.remaining()];
        lb.get(v);
        yield Tensor.ofLongs(s, v);
      }
      default -> throw new IllegalStateException("ORT output of type " + t.getInfo().type + " is not compared");
    };
  }

  /** Shapes equal and every element within tolerance; the message names the worst element. */
  static void compare(String what, Tensor expected, Tensor actual) {
    compare(what, expected, actual, Tolerance.DEFAULT);
  }

  /** {@link #compare(String, Tensor, Tensor)} at another tolerance. */
  static void compare(String what, Tensor expected, Tensor actual, Tolerance tolerance) {
    assertArrayEquals(expected.shape().longDims(), actual.shape().longDims(),
        what + ": shape, ORT " + expected.shape() + " vs Braid " + actual.shape());
    int worst = -1, misses = 0;
    double worstExcess = 0;
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.get(i), a = actual.get(i);
      if (e == a || (Double.isNaN(e) && Double.isNaN(a))) {
        continue; // also equal infinities, whose difference is NaN
      }
      double excess = Math.abs(a - e) - (tolerance.abs() + tolerance.rel() * Math.abs(e));
      if (!(excess <= 0)) {
        misses++;
        if (worst < 0 || !(excess <= worstExcess)) {
          worst = i;
          worstExcess = excess;
        }
      }
    }
    if (worst >= 0) {
      fail(String.format("%s: %d of %d elements outside |d| <= %.0e + %.0e*|ort|; worst at %d: ORT %s, Braid %s (|d| = %.3e)",
          what, misses, expected.size(), tolerance.abs(), tolerance.rel(), worst, expected.get(worst), actual.get(worst),
          Math.abs(actual.get(worst) - expected.get(worst))));
    }
  }
}
