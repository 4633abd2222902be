package dev.braid.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One case of ONNX's backend test data as the Debian package {@code libonnx-testdata} installs it:
 * {@code <root>/<suite>/<name>/model.onnx} and {@code test_data_set_N/{input,output}_K.pb}, each a
 * serialized {@code TensorProto}. Its id, {@code <suite>/<name>}, is the line the passing list
 * holds.
 */
record BackendCase(String suite, String name, Path dir) {
  /** The four suites of ONNX 1.12's backend data (the package's {@code real} models are left out). */
  static final List<String> SUITES = List.of("node", "pytorch-converted", "pytorch-operator", "simple");

  String id() {
    return suite + "/" + name;
  }

  Path model() {
    return dir.resolve("model.onnx");
  }

  /** The case's data sets, {@code test_data_set_0}, {@code _1}, ... in numeric order. */
  List<DataSet> dataSets() {
    List<DataSet> out = new ArrayList<>();
    for (int i = 0; Files.isDirectory(dir.resolve("test_data_set_" + i)); i++) {
      Path set = dir.resolve("test_data_set_" + i);
      out.add(new DataSet(numbered(set, "input_"), numbered(set, "output_")));
    }
    return out;
  }

  /** The inputs and expected outputs of one data set, in the order of the graph's inputs and outputs. */
  record DataSet(List<Path> inputs, List<Path> outputs) {}

  private static List<Path> numbered(Path set, String prefix) {
    List<Path> out = new ArrayList<>();
    for (int k = 0; Files.isRegularFile(set.resolve(prefix + k + ".pb")); k++) {
      out.add(set.resolve(prefix + k + ".pb"));
    }
    return out;
  }

  /** Every case of {@code suites} under {@code root} that has a model, sorted by id. */
  static List<BackendCase> discover(Path root, List<String> suites) {
    List<BackendCase> out = new ArrayList<>();
    for (String suite : suites) {
      Path dir = root.resolve(suite);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> cases = Files.list(dir)) {
        cases.filter(c -> Files.isRegularFile(c.resolve("model.onnx")))
            .forEach(c -> out.add(new BackendCase(suite, c.getFileName().toString(), c)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
    }
    out.sort(Comparator.comparing(BackendCase::id));
    return out;
  }
}
