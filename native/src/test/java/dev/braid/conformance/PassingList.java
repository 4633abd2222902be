package dev.braid.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The committed list of cases that pass ({@code conformance/passing.txt} among the test
 * resources): one case id ({@code <suite>/<name>}) per line, sorted, {@code #} comments allowed.
 * The test fails when a listed case no longer passes, so the list can only grow; {@link #write}
 * regenerates it from a run with no regression.
 */
final class PassingList {
  static final String RESOURCE = "/conformance/passing.txt";
  /** Where the list lives in the source tree, relative to the native module. */
  static final String SOURCE = "src/test/resources/conformance/passing.txt";

  private PassingList() {}

  /** The listed ids, or an empty set when the resource is absent. */
  static Set<String> read() throws IOException {
    try (InputStream in = PassingList.class.getResourceAsStream(RESOURCE)) {
      Set<String> ids = new TreeSet<>();
      if (in == null) {
        return ids;
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String id = line.strip();
        if (!id.isEmpty() && !id.startsWith("#")) {
          ids.add(id);
        }
      }
      return ids;
    }
  }

  /** Rewrites the list in the source tree under {@code moduleDir} with {@code ids}. */
  static Path write(Path moduleDir, Set<String> ids) throws IOException {
    Path file = moduleDir.resolve(SOURCE);
    List<String> lines = new ArrayList<>();
    lines.add("# ONNX backend cases (libonnx-testdata) that Braid passes on CpuDevice: OnnxBackendConformanceTest");
    lines.add("# fails when one of them stops passing. Regenerate after a run with new passes:");
    lines.add("#   " + OnnxBackendConformanceTest.UPDATE_COMMAND);
    lines.addAll(new TreeSet<>(ids));
    Files.createDirectories(file.getParent());
    Files.write(file, lines, StandardCharsets.UTF_8);
    return file;
  }
}
