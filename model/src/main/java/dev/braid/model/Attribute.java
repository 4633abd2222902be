package dev.braid.model;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** One node attribute, typed as ONNX types it. */
public sealed interface Attribute {
  record Int(long value) implements Attribute {}

  record Float(float value) implements Attribute {}

  record Str(String value) implements Attribute {}

  /**
   * An attribute holding an array, equal to another of its class with the same elements (a record
   * would compare the arrays' identities), printed as its elements.
   */
  abstract sealed class ArrayValued implements Attribute permits Ints, Floats {
    /** The array, a {@code long[]} or a {@code float[]}. */
    abstract Object array();

    @Override
    public final boolean equals(Object o) {
      return o != null && o.getClass() == getClass() && Objects.deepEquals(array(), ((ArrayValued) o).array());
    }

    @Override
    public final int hashCode() {
      return Arrays.deepHashCode(new Object[] {array()});
    }

    @Override
    public final String toString() {
      String nested = Arrays.deepToString(new Object[] {array()});
      return nested.substring(1, nested.length() - 1);
    }
  }

  /** INTS. */
  final class Ints extends ArrayValued {
    private final long[] values;

    public Ints(long[] values) {
      this.values = values;
    }

    public long[] values() {
      return values;
    }

    @Override
    Object array() {
      return values;
    }
  }

  /** FLOATS. */
  final class Floats extends ArrayValued {
    private final float[] values;

    public Floats(float[] values) {
      this.values = values;
    }

    public float[] values() {
      return values;
    }

    @Override
    Object array() {
      return values;
    }
  }

  record TensorValue(Tensor value) implements Attribute {}

  /** A list of strings (RNN, GRU and LSTM's {@code activations}). */
  record Strs(List<String> values) implements Attribute {
    public Strs {
      values = List.copyOf(values);
    }
  }
}
