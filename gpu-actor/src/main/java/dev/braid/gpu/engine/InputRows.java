package dev.braid.gpu.engine;

import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.repo.TensorConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows of requests in and out of a batch: checking a request's inputs against its model,
 * stacking the inputs of a batch's requests along dimension 0, and splitting the batch's outputs
 * back into each request's rows (in the batch's order).
 */
final class InputRows {
  private InputRows() {}

  /**
   * Checks {@code inputs} against the model and returns the request's rows: the common leading
   * dimension for a model that batches, 1 for one that does not.
   *
   * @throws IllegalArgumentException naming the model, the input, what was expected and received
   */
  static int check(ModelSlot slot, Map<String, Tensor> inputs) {
    if (!slot.special.isEmpty()) {
      return checkDeclared(slot, inputs);
    }
    ModelGraph one = slot.graphOne();
    int rows = -1;
    for (ValueInfo in : one.inputs()) {
      Tensor t = inputs.get(in.name());
      // The messages are built only on failure: this runs for every request.
      if (t == null) {
        throw new IllegalArgumentException(what(slot, in) + " is missing; expected " + in.dtype() + " "
            + expected(slot, in) + ", received inputs " + inputs.keySet());
      }
      if (t.dtype() != in.dtype()) {
        throw new IllegalArgumentException(what(slot, in) + " expected dtype " + in.dtype() + ", received "
            + t.dtype());
      }
      if (!slot.batching) {
        if (!t.shape().equals(in.shape())) {
          throw new IllegalArgumentException(what(slot, in) + " expected shape " + expected(slot, in) + ", received "
              + t.shape());
        }
        continue;
      }
      Shape s = t.shape();
      if (s.rank() != in.shape().rank() || !sameRest(s, in.shape())) {
        throw new IllegalArgumentException(what(slot, in) + " expected shape " + expected(slot, in) + ", received "
            + s);
      }
      if (s.dim(0) < 1 || s.dim(0) > slot.maxBatchSize) {
        throw new IllegalArgumentException(what(slot, in) + " has " + s.dim(0) + " rows; expected 1 to max_batch_size "
            + slot.maxBatchSize);
      }
      if (rows != -1 && rows != s.dim(0)) {
        throw new IllegalArgumentException(what(slot, in) + " has " + s.dim(0) + " rows but an earlier input has "
            + rows + "; every input needs the same number of rows");
      }
      rows = s.dim(0);
    }
    for (String name : inputs.keySet()) {
      if (one.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new IllegalArgumentException("model '" + slot.name + "' has no input '" + name + "'; its inputs are "
            + one.inputs().stream().map(ValueInfo::name).toList());
      }
    }
    return slot.batching ? rows : 1;
  }

  /**
   * Checks the inputs of a specialized model (compiled per key, so there is no graph to check
   * against before the key is known) against its configuration's inputs, -1 matching any size,
   * and the form of its key ({@code Specialization#key}); one request is one job.
   */
  private static int checkDeclared(ModelSlot slot, Map<String, Tensor> inputs) {
    List<TensorConfig> declared = slot.model.config().inputs();
    for (TensorConfig in : declared) {
      Tensor t = inputs.get(in.name());
      String what = "model '" + slot.name + "': input '" + in.name() + "'";
      if (t == null) {
        throw new IllegalArgumentException(what + " is missing; expected " + in.dtype() + " "
            + java.util.Arrays.toString(in.dims()) + ", received inputs " + inputs.keySet());
      }
      if (t.dtype() != in.dtype()) {
        throw new IllegalArgumentException(what + " expected dtype " + in.dtype() + ", received " + t.dtype());
      }
      long[] dims = in.dims();
      boolean agrees = dims.length == t.shape().rank();
      for (int i = 0; agrees && i < dims.length; i++) {
        agrees = dims[i] < 0 || dims[i] == t.shape().dim(i);
      }
      if (!agrees) {
        throw new IllegalArgumentException(what + " expected shape " + java.util.Arrays.toString(dims)
            + ", received " + t.shape());
      }
    }
    for (String name : inputs.keySet()) {
      if (declared.stream().noneMatch(v -> v.name().equals(name))) {
        throw new IllegalArgumentException("model '" + slot.name + "' has no input '" + name + "'; its inputs are "
            + declared.stream().map(TensorConfig::name).toList());
      }
    }
    try {
      slot.special.key(inputs);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("model '" + slot.name + "': " + e.getMessage(), e);
    }
    return 1;
  }

