package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * {@code Z = C ? X : Y} elementwise with numpy broadcasting of all three (ONNX Where); C holds
 * booleans as 0 and 1. Invariant: {@code out} is the broadcast of the three shapes. Arguments:
 * C, X, Y, Z.
 */
public record Where(Shape cond, Shape x, Shape y, Shape out) implements Kernel {
  public Where {
    Objects.requireNonNull(cond, "cond");
    Shape expected = Broadcast.shape(cond, Broadcast.shape(x, y));
    if (!expected.equals(out)) {
      throw new IllegalArgumentException("Where of " + cond + ", " + x + " and " + y + " yields " + expected
          + ", not " + out);
    }
  }

  public static Where of(Shape cond, Shape x, Shape y) {
    return new Where(cond, x, y, Broadcast.shape(cond, Broadcast.shape(x, y)));
  }

  @Override
  public List<String> argNames() {
    return List.of("C", "X", "Y", "Z");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(switch (index) {
      case 0 -> cond.size();
      case 1 -> x.size();
      case 2 -> y.size();
      default -> out.size();
    });
  }

  @Override
  public long flops() {
    return 0; // a select moves bytes; it does no arithmetic
  }
}
