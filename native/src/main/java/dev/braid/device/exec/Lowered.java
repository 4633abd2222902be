package dev.braid.device.exec;

import dev.braid.model.Tensor;
import java.util.List;
import java.util.Map;

/**
 * A graph after lowering: the kernel steps in execution order, the values that are views of
 * another value's storage ({@code alias -> source}), and constants the lowering derived (folded
 * batch-norm parameters, transposed weights, indices as floats).
 */
public record Lowered(List<Step> steps, Map<String, String> aliases, Map<String, Tensor> derivedConstants) {
  public Lowered {
    steps = List.copyOf(steps);
    aliases = Map.copyOf(aliases);
    derivedConstants = Map.copyOf(derivedConstants);
  }

  /** The value whose storage {@code value} occupies, following aliases. */
  public String root(String value) {
    String v = value;
    while (aliases.containsKey(v)) {
      v = aliases.get(v);
    }
    return v;
  }
}