  /** The members' inputs stacked along dimension 0, shaped as {@code graph}'s inputs. */
  static Map<String, Tensor> stack(List<Pending> members, ModelGraph graph) {
    if (members.size() == 1) {
      return members.get(0).request.inputs();
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (ValueInfo in : graph.inputs()) {
      Tensor first = members.get(0).request.inputs().get(in.name());
      int size = in.shape().size();
      if (first.isFloating()) {
        float[] data = new float[size];
        int at = 0;
        for (Pending p : members) {
          float[] part = p.request.inputs().get(in.name()).floats();
          System.arraycopy(part, 0, data, at, part.length);
          at += part.length;
        }
        check(at, size, in);
        out.put(in.name(), Tensor.ofFloats(first.dtype(), in.shape(), data));
      } else {
        long[] data = new long[size];
        int at = 0;
        for (Pending p : members) {
          long[] part = p.request.inputs().get(in.name()).longs();
          System.arraycopy(part, 0, data, at, part.length);
          at += part.length;
        }
        check(at, size, in);
        out.put(in.name(), Tensor.ofLongs(first.dtype(), in.shape(), data));
      }
    }
    return out;
  }

  /**
   * Each member's rows of {@code outputs}, in member order. An output without the batch as its
   * first dimension (a per-batch scalar) goes whole to every member.
   */
  static List<Map<String, Tensor>> split(Map<String, Tensor> outputs, List<Pending> members) {
    int total = 0;
    for (Pending p : members) {
      total += p.rows;
    }
    List<Map<String, Tensor>> out = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      out.add(new LinkedHashMap<>());
    }
    for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
      Tensor t = e.getValue();
      if (members.size() == 1 || t.shape().rank() == 0 || t.shape().dim(0) != total) {
        out.forEach(m -> m.put(e.getKey(), t));
        continue;
      }
      int rowSize = t.shape().size() / total;
      int row = 0;
      for (int i = 0; i < members.size(); i++) {
        int n = members.get(i).rows;
        Shape shape = t.shape().withDim(0, n);
        int from = row * rowSize;
        int to = (row + n) * rowSize;
        out.get(i).put(e.getKey(), t.isFloating()
            ? Tensor.ofFloats(t.dtype(), shape, java.util.Arrays.copyOfRange(t.floats(), from, to))
            : Tensor.ofLongs(t.dtype(), shape, java.util.Arrays.copyOfRange(t.longs(), from, to)));
        row += n;
      }
    }
    return out;
  }

  /** All-zero inputs for {@code graph} (zero is a valid token id too), for profiling runs. */
  static Map<String, Tensor> zeros(ModelGraph graph) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (ValueInfo in : graph.inputs()) {
      int n = in.shape().size();
      out.put(in.name(), in.dtype().isFloating() ? Tensor.ofFloats(in.dtype(), in.shape(), new float[n])
          : Tensor.ofLongs(in.dtype(), in.shape(), new long[n]));
    }
    return out;
  }

  private static void check(int stacked, int size, ValueInfo in) {
    if (stacked != size) {
      throw new IllegalStateException("input '" + in.name() + "': the batch's requests hold " + stacked
          + " elements, the model at this batch size takes " + size + " " + in.shape());
    }
  }

  private static String what(ModelSlot slot, ValueInfo in) {
    return "model '" + slot.name + "': input '" + in.name() + "'";
  }

  private static String expected(ModelSlot slot, ValueInfo in) {
    return slot.batching ? "[n" + rest(in.shape()) + "] with n in [1, " + slot.maxBatchSize + "]"
        : in.shape().toString();
  }

  private static boolean sameRest(Shape a, Shape b) {
    for (int i = 1; i < a.rank(); i++) {
      if (a.dim(i) != b.dim(i)) {
        return false;
      }
    }
    return true;
  }

  private static String rest(Shape s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i < s.rank(); i++) {
      sb.append(", ").append(s.dim(i));
    }
    return sb.toString();
  }
}
