package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * Permutes the axes of {@code input}: output axis {@code i} is input axis {@code perm[i]}.
 * Invariant: {@code perm} is a permutation of {@code 0 .. rank-1}. Arguments: X, Y.
 */
public record Transpose(Shape input, List<Integer> perm) implements Kernel {
  public Transpose {
    Objects.requireNonNull(input, "input");
    perm = List.copyOf(perm);
    boolean[] seen = new boolean[input.rank()];
    if (perm.size() != input.rank()) {
      throw new IllegalArgumentException("Transpose.perm " + perm + " must have rank " + input.rank());
    }
    for (int p : perm) {
      if (p < 0 || p >= seen.length || seen[p]) {
        throw new IllegalArgumentException("Transpose.perm " + perm + " is not a permutation of 0.." + (seen.length - 1));
      }
      seen[p] = true;
    }
  }

  public Shape output() {
    int[] d = new int[perm.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = input.dim(perm.get(i));
    }
    return Shape.of(d);
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(input.size());
  }

  @Override
  public long flops() {
    return 0;
  }
}
