package dev.braid.bench.frontdoor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cli.BraidCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench frontdoor --tls}: the TLS front door is measured beside the plaintext one, every call answered. */
class TlsFrontDoorBenchTest {
  @Test
  void tlsPhasesRunBesideThePlaintextOnesAndTheRatioIsTheirs(@TempDir Path dir) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(new String[] {"bench", "frontdoor", "--tls", "--seconds", "1", "--warmup-seconds", "1",
        "--in-flight", "16", "--device", "cpu", "--threads", "1", "--out", dir.toString()},
        new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(0, code, out + "\n" + err);
    assertTrue(out.toString().contains("ratio TLS / plaintext"), out.toString());
    String json = Files.readString(dir.resolve("frontdoor.json"));
    double tls = number(json, "frontdoor_tls_max_rate");
    double plain = number(json, "frontdoor_max_rate");
    assertTrue(tls > 0 && plain > 0, json);
    assertEquals(tls / plain, number(json, "tls_ratio"), 1e-3, json);
    Matcher m = Pattern.compile("\"server\": \"frontdoor-tls\", \"mode\": \"closed-loop\"[^}]*?\"sent\": (\\d+), "
        + "\"ok\": (\\d+)").matcher(json);
    int phases = 0;
    while (m.find()) {
      phases++;
      assertEquals(m.group(1), m.group(2), "every TLS call answered OK: " + m.group());
    }
    assertEquals(2, phases, json);
  }

  @Test
  void tlsWithATargetIsAUsageError() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(new String[] {"bench", "frontdoor", "--tls", "--target", "localhost:1", "--out", "x"},
        new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(BraidCli.EXIT_USAGE, code);
    assertTrue(err.toString().contains("--tls"), err.toString());
  }

  private static double number(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": ([-0-9.eE]+)").matcher(json);
    assertTrue(m.find(), key + " in " + json);
    return Double.parseDouble(m.group(1));
  }
}
