package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java table builders' offsets are braid_abi.h's, checked by gcc where it exists. */
class ProblemTableLayoutTest {
  @Test
  void documentedSizes() {
    assertEquals(88, GroupedGemmTable.PROBLEM_BYTES);
    assertEquals(128, GroupedConvTable.PROBLEM_BYTES);
    assertEquals(GroupedGemmTable.PROBLEM_BYTES, GroupedGemmTable.OFF_PAD0 + 4);
    assertEquals(GroupedConvTable.PROBLEM_BYTES, GroupedConvTable.OFF_PAD0 + 8);
  }

  /** Compiles a C program that prints offsetof/sizeof of every field and compares with the Java constants. */
  @Test
  void gccAgreesWithTheJavaOffsets(@TempDir Path tmp) throws Exception {
    assumeTrue(onPath("gcc"), "gcc not on PATH: skipping the C layout cross-check");
    Map<String, Integer> java = new HashMap<>();
    String[][] gemm = {{"a", "OFF_A"}, {"b", "OFF_B"}, {"c", "OFF_C"}, {"y", "OFF_Y"}, {"m", "OFF_M"}, {"n", "OFF_N"},
        {"k", "OFF_K"}, {"lda", "OFF_LDA"}, {"ldb", "OFF_LDB"}, {"ldc", "OFF_LDC"}, {"transA", "OFF_TRANS_A"},
        {"transB", "OFF_TRANS_B"}, {"alpha", "OFF_ALPHA"}, {"beta", "OFF_BETA"}, {"biasMode", "OFF_BIAS_MODE"},
        {"firstTile", "OFF_FIRST_TILE"}, {"tilesN", "OFF_TILES_N"}, {"pad0", "OFF_PAD0"}};
    String[][] conv = {{"x", "OFF_X"}, {"w", "OFF_W"}, {"bias", "OFF_BIAS"}, {"y", "OFF_Y"}, {"n", "OFF_N"},
        {"c", "OFF_C"}, {"h", "OFF_H"}, {"wIn", "OFF_W_IN"}, {"k", "OFF_K"}, {"kh", "OFF_KH"}, {"kw", "OFF_KW"},
        {"strideH", "OFF_STRIDE_H"}, {"strideW", "OFF_STRIDE_W"}, {"padTop", "OFF_PAD_TOP"},
        {"padLeft", "OFF_PAD_LEFT"}, {"dilationH", "OFF_DILATION_H"}, {"dilationW", "OFF_DILATION_W"},
        {"groups", "OFF_GROUPS"}, {"outH", "OFF_OUT_H"}, {"outW", "OFF_OUT_W"}, {"actMin", "OFF_ACT_MIN"},
        {"actMax", "OFF_ACT_MAX"}, {"hasBias", "OFF_HAS_BIAS"}, {"firstTile", "OFF_FIRST_TILE"},
        {"tilesM", "OFF_TILES_M"}, {"tilesN", "OFF_TILES_N"}, {"pad0", "OFF_PAD0"}};
    StringBuilder c = new StringBuilder("#include <stdio.h>\n#include \"braid_abi.h\"\nint main(void) {\n");
    c.append("printf(\"gemm.size %zu\\n\", sizeof(BraidGemmProblem));\n");
    c.append("printf(\"conv.size %zu\\n\", sizeof(BraidConvProblem));\n");
    java.put("gemm.size", GroupedGemmTable.PROBLEM_BYTES);
    java.put("conv.size", GroupedConvTable.PROBLEM_BYTES);
    for (String[] f : gemm) {
      c.append("printf(\"gemm.").append(f[0]).append(" %zu\\n\", offsetof(BraidGemmProblem, ").append(f[0]).append("));\n");
      java.put("gemm." + f[0], GroupedGemmTable.class.getField(f[1]).getInt(null));
    }
    for (String[] f : conv) {
      c.append("printf(\"conv.").append(f[0]).append(" %zu\\n\", offsetof(BraidConvProblem, ").append(f[0]).append("));\n");
      java.put("conv." + f[0], GroupedConvTable.class.getField(f[1]).getInt(null));
    }
    c.append("return 0;\n}\n");
    Path src = tmp.resolve("layout.c");
    Files.writeString(src, c);
    Path exe = tmp.resolve("layout");
    run(tmp, "gcc", "-std=c11", "-Wall", "-Werror", "-I", KernelManifestTest.CUDA.toAbsolutePath().toString(),
        "-o", exe.toString(), src.toString());
    Map<String, Integer> gcc = new HashMap<>();
    for (String line : run(tmp, exe.toString()).split("\n")) {
      String[] kv = line.trim().split(" ");
      gcc.put(kv[0], Integer.parseInt(kv[1]));
    }
    assertEquals(java, gcc);
  }

  private static String run(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
    }
    return out;
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
