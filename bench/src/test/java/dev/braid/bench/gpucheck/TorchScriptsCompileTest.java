package dev.braid.bench.gpucheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The GPU check's Python scripts at least compile, (the same check as python3 -m py_compile, without writing a .pyc), so a syntax error is caught here, not on the GPU host. */
class TorchScriptsCompileTest {
  @ParameterizedTest
  @ValueSource(strings = {"torch_peer.py", "torch_bmm.py", "summarize.py", "driver.py"})
  void compiles(String script) throws Exception {
    Path file = Path.of("gpu", script); // Surefire runs in the module directory
    assertEquals(true, Files.exists(file), file.toAbsolutePath() + " missing");
    assumeTrue(onPath("python3"), "python3 not installed");
    Process p = new ProcessBuilder("python3", "-c",
        "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], \"exec\")", file.toString())
        .redirectErrorStream(true).start();
    boolean done = p.waitFor(60, TimeUnit.SECONDS);
    String output = new String(p.getInputStream().readAllBytes());
    assertEquals(true, done, "py_compile hung");
    assertEquals(0, p.exitValue(), output);
  }

  private static boolean onPath(String exe) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, exe))) {
        return true;
      }
    }
    return false;
  }
}
