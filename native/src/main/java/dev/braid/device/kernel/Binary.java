package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * {@code Y = A op B} elementwise with numpy broadcasting. Invariant: {@code out} is the broadcast
 * of {@code a} and {@code b}. Arguments: A, B, Y.
 */
public record Binary(BinaryOp op, Shape a, Shape b, Shape out) implements Kernel {
  public Binary {
    Objects.requireNonNull(op, "op");
    Shape expected = Broadcast.shape(a, b);
    if (!expected.equals(out)) {
      throw new IllegalArgumentException(
          "Binary " + op + " of " + a + " and " + b + " yields " + expected + ", not " + out);
    }
  }

  public static Binary of(BinaryOp op, Shape a, Shape b) {
    return new Binary(op, a, b, Broadcast.shape(a, b));
  }

  @Override
  public List<String> argNames() {
    return List.of("A", "B", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? a.size() : index == 1 ? b.size() : out.size());
  }

  @Override
  public long flops() {
    // Pow costs more than one FLOP on any hardware; the cost model calibrates per op anyway.
    return (long) out.size() * op.flopsPerElement();
  }
}
