package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.NodeCaseFiles;
import dev.braid.model.onnx.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * ONNX's own backend node tests ({@code libonnx-testdata}) of the elementwise operators: each
 * case's model is imported, bound at its test inputs' shapes, run on {@link CpuDevice} and
 * compared with the expected outputs, within {@code 1e-4 + 1e-3 |expected|} for floating outputs
 * and exactly for integers and booleans. A case ends as PASS, REFUSED (a {@link ModelException} at
 * load, naming what is missing) or WRONG (an answer that differs, or any other failure).
 *
 * <p>The test fails on any WRONG case and on any case of {@code elementwise-node-cases.txt} (the
 * cases measured to pass) that no longer passes; it skips with one line where the data is not
 * installed. The full conformance harness over every suite lives elsewhere; this one is narrow
 * and fast, for the elementwise lowering.
 */
class ElementwiseNodeCasesTest {
  static final Path NODE = Path.of("/usr/share/libonnx-testdata/data/node");

  /** The case directories of the elementwise operators (a name then "_", a digit or the end). */
  static final Pattern CASES = Pattern.compile("test_(neg|reciprocal|exp|log|abs|floor|ceil|round|sign|sin|cos|tan"
      + "|asin|acos|atan|sinh|cosh|asinh|acosh|atanh|min|max|mean|sum|mod|equal|less|less_equal|greater"
      + "|greater_equal|and|or|xor|not|where|isnan|isinf|bitshift|castlike|cast|hardsigmoid|hardswish|leakyrelu"
      + "|prelu|elu|selu|celu|softplus|softsign|mish|thresholdedrelu|clip|pow|dropout|relu|sigmoid|tanh|add|sub"
      + "|mul|div|sqrt|erf|identity)($|_|\\d).*");

  enum Verdict { PASS, REFUSED, WRONG }

  record Outcome(String name, Verdict verdict, String detail) {}

  @Test
  void elementwiseNodeCasesPassOrAreRefusedNeverWrong() throws IOException {
    assumeTrue(Files.isDirectory(NODE), "skipped: ONNX backend test data not installed at " + NODE
        + " (apt-get install libonnx-testdata)");
    List<Path> dirs;
    try (Stream<Path> s = Files.list(NODE)) {
      // -Dbraid.nodeCases=REGEX widens the run (e.g. '.*' for every node case) for measurement.
      Pattern cases = Pattern.compile(System.getProperty("braid.nodeCases", CASES.pattern()));
      dirs = s.filter(p -> cases.matcher(p.getFileName().toString()).matches()).sorted().toList();
    }
    List<Outcome> outcomes = new ArrayList<>();
    try (CpuDevice device = new CpuDevice(2)) {
      for (Path dir : dirs) {
        outcomes.add(run(dir, device));
      }
    }
    Map<Verdict, Integer> counts = new TreeMap<>();
    Map<String, Integer> reasons = new TreeMap<>();
    for (Outcome o : outcomes) {
      counts.merge(o.verdict(), 1, Integer::sum);
      if (o.verdict() != Verdict.PASS) {
        System.out.println(o.verdict() + " " + o.name() + ": " + o.detail());
      }
    }
    System.out.println("elementwise node cases: " + outcomes.size() + " run, " + counts);
    TreeSet<String> passed = new TreeSet<>();
    outcomes.stream().filter(o -> o.verdict() == Verdict.PASS).forEach(o -> passed.add(o.name()));
    List<String> wrong = outcomes.stream().filter(o -> o.verdict() == Verdict.WRONG).map(Outcome::name).toList();
    assertTrue(wrong.isEmpty(), "WRONG answers: " + wrong);
    TreeSet<String> lost = new TreeSet<>(mustPass());
    lost.removeAll(passed);
    assertTrue(lost.isEmpty(), "cases listed as passing in elementwise-node-cases.txt no longer pass: " + lost);
  }

