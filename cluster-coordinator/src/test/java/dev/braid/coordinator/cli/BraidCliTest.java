package dev.braid.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.DType;
import dev.braid.model.onnx.OnnxModelBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user meets it: output on success, one clear line and exit code 2 on bad input. */
class BraidCliTest {
  @TempDir static Path zoo;

  record Result(int code, String out, String err) {}

  static Result braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void generateSmallZoo() {
    Result r = braid("models", "generate", "--out", zoo.toString(), "--models", "mlp", "--seed", "7");
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void helpListsTheCommands() {
    Result r = braid("--help");
    assertEquals(0, r.code());
    for (String command : List.of("models", "run", "serve", "infer", "help")) {
      assertTrue(r.out().contains("  " + command + " "), r.out());
    }
  }

  @Test
  void generateWritesTritonLayoutAndReportsSizes() {
    assertTrue(Files.isRegularFile(zoo.resolve("mlp/1/model.onnx")));
    assertTrue(Files.isRegularFile(zoo.resolve("mlp/config.pbtxt")));
    Result r = braid("models", "list", "--repo", zoo.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("mlp  version 1, max_batch_size 8"), r.out());
  }

  @Test
  void runPrintsShapeTopFiveAndLatency() {
    Result r = braid("run", "--repo", zoo.toString(), "--model", "mlp", "--batch", "2", "--device", "cpu",
        "--iterations", "2", "--warmup", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("output logits       FLOAT [2, 10]"), r.out());
    String top = r.out().lines().filter(l -> l.contains("top-5 of batch item 0:")).findFirst().orElseThrow();
    assertEquals(5, top.split("=").length - 1, top);
    assertTrue(r.out().contains("latency: first run "), r.out());
  }

  @Test
  void runIsDeterministicForTheSameSeed() {
    String[] args = {"run", "--repo", zoo.toString(), "--model", "mlp", "--device", "cpu", "--iterations", "1"};
    assertEquals(topLine(braid(args)), topLine(braid(args)));
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES) // an undriven simulation never ends: fail, do not hang the build
  void runOnASimulatedGpuEndsWithTheCpuOutputsAndAVirtualTimeLatency() {
    String[] sim = {"run", "--repo", zoo.toString(), "--model", "mlp", "--device", "sim-h100", "--iterations", "2"};
    Result r = braid(sim);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("on sim NVIDIA H100"), r.out());
    String[] cpu = {"run", "--repo", zoo.toString(), "--model", "mlp", "--device", "cpu", "--iterations", "1"};
    assertEquals(topLine(braid(cpu)), topLine(r), "the simulation computes the outputs on the CPU device");
    String latency = r.out().lines().filter(l -> l.startsWith("simulated latency (virtual time): first run "))
        .findFirst().orElseThrow(() -> new AssertionError(r.out()));
    // Virtual time does not depend on the host: a second run prints the same figures.
    assertEquals(latency, braid(sim).out().lines().filter(l -> l.startsWith("simulated latency")).findFirst()
        .orElseThrow());
  }

  private static String topLine(Result r) {
    return r.out().lines().filter(l -> l.contains("top-5")).findFirst().orElseThrow();
  }

