package dev.braid.bench.timeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cli.BraidCli;
import dev.braid.device.trace.TraceRecorder;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --trace}, {@code --trace-events} and {@code --timeline-png} through the CLI, on short simulated runs. */
class TraceFlagsTest {
  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private static Run braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  private static String[] policies(Path out, String... extra) {
    List<String> a = new java.util.ArrayList<>(List.of("bench", "policies", "--device", "sim-h100", "--models", "2",
        "--mix", "mlp,bert", "--duration", "40ms", "--seed", "3", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void policiesWritesOneBoundedTracePerPolicyAndThePngWithoutChangingTheResults() throws Exception {
    Run plain = braid(policies(dir.resolve("plain")));
    Path trace = dir.resolve("t/trace.json");
    Path png = dir.resolve("t/timeline.png");
    Run traced = braid(policies(dir.resolve("traced"), "--trace", trace.toString(), "--trace-events", "300",
        "--timeline-png", png.toString(), "--timeline-window-ms", "0.5"));
    assertEquals(0, plain.code(), plain.err());
    assertEquals(0, traced.code(), traced.err());
    assertArrayEquals(Files.readAllBytes(dir.resolve("plain/results.json")),
        Files.readAllBytes(dir.resolve("traced/results.json")), "tracing changes nothing the benchmark measures");
    for (String policy : List.of("time-only", "space-only", "space-time")) {
      Path f = dir.resolve("t/trace-" + policy + ".json");
      assertTrue(Files.isRegularFile(f), f.toString());
      String json = Files.readString(f);
      assertTrue(json.startsWith("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"braid\",\"maxEvents\":300,"
          + "\"events\":300,\"truncated\":true}"), json.substring(0, 200));
      assertTrue(json.contains("\"name\":\"trace truncated: only the first 300 events kept\""));
      assertTrue(json.contains("\"process_name\",\"args\":{\"name\":\"sim NVIDIA H100 80GB HBM3 " + policy + "\"}"),
          "one process per policy, named");
      assertTrue(traced.out().contains("wrote " + f + " (300 events, truncated: only the first 300 kept"),
          traced.out());
    }
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img);
    assertTrue(img.getWidth() >= 1000 && img.getHeight() >= 300, img.getWidth() + "x" + img.getHeight());
  }

  @Test
  void table1TracesItsGroupedLaunchesAsSuperKernels() throws Exception {
    Path trace = dir.resolve("t1.json");
    Run r = braid("bench", "table1", "--device", "sim-v100", "--r", "3", "--shapes", "square", "--out",
        dir.resolve("t1").toString(), "--trace", trace.toString());
    assertEquals(0, r.code(), r.err());
    String json = Files.readString(trace);
    assertTrue(json.contains("\"name\":\"Gemm x3\",\"cat\":\"super-kernel\""), "the grouped launch of R = 3");
    assertTrue(json.contains("\"truncated\":false"));
    assertTrue(json.contains("\"name\":\"SM occupancy\",\"cat\":\"counter\""));
  }

  @Test
  void badTraceFlagsNameTheFlagAndTheValue() {
    Run r = braid(policies(dir.resolve("bad"), "--trace", dir.resolve("x.json").toString(), "--trace-events", "0"));
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--trace-events: expected an integer >= 1, got 0"), r.err());
    Run w = braid(policies(dir.resolve("bad"), "--timeline-png", dir.resolve("x.png").toString(),
        "--timeline-from-ms", "soon"));
    assertEquals(2, w.code());
    assertTrue(w.err().contains("--timeline-from-ms: expected milliseconds >= 0 or auto, got 'soon'"), w.err());
  }

  @Test
  void onePerPolicyFileNamesInsertThePolicyBeforeTheExtension() {
    assertEquals(Path.of("/tmp/t-space-time.json"), TraceFlags.withPart(Path.of("/tmp/t.json"), "space-time"));
    assertEquals(Path.of("out/trace-fifo"), TraceFlags.withPart(Path.of("out/trace"), "fifo"));
    assertEquals(Path.of("a.b/t-x.json"), TraceFlags.withPart(Path.of("a.b/t.json"), "x"));
  }

  @Test
  void theAutomaticWindowIsTheOneWithTheMostSuperKernels() {
    TraceRecorder rec = new TraceRecorder(100);
    int p = rec.process("sim");
    rec.complete(p, 1, "Gemm", "kernel", 100_000, 5_000, Map.of());
    rec.complete(p, 1, "Gemm x3", "super-kernel", 2_600_000, 5_000, Map.of());
    rec.complete(p, 2, "Conv2d x2", "super-kernel", 3_100_000, 5_000, Map.of());
    rec.complete(p, TraceRecorder.HOST_TRACK, "launch Gemm x9", "host", 9_000_000, 5_000, Map.of());
    assertEquals(1_500_000, TimelineChart.busiestWindow(rec.events(), 2_000_000));
  }
}
