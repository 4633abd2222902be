package dev.braid.bench.gpucheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cli.BraidCli;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cuda.KernelManifest;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.sim.GpuProfiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPU check's Java steps on the CPU device against the CPU reference: the code path, exercised without a GPU. */
class GpuCheckCommandsTest {
  @TempDir Path dir;

  private int run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    System.out.print(out);
    System.err.print(err);
    return rc;
  }

  private static List<Double> numbers(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": ([0-9.eE+-]+|null)").matcher(json);
    List<Double> out = new java.util.ArrayList<>();
    while (m.find()) {
      out.add(m.group(1).equals("null") ? Double.NaN : Double.parseDouble(m.group(1)));
    }
    return out;
  }

  @Test
  void kernelsOnTheCpuDeviceMatchTheReferenceExactlyInEveryCase() throws Exception {
    Path out = dir.resolve("k/kernels.json");
    assertEquals(0, run("bench", "gpucheck", "kernels", "--device", "cpu", "--threads", "2", "--out", out.toString()));
    String json = Files.readString(out);
    assertTrue(json.contains("\"passed\": true"), json);
    assertTrue(json.contains("\"cuda_kernels_not_reachable\": []"), json);
    assertTrue(json.contains("\"cuda_kernel\": \"braid_conv2d_bf16\""), json);
    List<Double> rel = numbers(json, "max_rel");
    assertEquals(KernelCases.all().size(), rel.size());
    rel.forEach(r -> assertTrue(r <= 1e-6, "relative error " + r));
  }

  @Test
  void isolatedKernelsGoOnInAFreshProcessAfterACaseCrashesItsProcess() throws Exception {
    Path out = dir.resolve("iso/kernels.json");
    // child JVMs over cases 0..3; the first halts when it starts case 1, as a driver crash would
    assertEquals(1, run("bench", "gpucheck", "kernels", "--device", "cpu", "--threads", "1", "--from", "0", "--to", "4",
        "--isolate", "--inject-crash", "1", "--out", out.toString()));
    String json = Files.readString(out);
    assertTrue(json.contains("\"processes\": 2"), json);
    assertTrue(json.contains("\"faulted_cases\": [\"" + KernelCases.all().get(1).name() + "\"]"), json);
    assertTrue(json.contains("died (exit code 134) while running this case"), json);
    assertEquals(4, numbers(json, "max_rel").size());
    assertEquals(3, json.split("\"pass\": true", -1).length - 1, "cases 0, 2 and 3 pass: " + json);
  }

  @Test
  void everyCudaKernelOfTheManifestHasACaseBf16Included() {
    TreeSet<String> covered = new TreeSet<>();
    KernelCases.all().forEach(c -> covered.addAll(c.cudaKernels()));
    assertEquals(new TreeSet<>(KernelManifest.load().kernels()), covered);
  }

  @Test
  void aDeviceThatComputesNothingFailsTheCheck() {
    // the timing-only simulator returns zeros: every case with a non-zero reference must fail
    KernelCase c = KernelCase.single("gemm", Gemm.of(8, 8, 8));
    try (SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100); CpuDevice ref = new CpuDevice(1)) {
      KernelsCommand.Outcome o = new Object() {
        KernelsCommand.Outcome get() {
          return KernelsCommand.check(sim, ref, c, new SplittableRandom(1), 1e-4);
        }
      }.get();
      assertFalse(o.passed(), "zeros passed as a GEMM result");
    }
  }

  @Test
  void errorStatsRejectNanAndLengthMismatch() {
    assertFalse(ErrorStats.of(new float[] {Float.NaN}, new float[] {1f}).within(1));
    assertFalse(ErrorStats.of(new float[] {1f}, new float[] {1f, 2f}).within(1));
    assertEquals(0.5, ErrorStats.of(new float[] {1f, 1f}, new float[] {1f, 2f}).maxRel(), 1e-12);
  }

  @Test
  void modelsOnTheCpuDeviceMatchTheReference() throws Exception {
    Path out = dir.resolve("models.json");
    assertEquals(0, run("bench", "gpucheck", "models", "--device", "cpu", "--threads", "2", "--image-size", "32",
        "--out", out.toString()));
    String json = Files.readString(out);
    assertTrue(json.contains("\"passed\": true"), json);
    List<Double> rel = numbers(json, "max_rel");
    assertEquals(8, rel.size(), "4 models x batch 1 and 4");
    rel.forEach(r -> assertTrue(r <= 1e-6, "relative error " + r));
  }

  @Test
  void calibrationFileHasItsKeysForEveryKernel() throws Exception {
    Path out = dir.resolve("calibration.json");
    assertEquals(0, run("bench", "gpucheck", "calibrate", "--device", "cpu", "--threads", "2", "--models", "mlp,bert",
        "--repeats", "1", "--warmup", "0", "--pipelined", "2", "--out", out.toString()));
    String json = Files.readString(out);
    for (String key : List.of("\"profile\": \"h100\"", "\"profile_match\": \"default\"", "\"sim_abs_rel_error_median\"",
        "\"sim_abs_rel_error_worst\"")) {
      assertTrue(json.contains(key), key + " missing");
    }
    int kernels = numbers(json, "measured_ns").size();
    assertTrue(kernels > 10, "only " + kernels + " kernels timed");
    for (String key : List.of("flops", "bytes", "sim_ns", "measured_min_ns", "pipelined_ns", "sim_rel_error", "count")) {
      assertEquals(kernels, numbers(json, key).size(), key);
    }
    assertTrue(json.contains("\"kind\": \"Gemm\"") && json.contains("\"shape\": \"Gemm[batch=1 M=256 N=128 K=1152"));
    numbers(json, "sim_ns").forEach(ns -> assertTrue(ns > 0));
  }

  @Test
  void profilesMatchDeviceNames() {
    assertEquals(GpuProfiles.H100, CalibrateCommand.matchProfile("NVIDIA H100 80GB HBM3"));
    assertEquals(GpuProfiles.H200, CalibrateCommand.matchProfile("NVIDIA H200"));
    assertEquals(GpuProfiles.A100_80GB, CalibrateCommand.matchProfile("NVIDIA A100-SXM4-80GB"));
    assertEquals(null, CalibrateCommand.matchProfile("cpu (2 threads)"));
  }

  @Test
  void infoOnTheCpuDeviceReportsNoGpu() throws Exception {
    Path out = dir.resolve("info.json");
    assertEquals(0, run("bench", "gpucheck", "info", "--device", "cpu", "--out", out.toString()));
    assertTrue(Files.readString(out).contains("\"gpu\": null"));
  }
}
