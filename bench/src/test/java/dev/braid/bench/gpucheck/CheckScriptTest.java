package dev.braid.bench.gpucheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/gpu/check.sh} over a fake bundle whose "java" hangs: an outer SIGTERM (what a
 * device command's time limit sends) stops the running step at once and the EXIT trap still
 * writes check.json and summary.md, the step recorded as interrupted.
 */
class CheckScriptTest {
  @TempDir Path dir;

  @Test
  void aSigtermMidStepStillWritesTheSummaryAndRecordsTheStepAsInterrupted() throws Exception {
    assumeTrue(onPath("python3") && onPath("bash") && onPath("timeout"), "needs bash, timeout and python3");
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    for (String f : new String[] {"check.sh", "summarize.py", "driver.py"}) {
      Files.copy(Path.of("gpu", f), bundle.resolve(f)); // Surefire runs in the module directory
    }
    // the payload: a runtime whose java sleeps (a hung step), packed as xz by Python like the host unpacks it
    Path stage = Files.createDirectories(dir.resolve("stage/runtime/bin"));
    Files.createDirectories(dir.resolve("stage/lib"));
    Path java = stage.resolve("java");
    Files.writeString(java, "#!/usr/bin/env bash\nexec sleep 120\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Process pack = new ProcessBuilder("python3", "-c", "import sys, tarfile\n"
        + "with tarfile.open(sys.argv[1], 'w:xz') as t:\n  t.add(sys.argv[2] + '/runtime', 'runtime')\n"
        + "  t.add(sys.argv[2] + '/lib', 'lib')", bundle.resolve("payload.tar.xz").toString(),
        dir.resolve("stage").toString()).inheritIO().start();
    assertEquals(0, pack.waitFor());

    Path out = dir.resolve("out");
    ProcessBuilder pb = new ProcessBuilder("bash", bundle.resolve("check.sh").toString(), out.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("check.log").toFile());
    pb.environment().put("BRAID_CHECK_DEVICE", "cpu");
    Process check = pb.start();
    Path infoLog = out.resolve("info.log");
    for (int i = 0; i < 200 && !Files.exists(infoLog); i++) {
      Thread.sleep(100); // until the info step (whose java hangs) has started
    }
    assertTrue(Files.exists(infoLog), "the info step never started: " + Files.readString(dir.resolve("check.log")));
    Thread.sleep(500);
    long t0 = System.nanoTime();
    check.destroy(); // SIGTERM
    assertTrue(check.waitFor(30, TimeUnit.SECONDS), "check.sh did not stop after SIGTERM");
    long stopMillis = (System.nanoTime() - t0) / 1_000_000;
    String log = Files.readString(dir.resolve("check.log"));
    assertEquals(1, check.exitValue(), log);
    assertTrue(stopMillis < 15_000, "stopped " + stopMillis + " ms after SIGTERM, not at once: " + log);
    String json = Files.readString(out.resolve("check.json"));
    assertTrue(json.contains("\"interrupted\": \"SIGTERM\""), json);
    assertTrue(Pattern.compile("\"step\": \"info\",\\s*\"status\": \"interrupted\"").matcher(json).find(),
        json);
    assertTrue(json.contains("\"correctness_passed\": false"), json);
    String md = Files.readString(out.resolve("summary.md"));
    assertTrue(md.contains("Interrupted by SIGTERM"), md);
    assertTrue(log.contains("unpacked the runtime"), log);
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
