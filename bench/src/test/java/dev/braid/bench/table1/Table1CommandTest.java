package dev.braid.bench.table1;

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
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Table1CommandTest {
  private static final List<String> ROW_KEYS = List.of("shape", "R", "time_only_gflops", "space_only_gflops",
      "space_time_gflops", "speedup_vs_next_best", "next_best", "time_only_ns", "space_only_ns", "space_time_ns",
      "speedup_vs_time_only", "speedup_vs_space_only", "paper_v100_speedup_vs_next_best");

  private static final List<String> GEOMEAN_KEYS = List.of("shape", "geomean_speedup_vs_next_best",
      "geomean_speedup_vs_time_only", "geomean_speedup_vs_space_only", "paper_v100_geomean", "paper_v100_geomean_vs");

  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /** What one CLI invocation printed and returned. */
  private record Run(int code, String out, String err) {}

  private static Run braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  private static List<String> lines(String json, String firstKey) {
    return json.lines().filter(l -> l.trim().startsWith("{\"" + firstKey + "\"")).toList();
  }

  @Test
  void simJsonHasEveryKeyForEveryRowAndTwoRunsWriteIdenticalBytes(@TempDir Path dir) throws Exception {
    Run first = braid("bench", "table1", "--device", "sim-v100", "--out", dir.resolve("a").toString());
    assertEquals(0, first.code(), first.err());
    Run second = braid("bench", "table1", "--device", "sim-v100", "--out", dir.resolve("b").toString());
    assertEquals(0, second.code(), second.err());

    String json = Files.readString(dir.resolve("a/table1.json"));
    assertTrue(json.startsWith("{\n  \"device\": \"sim-v100\","), json);
    assertTrue(json.contains("\"rows\": ["), json);
    List<String> rows = lines(json, "shape").stream().filter(l -> l.contains("\"R\":")).toList();
    assertEquals(3 * Table1Command.PAPER_R.size(), rows.size(), "one row per shape and paper R: " + json);
    for (String row : rows) {
      for (String key : ROW_KEYS) {
        assertTrue(row.contains("\"" + key + "\": "), "row lacks " + key + ": " + row);
      }
    }
    List<String> geomeans = lines(json, "shape").stream().filter(l -> l.contains("\"min_R\"")).toList();
    assertEquals(3, geomeans.size(), json);
    for (String g : geomeans) {
      for (String key : GEOMEAN_KEYS) {
        assertTrue(g.contains("\"" + key + "\": "), "geomean lacks " + key + ": " + g);
      }
    }
    List<String> calibration = lines(json, "shape").stream().filter(l -> l.contains("\"relative_error\"")).toList();
    assertEquals(9, calibration.size(), "the paper's nine published cells: " + json);
    for (String c : calibration) {
      for (String key : List.of("cell", "simulated", "paper_v100", "versus", "relative_error")) {
        assertTrue(c.contains("\"" + key + "\": "), "calibration cell lacks " + key + ": " + c);
      }
    }
    assertTrue(first.out().contains("calibration: the paper's published cells"), first.out());
    assertArrayEquals(Files.readAllBytes(dir.resolve("a/table1.json")), Files.readAllBytes(dir.resolve("b/table1.json")),
        "virtual time is deterministic, so is the JSON");
    assertEquals(first.out().replace(dir.resolve("a").toString(), "DIR"),
        second.out().replace(dir.resolve("b").toString(), "DIR"), "and so is the printed table");
  }

  @Test
  void simTablePrintsThePapersFiguresBesideItsOwn(@TempDir Path dir) {
    Run run = braid("bench", "table1", "--device", "sim-v100", "--out", dir.toString(), "--r", "10,20");
    assertEquals(0, run.code(), run.err());
    String out = run.out();
    for (String paper : List.of("1.21x", "1.68x", "2.42x", "2.14x", "2.88x", "2.47x", "2.48x over time-only",
        "3.23x over space-only", "4.93x over space-only")) {
      assertTrue(out.contains(paper), "table shows the paper's " + paper + ":\n" + out);
    }
    String conv10 = out.lines().dropWhile(l -> !l.startsWith("conv2_2:")).filter(l -> l.trim().startsWith("10 "))
        .findFirst().orElseThrow();
    String[] cols = conv10.trim().split("\\s+");
    double timeOnly = Double.parseDouble(cols[1]);
    double spaceOnly = Double.parseDouble(cols[2]);
    double spaceTime = Double.parseDouble(cols[3]);
    double speedup = Double.parseDouble(cols[5].replace("x", ""));
    assertEquals(spaceTime / Math.max(timeOnly, spaceOnly), speedup, 0.01, conv10);
    assertEquals(timeOnly > spaceOnly ? "time-only" : "space-only", cols[4], conv10);
  }

  @Test
  void cpuAtTinyRRunsAndWritesAValidJsonAndPng(@TempDir Path dir) throws Exception {
    Run run = braid("bench", "table1", "--device", "cpu", "--threads", "2", "--r", "2", "--repeats", "1",
        "--out", dir.toString());
    assertEquals(0, run.code(), run.err());
    String json = Files.readString(dir.resolve("table1.json"));
    assertTrue(json.contains("\"device\": \"cpu\"") && json.contains("\"clock\": \"wall\""), json);
    assertEquals(3, lines(json, "shape").stream().filter(l -> l.contains("\"R\": 2,")).count(), json);
    assertValidPng(dir.resolve("table1.png"));
  }

  @Test
  void pngIsAValidNonTrivialImage(@TempDir Path dir) throws Exception {
    Run run = braid("bench", "table1", "--device", "sim-v100", "--r", "2,10,40", "--out", dir.toString());
    assertEquals(0, run.code(), run.err());
    assertValidPng(dir.resolve("table1.png"));
  }

  private static void assertValidPng(Path png) throws Exception {
    byte[] bytes = Files.readAllBytes(png);
    assertTrue(bytes.length > 20_000, "four panels of curves and text take more than " + bytes.length + " bytes");
    assertArrayEquals(PNG_MAGIC, Arrays.copyOf(bytes, PNG_MAGIC.length), "PNG signature");
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, "ImageIO decodes it");
    assertTrue(image.getWidth() >= 1000 && image.getHeight() >= 800, image.getWidth() + "x" + image.getHeight());
  }

  @Test
  void rOfZeroIsAUsageErrorNamingTheFlag(@TempDir Path dir) {
    Run run = braid("bench", "table1", "--device", "sim-v100", "--r", "2,0", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out());
    assertTrue(run.err().contains("--r") && run.err().contains("got 0"), run.err());
    assertTrue(Files.notExists(dir.resolve("table1.json")), "nothing is written after a bad flag");
  }

  @Test
  void nonNumericRIsAUsageError(@TempDir Path dir) {
    Run run = braid("bench", "table1", "--device", "sim-v100", "--r", "ten", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out());
    assertTrue(run.err().contains("--r") && run.err().contains("ten"), run.err());
  }

  @Test
  void unknownDeviceIsAUsageErrorListingTheForms(@TempDir Path dir) {
    Run run = braid("bench", "table1", "--device", "tpu", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out());
    assertTrue(run.err().contains("--device") && run.err().contains("tpu") && run.err().contains("sim-<gpu>"),
        run.err());
  }

  @Test
  void unknownSimulatedGpuIsAUsageErrorListingTheProfiles(@TempDir Path dir) {
    Run run = braid("bench", "table1", "--device", "sim-k80", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, run.code(), run.out());
    assertTrue(run.err().contains("sim-k80") && run.err().contains("sim-v100"), run.err());
  }

  @Test
  void unknownShapeAndBadRepeatsAreUsageErrors(@TempDir Path dir) {
    Run shape = braid("bench", "table1", "--device", "sim-v100", "--shapes", "conv9", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, shape.code());
    assertTrue(shape.err().contains("--shapes") && shape.err().contains("conv9"), shape.err());
    Run repeats = braid("bench", "table1", "--device", "sim-v100", "--repeats", "0", "--out", dir.toString());
    assertEquals(BraidCli.EXIT_USAGE, repeats.code());
    assertTrue(repeats.err().contains("--repeats") && repeats.err().contains("got 0"), repeats.err());
  }
}
