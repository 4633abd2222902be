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

  /**
   * Every launch a case packs (LaunchPacker, as CudaDevice issues it) matches the signature of the
   * kernel it calls, parameter by parameter: count, kind and size, from the table the emulator's
   * build generated from the kernels' own declarations. A mismatch here is a launch a real GPU
   * would run with garbage arguments.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernelCases")
  void packingMatchesTheKernelSignatures(KernelCase c) throws Exception {
    Map<String, List<String>> signatures = signatures();
    List<dev.braid.device.KernelLaunch> launches = new java.util.ArrayList<>();
    List<dev.braid.device.DeviceBuffer> buffers = new java.util.ArrayList<>();
    try {
      for (dev.braid.device.kernel.Kernel k : c.problems()) {
        List<dev.braid.device.BufferSlice> args = new java.util.ArrayList<>();
        for (int i = 0; i < k.argNames().size(); i++) {
          dev.braid.device.DeviceBuffer b = cpu.allocate(Math.max(4, k.argBytes(i)));
          buffers.add(b);
          args.add(b.whole());
        }
        launches.add(new dev.braid.device.KernelLaunch(k, args));
      }
      dev.braid.device.Launch launch = c.grouped() ? new dev.braid.device.GroupedLaunch(launches) : launches.get(0);
      long[] next = {1L << 20};
      dev.braid.device.cuda.PackedLaunch packed = dev.braid.device.cuda.LaunchPacker.pack(launch,
          slice -> (1L << 32) + 4096L * buffers.indexOf(slice.buffer()) + slice.offsetBytes(),
          new dev.braid.device.cuda.LaunchPacker.Scratch() {
            @Override
            public long allocate(long bytes) {
              long a = next[0];
              next[0] += (bytes + 255) / 256 * 256;
              return a;
            }

            @Override
            public void free(long address) {}
          });
      assertTrue(!packed.calls().isEmpty(), c.name() + ": no kernel call");
      for (dev.braid.device.cuda.KernelCall call : packed.calls()) {
        List<String> want = signatures.get(call.function());
        assertTrue(want != null, c.name() + ": " + call.function() + " is not a kernel of braid_kernels.cu");
        List<String> got = call.params().stream().map(EmulatedGpuCheckTest::kindAndSize).toList();
        org.junit.jupiter.api.Assertions.assertEquals(want, got, c.name() + ": parameters of " + call.function()
            + " as LaunchPacker packs them, against the kernel's declaration");
      }
    } finally {
      buffers.forEach(cpu::free);
    }
  }

  private static String kindAndSize(dev.braid.device.cuda.KernelParam p) {
    if (p instanceof dev.braid.device.cuda.KernelParam.Ptr) {
      return "ptr:8";
    } else if (p instanceof dev.braid.device.cuda.KernelParam.I32) {
      return "i32:4";
    } else if (p instanceof dev.braid.device.cuda.KernelParam.I64) {
      return "i64:8";
    } else if (p instanceof dev.braid.device.cuda.KernelParam.F32) {
      return "f32:4";
    }
    return "struct:" + ((dev.braid.device.cuda.KernelParam.Struct) p).bytes().length;
  }

  /** The emulator build's signature table: kernel name to "kind:size" per parameter. */
  private static Map<String, List<String>> signatures() throws java.io.IOException {
    try (java.io.InputStream in = CudaEmulator.class.getResourceAsStream("/dev/braid/device/cuda/emu/kernel_signatures.txt")) {
      assertTrue(in != null, "the emulator build wrote no kernel_signatures.txt");
      Map<String, List<String>> out = new java.util.HashMap<>();
      for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String[] parts = line.trim().split(" ", 2);
        out.put(parts[0], parts.length == 1 ? List.of() : List.of(parts[1].split(",")));
      }
      return out;
    }
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
