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
    String[][] ew = {{"x", "OFF_X"}, {"b", "OFF_B"}, {"c", "OFF_C"}, {"y", "OFF_Y"}, {"n", "OFF_N"}, {"kind", "OFF_KIND"},
        {"op", "OFF_OP"}, {"lo", "OFF_LO"}, {"hi", "OFF_HI"}, {"channels", "OFF_CHANNELS"}, {"spatial", "OFF_SPATIAL"},
        {"firstBlock", "OFF_FIRST_BLOCK"}, {"pad0", "OFF_PAD0"}, {"shape", "OFF_SHAPE"}};
    String[][] pool = {{"x", "OFF_X"}, {"y", "OFF_Y"}, {"mode", "OFF_MODE"}, {"n", "OFF_N"}, {"c", "OFF_C"},
        {"h", "OFF_H"}, {"w", "OFF_W"}, {"kh", "OFF_KH"}, {"kw", "OFF_KW"}, {"strideH", "OFF_STRIDE_H"},
        {"strideW", "OFF_STRIDE_W"}, {"padTop", "OFF_PAD_TOP"}, {"padLeft", "OFF_PAD_LEFT"},
        {"padBottom", "OFF_PAD_BOTTOM"}, {"padRight", "OFF_PAD_RIGHT"}, {"dilationH", "OFF_DILATION_H"},
        {"dilationW", "OFF_DILATION_W"}, {"outH", "OFF_OUT_H"}, {"outW", "OFF_OUT_W"},
        {"countIncludePad", "OFF_COUNT_INCLUDE_PAD"}, {"firstBlock", "OFF_FIRST_BLOCK"}, {"pad0", "OFF_PAD0"}};
    String[][] rows = {{"x", "OFF_X"}, {"y", "OFF_Y"}, {"scale", "OFF_SCALE"}, {"bias", "OFF_BIAS"},
        {"count", "OFF_COUNT"}, {"kind", "OFF_KIND"}, {"threads", "OFF_THREADS"}, {"firstBlock", "OFF_FIRST_BLOCK"},
        {"len", "OFF_LEN"}, {"inner", "OFF_INNER"}, {"epsilon", "OFF_EPSILON"}, {"shape", "OFF_SHAPE"},
        {"op", "OFF_OP"}};
    String[][] topk = {{"x", "OFF_X"}, {"y", "OFF_Y"}, {"fibres", "OFF_FIBRES"}, {"axis", "OFF_AXIS"},
        {"inner", "OFF_INNER"}, {"k", "OFF_K"}, {"largest", "OFF_LARGEST"}, {"indices", "OFF_INDICES"},
        {"firstBlock", "OFF_FIRST_BLOCK"}};
    String[][] poolNd = {{"x", "OFF_X"}, {"y", "OFF_Y"}, {"n", "OFF_N"}, {"kind", "OFF_KIND"},
        {"countIncludePad", "OFF_COUNT_INCLUDE_PAD"}, {"p", "OFF_P"}, {"columnMajor", "OFF_COLUMN_MAJOR"},
        {"firstBlock", "OFF_FIRST_BLOCK"}, {"pad0", "OFF_PAD0"}, {"shape", "OFF_SHAPE"}};
    String[][] shape = {{"rank", "OFF_RANK"}, {"rank2", "OFF_RANK2"}, {"dims", "OFF_DIMS"}, {"strideA", "OFF_STRIDE_A"},
        {"strideB", "OFF_STRIDE_B"}, {"dims2", "OFF_DIMS2"}};
    Object[][] structs = {{"ew", "BraidElementwiseProblem", GroupedElementwiseTable.class, ew,
        GroupedElementwiseTable.PROBLEM_BYTES}, {"pool", "BraidPoolProblem", GroupedPoolTable.class, pool,
        GroupedPoolTable.PROBLEM_BYTES}, {"rows", "BraidRowProblem", GroupedRowTable.class, rows,
        GroupedRowTable.PROBLEM_BYTES}, {"topk", "BraidTopKProblem", GroupedTopKTable.class, topk,
        GroupedTopKTable.PROBLEM_BYTES}, {"poolNd", "BraidPoolNdProblem", GroupedPoolNdTable.class, poolNd,
        GroupedPoolNdTable.PROBLEM_BYTES}, {"shape", "BraidShape", ShapeStruct.class, shape, ShapeStruct.BYTES}};
    for (Object[] st : structs) {
      String tag = (String) st[0], type = (String) st[1];
      c.append("printf(\"").append(tag).append(".size %zu\\n\", sizeof(").append(type).append("));\n");
      java.put(tag + ".size", (Integer) st[4]);
      for (String[] f : (String[][]) st[3]) {
        c.append("printf(\"").append(tag).append('.').append(f[0]).append(" %zu\\n\", offsetof(").append(type)
            .append(", ").append(f[0]).append("));\n");
        java.put(tag + "." + f[0], ((Class<?>) st[2]).getDeclaredField(f[1]).getInt(null));
      }
    }
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
