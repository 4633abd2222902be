package dev.braid.model.onnx;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The names an {@link OnnxModelBuilder} has given out: every value and node name is used once.
 * A generated name is the prefix itself if free, else {@code prefix_1}, {@code prefix_2}, ...; a
 * reserved name is generated now and claimed later by the caller's input, initializer or output.
 * Not thread-safe, as the builder.
 */
final class ModelNames {
  private final Set<String> used = new HashSet<>();
  private final Set<String> reserved = new HashSet<>();
  private final Map<String, Integer> nextSuffix = new HashMap<>();

  /** A name no value or node has yet, based on {@code prefix}; it is now used. */
  String fresh(String prefix) {
    String name = prefix;
    int n = nextSuffix.getOrDefault(prefix, 0);
    while (used.contains(name)) {
      n++;
      name = prefix + "_" + n;
    }
    nextSuffix.put(prefix, n);
    used.add(name);
    return name;
  }

  /** A {@link #fresh} name kept for one later {@link #claim}. */
  String reserve(String prefix) {
    String name = fresh(prefix);
    reserved.add(name);
    return name;
  }

  /** Takes {@code name} for a value: a reserved one, or one not used yet; refused otherwise. */
  void claim(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("name: expected a non-empty name, got " + name);
    }
    if (!reserved.remove(name) && !used.add(name)) {
      throw new IllegalArgumentException("name " + name + " is already used in this model");
    }
  }
}