  static List<String> mustPass() throws IOException {
    try (InputStream in = ElementwiseNodeCasesTest.class.getResourceAsStream("elementwise-node-cases.txt")) {
      if (in == null) {
        return List.of();
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
  }

  static Outcome run(Path dir, CpuDevice device) {
    String name = dir.getFileName().toString();
    Path data = dir.resolve("test_data_set_0");
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Map<String, Tensor> expected = new LinkedHashMap<>();
    ImportedModel m;
    ModelGraph graph;
    try {
      m = OnnxImporter.load(dir.resolve("model.onnx"));
      for (int i = 0; Files.exists(data.resolve("input_" + i + ".pb")); i++) {
        Path f = data.resolve("input_" + i + ".pb");
        String n = NodeCaseFiles.name(f);
        TensorSpec spec = n.isEmpty() ? m.inputs().get(i) : m.input(n);
        inputs.put(spec == null ? n : spec.name(), spec == null ? NodeCaseFiles.read(f)
            : NodeCaseFiles.as(NodeCaseFiles.read(f), spec.dtype()));
      }
      for (int i = 0; Files.exists(data.resolve("output_" + i + ".pb")); i++) {
        Path f = data.resolve("output_" + i + ".pb");
        String n = NodeCaseFiles.name(f);
        TensorSpec spec = n.isEmpty() ? m.outputs().get(i) : m.output(n);
        expected.put(spec == null ? n : spec.name(), spec == null ? NodeCaseFiles.read(f)
            : NodeCaseFiles.as(NodeCaseFiles.read(f), spec.dtype()));
      }
      graph = bindAtInputShapes(m, inputs);
      for (var in : graph.inputs()) {
        if (!in.shape().equals(inputs.get(in.name()).shape())) {
          return new Outcome(name, Verdict.REFUSED, "test input '" + in.name() + "' has shape "
              + inputs.get(in.name()).shape() + " but the model declares " + in.shape());
        }
      }
    } catch (ModelException e) {
      return new Outcome(name, Verdict.REFUSED, e.getMessage());
    }
    try (CompiledModel compiled = ModelExecutor.compile(graph, device)) {
      Map<String, Tensor> got = compiled.run(inputs).toCompletableFuture().join();
      for (Map.Entry<String, Tensor> e : expected.entrySet()) {
        String diff = difference(e.getValue(), got.get(e.getKey()));
        if (diff != null) {
          return new Outcome(name, Verdict.WRONG, "output '" + e.getKey() + "': " + diff);
        }
      }
      return new Outcome(name, Verdict.PASS, "");
    } catch (ModelException e) {
      return new Outcome(name, Verdict.REFUSED, e.getMessage());
    } catch (RuntimeException e) {
      Throwable c = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith("java.") ? e.getCause() : e;
      return new Outcome(name, Verdict.WRONG, "failed: " + c);
    }
  }

  /**
   * Binds {@code m} at the shapes of its test inputs: the batch is the first ranked input's first
   * dimension, and every symbolic dimension takes the size the inputs give it.
   */
  static ModelGraph bindAtInputShapes(ImportedModel m, Map<String, Tensor> inputs) {
    int batch = 1;
    boolean batchSet = false;
    Map<String, Integer> params = new HashMap<>();
    for (TensorSpec spec : m.inputs()) {
      Tensor t = inputs.get(spec.name());
      if (t == null) {
        throw new ModelException("test data has no tensor for input '" + spec.name() + "'");
      }
      if (!batchSet && t.shape().rank() > 0) {
        batch = t.shape().dim(0);
        batchSet = true;
      }
      if (spec.hasShape()) {
        for (int i = 0; i < spec.rank() && i < t.shape().rank(); i++) {
          DimSpec d = spec.dims().get(i);
          if (d.isSymbolic()) {
            params.put(d.param(), t.shape().dim(i));
          }
        }
      }
    }
    return m.bind(Math.max(batch, 1), params);
  }

  /** Null when {@code got} matches {@code want}; else the first difference, in words. */
  static String difference(Tensor want, Tensor got) {
    if (got == null) {
      return "not produced";
    }
    if (!want.shape().equals(got.shape())) {
      return "shape " + got.shape() + ", expected " + want.shape();
    }
    if (want.dtype() != got.dtype()) {
      return "element type " + got.dtype() + ", expected " + want.dtype();
    }
    for (int i = 0; i < want.size(); i++) {
      if (want.isFloating()) {
        float w = want.floats()[i], g = got.floats()[i];
        boolean ok = Float.isNaN(w) ? Float.isNaN(g)
            : Float.isInfinite(w) ? w == g : Math.abs(g - w) <= 1e-4 + 1e-3 * Math.abs(w);
        if (!ok) {
          return "element " + i + " is " + g + ", expected " + w;
        }
      } else if (want.longs()[i] != got.longs()[i]) {
        return "element " + i + " is " + got.longs()[i] + ", expected " + want.longs()[i];
      }
    }
    return null;
  }
}
