package dev.braid.bench.policies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cli.BraidCli;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench policies} through the CLI, on short simulated runs and one tiny CPU run. */
class PoliciesCommandTest {
  private static final List<String> POLICY_KEYS = List.of("policy", "throughput_rps", "tflops", "sm_util", "p50_ms",
      "p99_ms", "slo_attainment", "submitted", "completed", "failed", "failures", "super_kernels",
      "mean_super_kernel_size");

  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /** What one CLI invocation printed and returned. */
  private record Run(int code, String out, String err) {}

  @TempDir
  static Path shared;
  static Run simA;
  static Run simB;

  private static Run braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  /** A short run of 4 models (each architecture once) at 224: 150 ms of virtual time. */
  private static Run shortSim(Path out) {
    return braid("bench", "policies", "--device", "sim-h100", "--models", "4", "--duration", "150ms", "--seed", "7",
        "--out", out.toString());
  }

  @BeforeAll
  static void twoSimRuns() {
    simA = shortSim(shared.resolve("a"));
    simB = shortSim(shared.resolve("b"));
  }

  private static List<String> policyLines(String json) {
    return json.lines().filter(l -> l.trim().startsWith("{\"policy\"")).toList();
  }

  private static double number(String line, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": (-?[0-9.]+)").matcher(line);
    assertTrue(m.find(), key + " in " + line);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void twoSimulatedRunsWriteIdenticalJsonAndPrintIdenticalTables() throws Exception {
    assertEquals(0, simA.code(), simA.err());
    assertEquals(0, simB.code(), simB.err());
    assertArrayEquals(Files.readAllBytes(shared.resolve("a/results.json")),
        Files.readAllBytes(shared.resolve("b/results.json")), "virtual time is deterministic, so is the JSON");
    assertEquals(simA.out().replace(shared.resolve("a").toString(), "DIR"),
        simB.out().replace(shared.resolve("b").toString(), "DIR"));
  }

  @Test
  void jsonStartsWithDeviceModelsSeedPoliciesAndEveryPolicyHasEveryKey() throws Exception {
    String json = Files.readString(shared.resolve("a/results.json"));
    assertTrue(json.startsWith("{\n  \"device\": \"sim-h100\",\n  \"models\": 4,\n  \"seed\": 7,\n  \"policies\": [\n"),
        json);
    List<String> lines = policyLines(json);
    assertEquals(PoliciesCommand.POLICIES.size(), lines.size(), json);
    for (int i = 0; i < lines.size(); i++) {
      assertTrue(lines.get(i).contains("\"policy\": \"" + PoliciesCommand.POLICIES.get(i) + "\""), lines.get(i));
      for (String key : POLICY_KEYS) {
        assertTrue(lines.get(i).contains("\"" + key + "\": "), "lacks " + key + ": " + lines.get(i));
      }
    }
  }

  @Test
  void everySubmittedRequestIsAccountedForUnderEveryPolicy() throws Exception {
    String json = Files.readString(shared.resolve("a/results.json"));
    long requests = 0;
    for (String inst : json.lines().filter(l -> l.trim().startsWith("{\"name\"")).toList()) {
      requests += (long) number(inst, "requests");
    }
    assertTrue(requests > 50, "the run had work: " + requests + " requests");
    for (String p : policyLines(json)) {
      double submitted = number(p, "submitted");
      assertEquals(requests, submitted, p);
      assertEquals(submitted, number(p, "completed") + number(p, "failed"), p);
      double failures = 0;
      Matcher m = Pattern.compile("\"([A-Z_]+)\": (\\d+)").matcher(p);
      while (m.find()) {
        failures += Double.parseDouble(m.group(2));
      }
      assertEquals(number(p, "failed"), failures, "failures by reason add up: " + p);
      assertTrue(number(p, "slo_attainment") <= number(p, "completed") / submitted + 1e-4, p);
      assertTrue(number(p, "sm_util") > 0 && number(p, "sm_util") <= 1, p);
      assertTrue(number(p, "p50_ms") <= number(p, "p99_ms"), p);
    }
  }

  @Test
  void onlySpaceTimeFusesAndItsSuperKernelsHoldSeveralOps() throws Exception {
    // At this light load space-time, with eight streams and no holding by default, launches most
    // kernels alone; whether it fuses here depends on the arrivals, not on a rule to assert.
    for (String p : policyLines(Files.readString(shared.resolve("a/results.json")))) {
      if (p.contains("\"policy\": \"space-time\"")) {
        assertTrue(number(p, "super_kernels") == 0 || number(p, "mean_super_kernel_size") >= 2, p);
      } else {
        assertEquals(0, number(p, "super_kernels"), p);
      }
    }
    assertTrue(simA.out().contains("space-time over time-only:") && simA.out().contains("space-time over space-only:"),
        simA.out());
  }

