package dev.braid.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto.Dimension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every zoo model loads in ONNX Runtime and gives outputs of the declared shape that are finite,
 * of moderate magnitude and not degenerate, at batch 1 and 4. Image models run at 64 x 64 to
 * keep the suite fast; one ResNet-18 run at 224 checks the default size.
 */
class ModelZooRuntimeTest {
  @TempDir static Path repo;

  @BeforeAll
  static void generate() {
    ModelZoo.generate(repo, ZooOptions.defaults().withImageSize(64));
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "resnet18", "mobilenetv2", "bert"})
  void runsAtBatchOneAndFourWithSaneOutputs(String name) throws Exception {
    Path file = repo.resolve(name).resolve("1/model.onnx");
    long[] sample = sampleShape(file, true);
    long[] outSample = sampleShape(file, false);
    try (OrtRunner ort = new OrtRunner(file)) {
      float[] x4 = OrtRunner.randomInput(7, 4 * size(sample));
      OrtRunner.Output y4 = ort.run(x4, withBatch(4, sample));
      assertArrayEquals(withBatch(4, outSample), y4.shape(), name + " output shape at batch 4");
      checkSane(name, y4.values());

      float[] x1 = Arrays.copyOf(x4, size(sample));
      OrtRunner.Output y1 = ort.run(x1, withBatch(1, sample));
      assertArrayEquals(withBatch(1, outSample), y1.shape(), name + " output shape at batch 1");
      checkSane(name, y1.values());
      int n = y1.values().length;
      for (int i = 0; i < n; i++) {
        assertEquals(y1.values()[i], y4.values()[i], 1e-3f * (1 + Math.abs(y1.values()[i])),
            name + ": sample 0 of batch 4 differs from batch 1 at " + i);
      }
      // distinct inputs give distinct outputs: the network is not constant
      float[] second = Arrays.copyOfRange(y4.values(), n, 2 * n);
      assertTrue(maxAbsDiff(y1.values(), second) > 1e-3, name + " ignores its input");
    }
  }

  @Test
  void resnet18RunsAtTheDefaultImageSize(@TempDir Path out) throws Exception {
    Path dir = ModelZoo.generate(out, ZooOptions.defaults().withModels("resnet18")).get(0);
    try (OrtRunner ort = new OrtRunner(dir.resolve("1/model.onnx"))) {
      OrtRunner.Output y = ort.run(OrtRunner.randomInput(3, 3 * 224 * 224), 1, 3, 224, 224);
      assertArrayEquals(new long[] {1, 1000}, y.shape());
      checkSane("resnet18@224", y.values());
    }
  }

  /** Finite, |max| well below 1e3, and spread out (not all equal, not vanishing). */
  private static void checkSane(String name, float[] y) {
    double max = 0;
    double sum = 0;
    double squares = 0;
    for (float v : y) {
      assertTrue(Float.isFinite(v), name + " output is not finite: " + v);
      max = Math.max(max, Math.abs(v));
      sum += v;
      squares += (double) v * v;
    }
    double mean = sum / y.length;
    double std = Math.sqrt(Math.max(0, squares / y.length - mean * mean));
    assertTrue(max < 100, name + " |max| = " + max + ", expected < 100");
    assertTrue(std > 0.1, name + " std = " + std + ", expected > 0.1 (degenerate output)");
  }

  /** The declared dims after the symbolic batch of the graph's first input or output. */
  private static long[] sampleShape(Path file, boolean input) throws IOException {
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(file));
    var value = input ? m.getGraph().getInput(0) : m.getGraph().getOutput(0);
    List<Dimension> dims = value.getType().getTensorType().getShape().getDimList();
    return dims.subList(1, dims.size()).stream().mapToLong(Dimension::getDimValue).toArray();
  }

  private static long[] withBatch(long batch, long[] sample) {
    long[] shape = new long[sample.length + 1];
    shape[0] = batch;
    System.arraycopy(sample, 0, shape, 1, sample.length);
    return shape;
  }

  private static int size(long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }
}
