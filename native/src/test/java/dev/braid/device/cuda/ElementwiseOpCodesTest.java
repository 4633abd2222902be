package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.UnaryOp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The CUDA elementwise kernels take the op as {@link UnaryOp} / {@link BinaryOp} ordinals: every
 * {@code BRAID_UNARY_X} / {@code BRAID_BINARY_X} in elementwise.cuh must be the ordinal of the
 * constant X, and every constant must have its define (a missing one would fall to the kernels'
 * default branch and compute the wrong function on the GPU).
 */
class ElementwiseOpCodesTest {
  private static Map<String, Integer> defines(String prefix) throws Exception {
    String src = Files.readString(Path.of("src/main/cuda/elementwise.cuh"));
    Matcher m = Pattern.compile("#define " + prefix + "([A-Z0-9_]+) (\\d+)").matcher(src);
    Map<String, Integer> d = new TreeMap<>();
    while (m.find()) {
      d.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    return d;
  }

  @Test
  void unaryDefinesAreTheEnumOrdinals() throws Exception {
    Map<String, Integer> want = new TreeMap<>();
    for (UnaryOp op : UnaryOp.values()) {
      want.put(op.name(), op.ordinal());
    }
    assertEquals(want, defines("BRAID_UNARY_"));
  }

  @Test
  void binaryDefinesAreTheEnumOrdinals() throws Exception {
    Map<String, Integer> want = new TreeMap<>();
    for (BinaryOp op : BinaryOp.values()) {
      want.put(op.name(), op.ordinal());
    }
    assertEquals(want, defines("BRAID_BINARY_"));
  }
}