  @Test
  void listLoadsWhatRunLoadsWhenTheConfigFixesADynamicDim(@TempDir Path repo) throws Exception {
    OnnxModelBuilder b = new OnnxModelBuilder("seq");
    b.input("x", DType.FLOAT32, 1, "seq", 4);
    b.node("Relu", List.of("x"), List.of("y"), Map.of());
    b.output("y", DType.FLOAT32, 1, "seq", 4);
    b.write(Files.createDirectories(repo.resolve("seq/1")).resolve("model.onnx"));
    Files.writeString(repo.resolve("seq/config.pbtxt"), "max_batch_size: 0\n"
        + "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 1, 3, 4 ] } ]\n"
        + "output [ { name: \"y\" data_type: TYPE_FP32 dims: [ 1, 3, 4 ] } ]\n");
    Result run = braid("run", "--repo", repo.toString(), "--model", "seq", "--device", "cpu", "--iterations", "1");
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("output y            FLOAT [1, 3, 4]"), run.out());
    Result list = braid("models", "list", "--repo", repo.toString());
    assertEquals(0, list.code(), list.out());
    assertTrue(list.out().contains("1 models: 1 load, 0 refused"), list.out());
  }

  @Test
  void runRefusesAModelThatSpecializesOnAnInputNamingIt(@TempDir Path repo) throws Exception {
    ConformanceRepoTest.writeReshape(Files.createDirectories(repo.resolve("reshape/1")).resolve("model.onnx"));
    assertTrue(braid("models", "list", "--repo", repo.toString()).out().contains("specializes on inputs [shape]"));
    assertUsageError(braid("run", "--repo", repo.toString(), "--model", "reshape", "--device", "cpu"),
        "model 'reshape' specializes on inputs [shape]");
  }

  @Test
  void runPrintsAnOutputWithoutElements(@TempDir Path repo) throws Exception {
    OnnxModelBuilder b = new OnnxModelBuilder("empty");
    b.input("x", DType.FLOAT32, 0, 4);
    b.node("Relu", List.of("x"), List.of("y"), Map.of());
    b.output("y", DType.FLOAT32, 0, 4);
    b.write(Files.createDirectories(repo.resolve("empty/1")).resolve("model.onnx"));
    Result r = braid("run", "--repo", repo.toString(), "--model", "empty", "--device", "cpu", "--iterations", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("top-5 of batch item 0: (no elements)"), r.out());
  }

  @Test
  void truncatedModelIsAClearErrorWithoutStackTrace(@TempDir Path repo) throws Exception {
    byte[] good = Files.readAllBytes(zoo.resolve("mlp/1/model.onnx"));
    Path file = Files.createDirectories(repo.resolve("cut/1")).resolve("model.onnx");
    Files.write(file, Arrays.copyOf(good, good.length / 3));
    Result r = braid("run", "--repo", repo.toString(), "--model", "cut", "--device", "cpu");
    assertUsageError(r, "is not a valid ONNX model");
  }

  @Test
  void runSaysWhenItsRandomInputsAreNoIndicesTheModelCanTake(@TempDir Path repo) throws Exception {
    // A one-row table: almost every random index (0..9) is out of its range.
    OnnxModelBuilder b = new OnnxModelBuilder("lookup");
    b.input("idx", DType.INT64, 8);
    b.node("Gather", List.of(b.initializer("table", new float[] {1, 2, 3}, 1, 3), "idx"), List.of("y"), Map.of());
    b.output("y", DType.FLOAT32, 8, 3);
    b.write(Files.createDirectories(repo.resolve("lookup/1")).resolve("model.onnx"));
    for (String device : List.of("cpu", "sim-h100")) {
      Result r = braid("run", "--repo", repo.toString(), "--model", "lookup", "--device", device);
      assertUsageError(r, "the seeded random inputs are not data this model can take");
      assertTrue(r.err().contains("is outside [-1, 1)") && r.err().contains("braid infer --input"), r.err());
    }
  }

  @Test
  void anOutThatCannotBeWrittenIsOneLineNamingThePath() {
    // Under /proc nothing can be created, not even by root.
    Result r = braid("models", "generate", "--out", "/proc/braid-nope", "--models", "mlp");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("/proc/braid-nope") && r.err().contains("no such file or directory"), r.err());
    assertFalse(r.err().contains("Exception"), "no exception class names: " + r.err());
  }

  @Test
  void unsupportedOperatorNamesNodeOpAndOpset(@TempDir Path repo) throws Exception {
    OnnxModelBuilder b = new OnnxModelBuilder("lstm");
    b.input("x", DType.FLOAT32, "batch", 4);
    b.node("Bernoulli", List.of("x"), List.of("y"), Map.of());
    b.output("y", DType.FLOAT32, "batch", 4);
    b.write(Files.createDirectories(repo.resolve("odd/1")).resolve("model.onnx"));
    Result r = braid("run", "--repo", repo.toString(), "--model", "odd", "--device", "cpu");
    assertUsageError(r, "Bernoulli");
    assertTrue(r.err().contains("opset 17"), r.err());
    assertTrue(r.err().contains("Conv"), "lists the supported operators: " + r.err());
  }

  @Test
  void badConfigNamesFileLineAndColumn(@TempDir Path repo) throws Exception {
    Path dir = Files.createDirectories(repo.resolve("mlp/1"));
    Files.copy(zoo.resolve("mlp/1/model.onnx"), dir.resolve("model.onnx"));
    Files.writeString(repo.resolve("mlp/config.pbtxt"), "name: \"mlp\"\nmax_batch_size: eight\n");
    Result r = braid("run", "--repo", repo.toString(), "--model", "mlp", "--device", "cpu");
    assertUsageError(r, "config.pbtxt:2:");
  }

  @Test
  void badFlagsNameTheFlagExpectedAndReceived() {
    assertUsageError(braid("run", "--repo", zoo.toString(), "--model", "mlp", "--batch", "0"),
        "--batch: expected an integer >= 1, got 0");
    assertUsageError(braid("run", "--repo", zoo.toString(), "--model", "mlp", "--batch", "9"),
        "--batch: expected at most max_batch_size 8 of model 'mlp', got 9");
    assertUsageError(braid("run", "--repo", zoo.toString(), "--model", "mlp", "--device", "tpu"),
        "--device: expected auto, cpu");
    assertUsageError(braid("run", "--repo", zoo.toString(), "--model", "nope"), "model 'nope' not found");
    assertUsageError(braid("serve", "--repo", zoo.toString(), "--device", "cpu,sim-h100"),
        "--device: expected auto, cpu or cuda[:N] for a server");
    assertUsageError(braid("serve", "--repo", zoo.toString(), "--role", "gpu,router"),
        "--role: expected frontend, coordinator or gpu, got 'router'");
    assertUsageError(braid("serve", "--repo", zoo.toString(), "--role", "gpu", "--seed", "somewhere"),
        "--seed: expected HOST:PORT");
    // grpc-java took -1 for port 80 and failed 70000 after 30 s in a background thread's stack trace
    assertUsageError(braid("infer", "--model", "mlp", "--port", "70000"), "--port: expected an integer in 1..65535");
    assertUsageError(braid("infer", "--model", "mlp", "--port", "-1"), "--port: expected an integer in 1..65535");
  }

  @Test
  void serveRefusesAPortInUseNamingTheFlag() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
      String port = String.valueOf(taken.getLocalPort());
      assertUsageError(braid("serve", "--repo", zoo.toString(), "--device", "cpu", "--metrics-port", "0",
          "--cluster-port", "0", "--http-port", "0", "--grpc-port", port), "--grpc-port: expected a free port");
      assertUsageError(braid("serve", "--repo", zoo.toString(), "--device", "cpu", "--metrics-port", "0",
          "--cluster-port", "0", "--grpc-port", "0", "--http-port", port), "--http-port: expected a free port");
    }
    assertUsageError(braid("serve", "--repo", zoo.toString(), "--device", "cpu", "--metrics-port", "0",
        "--cluster-port", "0", "--grpc-port", "18061", "--http-port", "18061"), "--http-port: expected a port other");
  }

  private static void assertUsageError(Result r, String fragment) {
    assertEquals(BraidCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains(fragment), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }
}
