package dev.braid.bench.gpucheck;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.cuda.CudaEmulator;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code gpucheck kernels} and {@code gpucheck models} as the GPU check runs them, on CudaDevice
 * over the emulated CUDA driver (Braid's real kernels compiled for the CPU, see
 * native/src/main/cuda/emu): every kernel case at the check's tolerance, and every zoo model end
 * to end at image size 32 and batch 1 and 4. What this proves is the kernels' logic, the launch
 * geometry and parameter packing, and the Java CUDA host path; not speed, the real driver, or the
 * fatbin's load. Runs in bench/pom.xml's cuda-emulator execution; skips saying why where the
 * emulator was not built (no g++), fails where g++ exists but it is missing.
 */
class EmulatedGpuCheckTest {
  static final int IMAGE_SIZE = 32;
  static CudaDevice gpu;
  static CpuDevice cpu;
  static Map<String, RepositoryModel> zoo;

  @BeforeAll
  static void open() throws Exception {
    String missing = CudaEmulator.missing();
    if (missing != null) {
      if (CudaEmulator.compilerOnPath()) {
        fail("g++ is on the PATH, so the build should have made the emulated CUDA driver, but " + missing);
      }
      Assumptions.abort("skipping the emulated CUDA driver's tests: " + missing);
    }
    CudaEmulator.request();
    gpu = CudaDevice.open(0);
    cpu = new CpuDevice(2);
    zoo = Zoo.load(ModelZoo.MODEL_NAMES, IMAGE_SIZE);
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
    }
    if (cpu != null) {
      cpu.close();
    }
  }

  static Stream<KernelCase> kernelCases() {
    return KernelCases.all().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernelCases")
  void kernelCaseMatchesTheCpuDevice(KernelCase c) {
    KernelsCommand.Outcome o = KernelsCommand.check(gpu, cpu, c, new SplittableRandom(c.name().hashCode()),
        KernelsCommand.DEFAULT_TOLERANCE);
    System.out.printf(Locale.ROOT, "emulated gpucheck kernels %-60s max rel %.2e%n", c.name(), o.error().maxRel());
    assertTrue(o.passed(), () -> c.name() + " (" + String.join(", ", c.cudaKernels()) + "): "
        + (o.failure() != null ? o.failure() : "max rel error " + o.error().maxRel() + " above " + KernelsCommand.DEFAULT_TOLERANCE));
    assertTrue(gpu.healthy());
  }

  static Stream<Arguments> models() {
    return ModelZoo.MODEL_NAMES.stream().flatMap(m -> Stream.of(Arguments.of(m, 1), Arguments.of(m, 4)));
  }

  @ParameterizedTest(name = "{0} at batch {1}")
  @MethodSource("models")
  void zooModelMatchesTheCpuDevice(String model, int batch) {
    var graph = zoo.get(model).latest().bind(batch);
    ModelsCommand.Outcome o = ModelsCommand.check(gpu, cpu, graph, model, batch,
        dev.braid.coordinator.cli.RandomInputs.drawn(graph, new SplittableRandom(42L * batch)),
        ModelsCommand.DEFAULT_TOLERANCE);
    System.out.printf(Locale.ROOT, "emulated gpucheck models %-12s batch %d max rel %.2e (emulated %.0f ms, cpu %.0f ms)%n",
        model, batch, o.error().maxRel(), o.deviceMs(), o.referenceMs());
    assertTrue(o.passed(), () -> model + " at batch " + batch + ": "
        + (o.failure() != null ? o.failure() : "max rel error " + o.error().maxRel() + " above " + ModelsCommand.DEFAULT_TOLERANCE));
  }
}
