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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code braid conformance repo} lays ONNX's backend cases out as a repository, and {@code braid
 * models list} shows each model's tensors or the reason it is refused, at import, at binding or at
 * lowering, one line each.
 */
class ConformanceRepoTest {
  record Result(int code, String out, String err) {}

  static Result braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void repoOfTheCasesListsTensorsOrThePreciseRefusal(@TempDir Path data, @TempDir Path repo) throws Exception {
    // A non-batching model (fixed first dimension), as most of ONNX's node cases are.
    OnnxModelBuilder relu = new OnnxModelBuilder("relu");
    relu.input("x", DType.FLOAT32, 3, 4);
    relu.node("Relu", List.of("x"), List.of("y"), Map.of());
    relu.output("y", DType.FLOAT32, 3, 4);
    relu.write(Files.createDirectories(data.resolve("node/test_relu")).resolve("model.onnx"));
    // Refused at import: an operator Braid lacks.
    OnnxModelBuilder odd = new OnnxModelBuilder("odd");
    odd.input("x", DType.FLOAT32, "batch", 4);
    odd.node("Det", List.of("x"), List.of("y"), Map.of());
    odd.output("y", DType.FLOAT32, "batch", 4);
    odd.write(Files.createDirectories(data.resolve("node/test_det")).resolve("model.onnx"));
    // Loads, specialized per request: Reshape's target shape is an input, known only per request.
    writeReshape(Files.createDirectories(data.resolve("simple/test_reshape")).resolve("model.onnx"));
    // Refused at binding: a target "shape" of 100 elements is more than a specialization input may hold.
    OnnxModelBuilder big = new OnnxModelBuilder("reshape_big");
    big.input("x", DType.FLOAT32, 2, 6);
    big.input("shape", DType.INT64, 100);
    big.node("Reshape", List.of("x", "shape"), List.of("y"), Map.of());
    big.outputOfAnyShape("y", DType.FLOAT32);
    big.write(Files.createDirectories(data.resolve("simple/test_reshape_big")).resolve("model.onnx"));
    Files.createDirectories(data.resolve("node/test_no_model")); // a directory without a model is no case

    Result written = braid("conformance", "repo", "--out", repo.toString(), "--data", data.toString(),
        "--suites", "node,simple");
    assertEquals(0, written.code(), written.err());
    assertTrue(written.out().contains("wrote 4 models"), written.out());
    assertTrue(Files.isRegularFile(repo.resolve("node_test_relu/1/model.onnx")));
    assertFalse(Files.exists(repo.resolve("node_test_relu/config.pbtxt")));

    Result listed = braid("models", "list", "--repo", repo.toString());
    assertEquals(1, listed.code(), "some models are refused: " + listed.out());
    assertTrue(listed.out().contains("node_test_relu  version 1, max_batch_size 0"), listed.out());
    assertTrue(listed.out().contains("    input  x: FLOAT [3, 4]"), listed.out());
    String det = line(listed.out(), "node_test_det  REFUSED: ");
    assertTrue(det.contains("'Det'") && !det.contains("supported operators"), det);
    assertTrue(listed.out().contains("simple_test_reshape  version 1, max_batch_size 0"), listed.out());
    assertTrue(listed.out().contains("    input  shape: INT64 [2]"), listed.out());
    assertTrue(listed.out().contains("    specializes on inputs [shape]: their values define shapes"), listed.out());
    String bigLine = line(listed.out(), "simple_test_reshape_big  REFUSED: ");
    assertTrue(bigLine.contains("Reshape") && bigLine.contains("must be a constant"), bigLine);
    assertTrue(listed.out().contains("4 models: 2 load, 2 refused"), listed.out());
  }

  @Test
  void missingDataIsOneClearLine(@TempDir Path repo) {
    Result r = braid("conformance", "repo", "--out", repo.toString(), "--data", repo.resolve("absent").toString());
    assertEquals(BraidCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("libonnx-testdata"), r.err());
  }

  private static String line(String out, String prefix) {
    return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(prefix + " in " + out));
  }

  /** x[2, 6] reshaped to the value of its input "shape" (INT64 [2]): a model that specializes on "shape". */
  static void writeReshape(Path file) {
    OnnxModelBuilder reshape = new OnnxModelBuilder("reshape");
    reshape.input("x", DType.FLOAT32, 2, 6);
    reshape.input("shape", DType.INT64, 2);
    reshape.node("Reshape", List.of("x", "shape"), List.of("y"), Map.of());
    reshape.outputOfAnyShape("y", DType.FLOAT32);
    reshape.write(file);
  }
}
