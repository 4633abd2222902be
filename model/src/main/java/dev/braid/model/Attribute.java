package dev.braid.model;

import java.util.Arrays;
import java.util.List;

/** One node attribute, typed as ONNX types it. */
public sealed interface Attribute {
  record Int(long value) implements Attribute {}

  record Float(float value) implements Attribute {}

  record Str(String value) implements Attribute {}

  record Ints(long[] values) implements Attribute {
    @Override
    public boolean equals(Object o) {
      return o instanceof Ints i && Arrays.equals(values, i.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return Arrays.toString(values);
    }
  }

  record Floats(float[] values) implements Attribute {
    @Override
    public boolean equals(Object o) {
      return o instanceof Floats f && Arrays.equals(values, f.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return Arrays.toString(values);
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
