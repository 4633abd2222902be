package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Zoo models at a small image size (32), written once into a directory, with random inputs of n
 * rows and the outputs each gets when run alone on the CPU device: the oracle every scheduled
 * execution must match.
 */
public final class ZooFixture implements AutoCloseable {
  public final Map<String, RepositoryModel> models = new LinkedHashMap<>();
  private final CpuDevice reference = new CpuDevice(2);
  private final Map<String, CompiledModel> compiled = new HashMap<>();

  public ZooFixture(Path dir, String... names) {
    ModelZoo.generate(dir, ZooOptions.defaults().withImageSize(32).withModels(names));
    ModelRepository repo = ModelRepository.open(dir);
    for (String n : names) {
      models.put(n, repo.load(n));
    }
  }

  /** Random inputs of {@code rows} rows for {@code model}, reproducible from {@code seed}. */
  public Map<String, Tensor> inputs(String model, int rows, long seed) {
    Random rnd = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (ValueInfo v : models.get(model).latest().bind(rows).inputs()) {
      Shape s = v.shape();
      if (v.dtype().isFloating()) {
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = rnd.nextFloat() * 2 - 1;
        }
        in.put(v.name(), Tensor.ofFloats(v.dtype(), s, d));
      } else {
        long[] d = new long[s.size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = rnd.nextInt(16);
        }
        in.put(v.name(), Tensor.ofLongs(v.dtype(), s, d));
      }
    }
    return in;
  }

  /** The outputs of {@code model} run alone on the CPU device at the inputs' rows. */
  public synchronized Map<String, Tensor> alone(String model, Map<String, Tensor> inputs) {
    int rows = inputs.values().iterator().next().shape().dim(0);
    CompiledModel m = compiled.computeIfAbsent(model + "@" + rows,
        k -> ModelExecutor.compile(models.get(model).latest().bind(rows), reference));
    return m.run(inputs).toCompletableFuture().join();
  }

  /** Asserts {@code actual} equals {@code expected} output by output within 1e-5. */
  public static void assertClose(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what + ": output names");
    for (String k : expected.keySet()) {
      Tensor e = expected.get(k);
      Tensor a = actual.get(k);
      assertEquals(e.shape(), a.shape(), what + ": shape of " + k);
      float[] ef = e.toFloats();
      float[] af = a.toFloats();
      for (int i = 0; i < ef.length; i++) {
        if (Math.abs(ef[i] - af[i]) > 1e-5 * Math.max(1, Math.abs(ef[i]))) {
          throw new AssertionError(what + ": output " + k + "[" + i + "] expected " + ef[i] + ", got " + af[i]);
        }
      }
    }
  }

  @Override
  public void close() {
    reference.close();
  }
}
