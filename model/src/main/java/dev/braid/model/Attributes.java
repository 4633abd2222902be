package dev.braid.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node's attributes by name, with typed getters. A getter given a default returns it when the
 * attribute is absent; one without throws {@link ModelException} naming the attribute. A present
 * attribute of the wrong type is an error either way.
 */
public final class Attributes {
  private static final Attributes EMPTY = new Attributes(Map.of());

  private final Map<String, Attribute> values;

  private Attributes(Map<String, Attribute> values) {
    this.values = values;
  }

  public static Attributes of(Map<String, Attribute> values) {
    return values.isEmpty() ? EMPTY : new Attributes(Collections.unmodifiableMap(new LinkedHashMap<>(values)));
  }

  public static Attributes empty() {
    return EMPTY;
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public Set<String> names() {
    return values.keySet();
  }

  public Map<String, Attribute> asMap() {
    return values;
  }

  public long getInt(String name, long defaultValue) {
    Attribute a = values.get(name);
    return a == null ? defaultValue : as(name, a, Attribute.Int.class).value();
  }

  public long getInt(String name) {
    return as(name, require(name), Attribute.Int.class).value();
  }

  public float getFloat(String name, float defaultValue) {
    Attribute a = values.get(name);
    return a == null ? defaultValue : as(name, a, Attribute.Float.class).value();
  }

  public String getString(String name, String defaultValue) {
    Attribute a = values.get(name);
    return a == null ? defaultValue : as(name, a, Attribute.Str.class).value();
  }

  /** The ints attribute, or {@code defaultValue} (may be null) when absent. */
  public long[] getInts(String name, long[] defaultValue) {
    Attribute a = values.get(name);
    return a == null ? defaultValue : as(name, a, Attribute.Ints.class).values().clone();
  }

  public float[] getFloats(String name, float[] defaultValue) {
    Attribute a = values.get(name);
    return a == null ? defaultValue : as(name, a, Attribute.Floats.class).values().clone();
  }

  /** The strings attribute, or {@code defaultValue} (may be null) when absent. */
  public List<String> getStrings(String name, List<String> defaultValue) {
    Attribute a = values.get(name);
    return a == null ? defaultValue : as(name, a, Attribute.Strs.class).values();
  }

  public Tensor getTensor(String name) {
    return as(name, require(name), Attribute.TensorValue.class).value();
  }

  private Attribute require(String name) {
    Attribute a = values.get(name);
    if (a == null) {
      throw new ModelException("attribute '" + name + "' is required but absent");
    }
    return a;
  }

  private static <T extends Attribute> T as(String name, Attribute a, Class<T> type) {
    if (!type.isInstance(a)) {
      throw new ModelException(
          "attribute '" + name + "' must be of type " + type.getSimpleName().toUpperCase()
              + ", got " + a.getClass().getSimpleName().toUpperCase());
    }
    return type.cast(a);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attributes a && values.equals(a.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
