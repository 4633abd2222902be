package dev.braid.bench.frontdoor;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench frontdoor} at about 1 s per phase: both servers answer every call, JSON complete. */
class FrontDoorBenchCommandTest {
  @Test
  void benchFrontdoorMeasuresBothServersAndEveryCallIsAnswered(@TempDir Path dir) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(new String[] {"bench", "frontdoor", "--seconds", "1", "--warmup-seconds", "1",
        "--in-flight", "16", "--device", "cpu", "--threads", "1", "--out", dir.toString()},
        new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(0, code, out + "\n" + err);

    String json = Files.readString(dir.resolve("frontdoor.json"));
    for (String key : List.of("bare_max_rate", "frontdoor_max_rate", "ratio", "latency_rate", "latency_pacing",
        "bare_p50_ms", "bare_p99_ms", "frontdoor_p50_ms", "frontdoor_p99_ms", "in_flight", "phases")) {
      assertTrue(json.contains("\"" + key + "\":"), key + " in " + json);
    }
    double bare = number(json, "bare_max_rate");
    double door = number(json, "frontdoor_max_rate");
    assertTrue(bare > 0 && door > 0, json);
    assertEquals(door / bare, number(json, "ratio"), 1e-3, json);
    assertTrue(number(json, "frontdoor_p99_ms") >= number(json, "frontdoor_p50_ms"), json);

    // Six phases (a, b, a, b closed; a, b open), each with every call answered. Closed loops keep
    // 64 calls in flight, which the front door serves without refusing any; the open loop offers
    // 70% of the bare server's maximum, more than the front door serves on this machine, and there
    // admission refuses the excess at once (RESOURCE_EXHAUSTED) rather than queueing it.
    Matcher m = Pattern.compile("\"mode\": \"([a-z@0-9.-]+)\"[^}]*?\"sent\": (\\d+), \"ok\": (\\d+), "
        + "\"errors\": (\\d+), \"unanswered\": (\\d+)").matcher(json);
    int phases = 0;
    while (m.find()) {
      phases++;
      long sent = Long.parseLong(m.group(2));
      assertTrue(sent > 0, json);
      assertEquals(0, Long.parseLong(m.group(5)), "every call answered: " + m.group());
      assertEquals(sent, Long.parseLong(m.group(3)) + Long.parseLong(m.group(4)), m.group());
      if (m.group(1).startsWith("closed")) {
        assertEquals(sent, Long.parseLong(m.group(3)), "every closed-loop call answered OK: " + m.group());
      }
    }
    assertEquals(6, phases, json);
    assertTrue(json.indexOf("\"server\": \"bare\"") < json.indexOf("\"server\": \"frontdoor\""), json);
  }

  @Test
  void compareMetricsAlternatesAFrontDoorWithMetricsOffAndReportsTheRatio(@TempDir Path dir) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(new String[] {"bench", "frontdoor", "--compare-metrics", "--seconds", "1",
        "--warmup-seconds", "0", "--in-flight", "8", "--device", "cpu", "--threads", "1", "--out", dir.toString()},
        new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(0, code, out + "\n" + err);
    String json = Files.readString(dir.resolve("frontdoor.json"));
    double on = number(json, "frontdoor_max_rate");
    double off = number(json, "metrics_off_max_rate");
    assertTrue(on > 0 && off > 0, json);
    assertEquals(on / off, number(json, "metrics_on_off_ratio"), 1e-3, json);
    assertEquals(2, json.split("\"server\": \"metrics-off\"", -1).length - 1, "two closed-loop phases: " + json);
    Matcher scrapes = Pattern.compile("scraped every second; (\\d+) scrapes").matcher(out.toString());
    assertTrue(scrapes.find() && Long.parseLong(scrapes.group(1)) >= 1, out.toString());
  }

  private static double number(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": ([-0-9.eE]+)").matcher(json);
    assertTrue(m.find(), key + " in " + json);
    return Double.parseDouble(m.group(1));
  }
}
