package dev.braid.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cli.BraidCli;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuBenchCommandTest {
  @Test
  void benchCpuReportsBothRuntimesTheirRatioAndAgreeingOutputs(@TempDir Path dir) throws Exception {
    ModelZoo.generate(dir.resolve("repo"), ZooOptions.defaults().withModels("mlp"));
    Path json = dir.resolve("out.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(new String[] {"bench", "cpu", "--repo", dir.resolve("repo").toString(),
        "--threads", "1", "--iterations", "2", "--warmup", "1", "--json", json.toString()},
        new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(0, code, err.toString());

    String row = out.toString().lines().filter(l -> l.startsWith("mlp ")).findFirst().orElseThrow();
    String[] cols = row.trim().split("\\s+");
    double braidMs = Double.parseDouble(cols[1]);
    double ortMs = Double.parseDouble(cols[2]);
    double ratio = Double.parseDouble(cols[3].replace("x", ""));
    double maxDiff = Double.parseDouble(cols[4]);
    assertTrue(braidMs > 0 && ortMs > 0, row);
    assertEquals(braidMs / ortMs, ratio, 0.01 * ratio + 0.01, row);
    assertTrue(maxDiff < 1e-4, "Braid and ONNX Runtime agree: " + row);

    String text = Files.readString(json);
    assertTrue(text.contains("\"model\": \"mlp\""), text);
    assertTrue(text.toLowerCase(Locale.ROOT).contains("\"onnxruntime_median_ms\""), text);
  }
}
