package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.braid.device.Device;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.TensorFiles;
import dev.braid.model.onnx.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's node cases of the operators {@code MiscDecompositions} rewrites and {@code MiscFolds}
 * evaluates, through import, binding and {@link CpuDevice}, against the expected outputs within
 * {@code 1e-4 + 1e-3 |expected|}. The cases give the window sizes, STFT's frame step and length,
 * MelWeightMatrix's inputs, MaxUnpool's output_shape and ReverseSequence's lengths as graph inputs;
 * here they are bound as constants (the form exported models carry, and the one Braid folds), so
 * the host folds and the constant paths are checked; ReverseSequence runs with its lengths at run
 * time as well. The conformance test runs the cases with every input at run time, where the
 * size-defining ones are refused. Every case here must pass.
 */
public class MiscNodeTest {
  private static final Path NODE = Path.of("/usr/share/libonnx-testdata/data/node");

  /** (operator, input index) bound as constants. */
  private static final Map<String, Set<Integer>> PARAMETERS = Map.of(
      "HannWindow", Set.of(0), "HammingWindow", Set.of(0), "BlackmanWindow", Set.of(0),
      "MelWeightMatrix", Set.of(0, 1, 2, 3, 4), "STFT", Set.of(1, 3), "MaxUnpool", Set.of(2),
      "ReverseSequence", Set.of(1), "DFT", Set.of(1));

  /** A case name's suffix that keeps its inputs at run time instead of binding {@link #PARAMETERS}. */
  private static final String AT_RUN_TIME = " (inputs at run time)";

  private static final List<String> CASES = List.of("test_shrink_hard", "test_shrink_soft",
      "test_eyelike_populate_off_main_diagonal", "test_eyelike_with_dtype", "test_eyelike_without_dtype",
      "test_hannwindow", "test_hannwindow_symmetric", "test_hammingwindow", "test_hammingwindow_symmetric",
      "test_blackmanwindow", "test_blackmanwindow_symmetric", "test_melweightmatrix", "test_lrn", "test_lrn_default",
      "test_reversesequence_batch", "test_reversesequence_time", "test_maxunpool_export_with_output_shape",
      "test_maxunpool_export_without_output_shape", "test_det_2d", "test_det_nd", "test_dft", "test_dft_axis",
      "test_dft_inverse", "test_stft", "test_stft_with_window",
      // ReverseSequence's lengths at run time too: the index map computed by Less, Sub and Where.
      "test_reversesequence_batch" + AT_RUN_TIME, "test_reversesequence_time" + AT_RUN_TIME);

  private static final CpuDevice DEVICE = new CpuDevice(2, 1 << 26);

  @TestFactory
  public Stream<DynamicTest> nodeCases() {
    Assumptions.assumeTrue(Files.isDirectory(NODE), NODE + " is missing (install libonnx-testdata)");
    Device device = device();
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c,
        () -> run(NODE.resolve(c.replace(AT_RUN_TIME, "")), !c.endsWith(AT_RUN_TIME), device)));
  }

  /** The device the cases run on; {@code MiscNodeEmulatedTest} runs them over the emulated CUDA driver. */
  protected Device device() {
    return DEVICE;
  }

  private static void run(Path dir, boolean fixParameters, Device device) {
    Path data = dir.resolve("test_data_set_0");
    ImportedModel m = OnnxImporter.load(dir.resolve("model.onnx"));
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (int i = 0; i < m.inputs().size(); i++) {
      inputs.put(m.inputs().get(i).name(), TensorFiles.read(data.resolve("input_" + i + ".pb")).tensor());
    }
    ModelGraph g;
    try {
      g = (fixParameters ? withParametersFixed(m, inputs) : m).bindDeclared(Map.of());
    } catch (ModelException e) {
      fail(dir.getFileName() + " was refused: " + e.getMessage(), e);
      return;
    }
    Map<String, Tensor> got;
    try (CompiledModel cm = ModelExecutor.compile(g, device)) {
      Map<String, Tensor> run = new HashMap<>();
      for (ValueInfo in : g.inputs()) {
        run.put(in.name(), inputs.get(in.name()));
      }
      got = cm.run(run).toCompletableFuture().join();
    }
    for (int i = 0; i < m.outputs().size(); i++) {
      String name = m.outputs().get(i).name();
      Tensor want = TensorFiles.read(data.resolve("output_" + i + ".pb")).tensor();
      Tensor have = got.get(name);
      assertEquals(want.shape(), have.shape(), name + " shape");
      for (int k = 0; k < want.size(); k++) {
        double w = want.get(k), h = have.get(k);
        if (!(Math.abs(h - w) <= 1e-4 + 1e-3 * Math.abs(w))) {
          fail(dir.getFileName() + " output '" + name + "' element " + k + ": expected " + w + ", got " + h);
        }
      }
    }
  }

  /** Moves the graph inputs read at a {@link #PARAMETERS} position into the initializers, with the case's values. */
  private static ImportedModel withParametersFixed(ImportedModel m, Map<String, Tensor> inputs) {
    Set<String> fixed = new java.util.HashSet<>();
    for (Node n : m.nodes()) {
      for (int i : PARAMETERS.getOrDefault(n.opType(), Set.of())) {
        if (n.hasInput(i) && m.input(n.input(i)) != null) {
          fixed.add(n.input(i));
        }
      }
    }
    Map<String, Tensor> init = new LinkedHashMap<>(m.initializers());
    List<TensorSpec> remaining = new ArrayList<>();
    for (TensorSpec in : m.inputs()) {
      if (fixed.contains(in.name())) {
        init.put(in.name(), inputs.get(in.name()));
      } else {
        remaining.add(in);
      }
    }
    return new ImportedModel(m.sourceName(), m.name(), m.opsetVersion(), m.producer(), remaining, m.outputs(), init,
        m.nodes(), m.metadata());
  }
}
