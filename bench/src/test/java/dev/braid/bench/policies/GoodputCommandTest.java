package dev.braid.bench.policies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cli.BraidCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench policies --goodput --critical} through the CLI on a tiny simulated workload (two
 * mlp instances, 10 ms windows), and the errors of its flags.
 */
class GoodputCommandTest {
  private record Run(int code, String out, String err) {}

  @TempDir
  static Path shared;
  static Run a;
  static Run b;

  private static Run braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  private static Run tiny(Path out) {
    return braid("bench", "policies", "--device", "sim-h100", "--models", "2", "--mix", "mlp", "--duration", "10ms",
        "--probe-duration", "10ms", "--goodput", "--critical", "mlp", "--seed", "3", "--out", out.toString());
  }

  @BeforeAll
  static void twoRuns() {
    a = tiny(shared.resolve("a"));
    b = tiny(shared.resolve("b"));
  }

  private static String json(String run) throws Exception {
    return Files.readString(shared.resolve(run).resolve("results.json"));
  }

  @Test
  void theSameInputsGiveTheSameSearchAndByteIdenticalJson() throws Exception {
    assertEquals(0, a.code(), a.err());
    assertEquals(0, b.code(), b.err());
    assertArrayEquals(Files.readAllBytes(shared.resolve("a/results.json")),
        Files.readAllBytes(shared.resolve("b/results.json")));
    assertEquals(a.out().replace(shared.resolve("a").toString(), "DIR"),
        b.out().replace(shared.resolve("b").toString(), "DIR"));
  }

  @Test
  void theJsonKeepsItsKeysAndGainsAGoodputBlockWithEveryPolicyAndTheCriticalMix() throws Exception {
    String j = json("a");
    int goodput = j.indexOf("\"goodput\": {");
    assertTrue(goodput > j.indexOf("\"sweep\": ["), "the goodput block comes after the existing keys");
    for (String key : List.of("\"device\"", "\"policies\"", "\"ratios\"", "\"isolated\"", "\"instances\"")) {
      assertTrue(j.indexOf(key) < goodput, key + " before the goodput block");
    }
    String g = j.substring(goodput);
    for (String policy : PoliciesCommand.POLICIES) {
      assertTrue(g.contains("{\"policy\": \"" + policy + "\", \"multiplier\": "), policy + " in " + g);
    }
    for (String key : List.of("goodput_rps", "launches_per_request", "p90_super_kernel_size", "fused_share",
        "host_busy_share", "mean_batch_size", "per_model", "probes", "space_time_over_space_only",
        "space_time_over_time_only", "critical_p99_alone_ms", "p99_inflation", "best_effort_kept")) {
      assertTrue(g.contains("\"" + key + "\""), key + " in the goodput block");
    }
    assertTrue(g.contains("\"instance\": \"mlp#0\""), "--critical mlp names the first mlp instance");
  }

  @Test
  void theSuperKernelHistogramAgreesWithTheCounts() throws Exception {
    String g = json("a").substring(json("a").indexOf("\"goodput\": {"));
    Matcher m = Pattern.compile("\"super_kernels\": (\\d+), \"mean_super_kernel_size\": ([0-9.]+),"
        + " \"p90_super_kernel_size\": (\\d+), \"super_kernel_sizes\": \\{([^}]*)}").matcher(g);
    int seen = 0;
    while (m.find()) {
      seen++;
      long count = Long.parseLong(m.group(1));
      long sum = 0;
      long ops = 0;
      for (String entry : m.group(4).isEmpty() ? new String[0] : m.group(4).split(", ")) {
        String[] kv = entry.replace("\"", "").split(": ");
        sum += Long.parseLong(kv[1]);
        ops += Long.parseLong(kv[0]) * Long.parseLong(kv[1]);
      }
      assertEquals(count, sum, "the histogram counts every super-kernel: " + m.group());
      assertEquals(count == 0 ? 0 : (double) ops / count, Double.parseDouble(m.group(2)), 0.001, m.group());
    }
    assertEquals(3, seen, "one goodput point per policy");
  }

  @Test
  void theProbesAreInThePrintedTableAndTheRatiosArePrinted() {
    assertTrue(a.out().contains("goodput search: 2 models"), a.out());
    assertTrue(a.out().contains("goodput, space-time over space-only: "), a.out());
    assertTrue(a.out().contains("critical model mlp#0 (mlp): Triton priority 1"), a.out());
  }

  @Test
  void anUnknownCriticalModelIsAUsageErrorListingTheChoices(@TempDir Path dir) {
    Run run = braid("bench", "policies", "--device", "sim-h100", "--models", "2", "--critical", "vgg16", "--out",
        dir.resolve("x").toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out() + run.err());
    for (String s : List.of("--critical", "'vgg16'", "resnet18#0", "mobilenetv2#1", "an architecture of the mix")) {
      assertTrue(run.err().contains(s), "error should mention " + s + ": " + run.err());
    }
    assertTrue(Files.notExists(dir.resolve("x")), "nothing is written after a bad flag");
  }

  @Test
  void anInstanceBeyondTheMixIsAUsageError(@TempDir Path dir) {
    Run run = braid("bench", "policies", "--device", "sim-h100", "--models", "2", "--critical", "bert#2", "--out",
        dir.resolve("x").toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out() + run.err());
    assertTrue(run.err().contains("--critical") && run.err().contains("'bert#2'"), run.err());
  }

  @Test
  void aBadProbeDurationIsAUsageError(@TempDir Path dir) {
    Run run = braid("bench", "policies", "--device", "sim-h100", "--goodput", "--probe-duration", "soon", "--out",
        dir.resolve("x").toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out() + run.err());
    assertTrue(run.err().contains("--probe-duration") && run.err().contains("'soon'"), run.err());
  }

  @Test
  void criticalResolvesInstanceNamesAndArchitectures() {
    List<String> mix = List.of("resnet18", "mobilenetv2", "bert", "mlp");
    assertEquals("bert#6", PoliciesFlags.resolveCritical("bert#6", 8, mix));
    assertEquals("bert#2", PoliciesFlags.resolveCritical("bert", 8, mix));
    assertEquals("mlp#3", PoliciesFlags.resolveCritical(" mlp ", 8, mix));
  }
}