  @Test
  void singleRunPngIsAValidImage() throws Exception {
    assertValidPng(shared.resolve("a/policies.png"));
  }

  @Test
  void sweepRunsEveryNAndPlotsAgainstIt(@TempDir Path dir) throws Exception {
    Run run = braid("bench", "policies", "--device", "sim-h100", "--models", "3", "--mix", "mlp,bert", "--duration",
        "40ms", "--sweep", "--out", dir.toString());
    assertEquals(0, run.code(), run.err());
    String json = Files.readString(dir.resolve("results.json"));
    List<Integer> ns = new ArrayList<>();
    Matcher m = Pattern.compile("\\{\"models\": (\\d+), \"rate_rps_per_model\"").matcher(json);
    while (m.find()) {
      ns.add(Integer.parseInt(m.group(1)));
    }
    assertEquals(List.of(1, 2, 3, 4, 8, 16), ns, "the sweep's N plus --models");
    assertTrue(json.startsWith("{\n  \"device\": \"sim-h100\",\n  \"models\": 3,"), json);
    assertEquals(3 + 3 * ns.size(), policyLines(json).size(), "main run plus three policies per N");
    assertValidPng(dir.resolve("policies.png"));
  }

  @Test
  void aTinyCpuRunComputesRealOutputsInWallTime(@TempDir Path dir) throws Exception {
    Run run = braid("bench", "policies", "--device", "cpu", "--threads", "2", "--models", "2", "--mix", "mlp",
        "--rate", "40", "--duration", "300ms", "--slo", "200ms", "--image-size", "32", "--out", dir.toString());
    assertEquals(0, run.code(), run.err());
    String json = Files.readString(dir.resolve("results.json"));
    assertTrue(json.contains("\"clock\": \"wall\"") && json.contains("\"device\": \"cpu\""), json);
    assertTrue(run.out().contains("busy"), "the utilisation column says what it measures: " + run.out());
    for (String p : policyLines(json)) {
      assertTrue(p.contains("\"utilization_source\": \"busy\""), p);
      assertEquals(number(p, "submitted"), number(p, "completed") + number(p, "failed"), p);
      assertTrue(number(p, "completed") > 0, p);
    }
  }

  @Test
  void unknownModelInMixIsAUsageErrorListingTheZoo(@TempDir Path dir) {
    assertUsageError(dir, "--mix", "resnet18,vgg16", "'vgg16'", "mobilenetv2");
  }

  @Test
  void zeroModelsIsAUsageError(@TempDir Path dir) {
    assertUsageError(dir, "--models", "0", "--models", "got 0");
  }

  @Test
  void badDurationIsAUsageError(@TempDir Path dir) {
    assertUsageError(dir, "--duration", "20", "--duration", "'20'");
    assertUsageError(dir, "--duration", "fast", "--duration", "'fast'");
  }

  @Test
  void badRateAndSloAreUsageErrors(@TempDir Path dir) {
    assertUsageError(dir, "--rate", "-3", "--rate", "'-3'");
    assertUsageError(dir, "--slo", "soon", "--slo", "'soon'");
    assertUsageError(dir, "--policies", "space-time,fifo", "--policies", "'fifo'");
  }

  @Test
  void unknownDeviceIsAUsageError(@TempDir Path dir) {
    Run run = braid("bench", "policies", "--device", "sim-k80", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out());
    assertTrue(run.err().contains("sim-k80") && run.err().contains("sim-h100"), run.err());
    Run tpu = braid("bench", "policies", "--device", "tpu", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, tpu.code(), tpu.out());
    assertTrue(tpu.err().contains("--device") && tpu.err().contains("tpu"), tpu.err());
  }

  private static void assertUsageError(Path dir, String flag, String value, String... mentions) {
    Run run = braid("bench", "policies", "--device", "sim-h100", flag, value, "--out", dir.resolve("x").toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), flag + " " + value + ": " + run.out() + run.err());
    for (String s : mentions) {
      assertTrue(run.err().contains(s), flag + " " + value + ": error should mention " + s + ": " + run.err());
    }
    assertTrue(Files.notExists(dir.resolve("x")), "nothing is written after a bad flag");
  }

  private static void assertValidPng(Path png) throws Exception {
    byte[] bytes = Files.readAllBytes(png);
    assertArrayEquals(PNG_MAGIC, Arrays.copyOf(bytes, PNG_MAGIC.length), "PNG signature");
    assertTrue(bytes.length > 20_000, "four panels of data and text take more than " + bytes.length + " bytes");
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, "ImageIO decodes it");
    assertTrue(image.getWidth() >= 1000 && image.getHeight() >= 800, image.getWidth() + "x" + image.getHeight());
  }
}
