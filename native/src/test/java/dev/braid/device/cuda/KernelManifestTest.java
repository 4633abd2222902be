package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed fatbin is current against the CUDA sources and holds every kernel. */
class KernelManifestTest {
  /** Maven runs tests in the module's directory. */
  static final Path CUDA = Path.of("src/main/cuda");

  static final List<String> EXPECTED = List.of(
      "braid_gemm_f32", "braid_gemm_grouped_f32", "braid_gemm_skinny_f32", "braid_gemm_bf16",
      "braid_conv2d_f32", "braid_conv2d_grouped_f32", "braid_conv2d_depthwise_f32", "braid_conv2d_bf16",
      "braid_f32_to_bf16", "braid_unary_f32", "braid_binary_f32", "braid_batchnorm_f32", "braid_copy_f32",
      "braid_transpose_f32", "braid_concat_f32", "braid_gather_f32", "braid_pool2d_f32",
      "braid_global_avg_pool_f32", "braid_softmax_f32", "braid_layernorm_f32", "braid_reduce_mean_f32",
      // grouped kernels of the fusion classes beyond GEMM and convolution (issue 10)
      "braid_conv2d_depthwise_grouped_f32", "braid_elementwise_grouped_f32", "braid_pool_grouped_f32",
      "braid_rows_grouped_f32", "braid_gemm_skinny_grouped_f32",
      // GEMMs beside convolutions, one fusion class (issue 10)
      "braid_tiled_grouped_f32",
      // issue 12's reductions, fibre operators, TopK, index maps, gathers and scatters (tensor.cuh)
      "braid_reduce_f32", "braid_along_axis_f32", "braid_topk_f32", "braid_remap_f32", "braid_gather_elements_f32",
      "braid_gather_nd_f32", "braid_scatter_nd_f32", "braid_scatter_elements_f32", "braid_onehot_f32",
      "braid_pool_nd_f32",
      // Where, the ternary select of the elementwise operators (issue 12)
      "braid_where_f32",
      // ConvTranspose, a direct gather per output element (issue 12)
      "braid_conv_transpose_f32",
      // Conv and ConvTranspose over three spatial axes, a direct gather per output element (issue 12)
      "braid_conv_nd_f32",
      // grouped TopK and N-d pooling, fusion classes of their own (issue 10)
      "braid_topk_grouped_f32", "braid_pool_nd_grouped_f32",
      // Resize/Upsample linear and cubic over per-axis tables, GridSample (interp.cuh, issue 12)
      "braid_resample_f32", "braid_grid_sample_f32", "braid_roi_align_f32");

  @Test
  void committedFatbinHashMatchesTheSourcesAndFlags() throws Exception {
    KernelManifest m = KernelManifest.load();
    String flags = buildScriptFlags();
    assertEquals(flags, m.nvccFlags(), "build.sh's NVCC_FLAGS changed since the fatbin was built: run build.sh");
    assertEquals(sourcesHash(flags), m.sourcesSha256(),
        "native/src/main/cuda changed since braid_kernels.fatbin was built: run native/src/main/cuda/build.sh"
            + " (or mvn with nvcc on the PATH) and commit the fatbin and manifest");
  }

  @Test
  void fatbinOnTheClasspathNamesEveryKernel() {
    byte[] fatbin = KernelManifest.fatbin();
    assertTrue(fatbin.length > 1024, "fatbin of " + fatbin.length + " bytes");
    String text = new String(fatbin, StandardCharsets.ISO_8859_1);
    for (String k : EXPECTED) {
      assertTrue(text.contains(k), "fatbin lacks kernel " + k);
    }
    assertEquals(new TreeSet<>(EXPECTED), new TreeSet<>(KernelManifest.load().kernels()), "manifest's kernel list");
  }

  @Test
  void everyKernelHasItsPtxasResources() {
    KernelManifest m = KernelManifest.load();
    for (String k : EXPECTED) {
      int regs = m.registers(k);
      assertTrue(regs > 0 && regs <= 255, k + " registers " + regs);
      assertTrue(m.sharedBytes(k) >= 0 && m.sharedBytes(k) <= 48 * 1024, k + " static shared " + m.sharedBytes(k));
    }
  }

  /** Where nvcc exists: the sources compile (to compute_80 PTX) and define exactly the manifest's kernels. */
  @Test
  void rebuiltSourcesDefineTheManifestsKernels(@TempDir Path tmp) throws Exception {
    String nvcc = nvcc();
    assumeTrue(nvcc != null, "nvcc not found on PATH or at /usr/local/cuda/bin/nvcc: skipping the rebuild check");
    Path ptx = tmp.resolve("braid_kernels.ptx");
    Process p = new ProcessBuilder(nvcc, "-O3", "-std=c++17", "-arch=compute_80", "-ptx", "-o", ptx.toString(),
        CUDA.resolve("braid_kernels.cu").toString()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc timed out");
    assertEquals(0, p.exitValue(), "nvcc failed:\n" + log);
    Matcher e = Pattern.compile("\\.entry\\s+(\\w+)").matcher(Files.readString(ptx));
    TreeSet<String> names = new TreeSet<>();
    while (e.find()) {
      names.add(e.group(1));
    }
    assertEquals(new TreeSet<>(KernelManifest.load().kernels()), names);
  }

  static String nvcc() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) {
        return Path.of(dir, "nvcc").toString();
      }
    }
    return Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc")) ? "/usr/local/cuda/bin/nvcc" : null;
  }

  static String buildScriptFlags() throws IOException {
    for (String line : Files.readAllLines(CUDA.resolve("build.sh"))) {
      if (line.startsWith("NVCC_FLAGS=\"")) {
        return line.substring("NVCC_FLAGS=\"".length(), line.lastIndexOf('"'));
      }
    }
    throw new AssertionError("build.sh has no NVCC_FLAGS=\"...\" line");
  }

  /** SHA-256 of the .cu/.cuh/.h sources in byte order of their names, then the flags (as build.sh). */
  static String sourcesHash(String flags) throws Exception {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(CUDA)) {
      s.filter(f -> f.getFileName().toString().matches(".*\\.(cu|cuh|h)")).forEach(files::add);
    }
    files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (Path f : files) {
      md.update(Files.readAllBytes(f));
    }
    md.update(flags.getBytes(StandardCharsets.UTF_8));
    StringBuilder hex = new StringBuilder();
    for (byte b : md.digest()) {
      hex.append(String.format("%02x", b));
    }
    return hex.toString();
  }
}
