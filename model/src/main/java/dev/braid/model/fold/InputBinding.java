package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Shape;
import dev.braid.model.ValueInfo;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves the declared input shapes of a model at one batch size. A dynamic first dimension
 * becomes the batch size (and its parameter name, e.g. "N", resolves to it everywhere); a fixed
 * first dimension must equal the batch size; other dynamic dimensions come from the caller's
 * {@code dimParams} by name. A model with no dynamic first dimension has a fixed batch, its first
 * input's first dimension, and binds only at that batch; its other inputs keep their declared
 * shapes whatever their first dimension (ONNX Runtime runs e.g. MatMul [3, 4] x [2, 4, 5]). A
 * model served without batching is resolved at its declared shapes instead ({@link
 * #resolveDeclared}).
 */
final class InputBinding {
  private InputBinding() {}

  /** The resolved params (caller's plus batch params) and input infos. */
  record Result(Map<String, Integer> params, List<ValueInfo> inputs) {}

  static Result resolve(ImportedModel m, int batchSize, Map<String, Integer> dimParams) {
    String src = m.sourceName();
    Map<String, Integer> params = new HashMap<>(dimParams);
    for (TensorSpec in : m.inputs()) {
      if (in.hasDynamicFirstDim() && in.dims().get(0).isSymbolic()) {
        String p = in.dims().get(0).param();
        Integer given = dimParams.get(p);
        if (given != null && given != batchSize) {
          throw new ModelException(src + ": dimension parameter '" + p + "' is the batch dimension of input '"
              + in.name() + "'; expected " + batchSize + " (the batch size), received " + given);
        }
        params.put(p, batchSize);
      }
    }
    boolean dynamicBatch = m.hasDynamicBatch();
    TensorSpec batchCarrier = dynamicBatch ? null
        : m.inputs().stream().filter(t -> t.hasShape() && t.rank() > 0).findFirst().orElse(null);
    List<ValueInfo> out = new ArrayList<>();
    for (TensorSpec in : m.inputs()) {
      if (!in.hasShape()) {
        throw new ModelException(src + ": input '" + in.name() + "' declares no shape; Braid needs inputs of"
            + " known rank");
      }
      int[] dims = new int[in.rank()];
      for (int i = 0; i < dims.length; i++) {
        DimSpec d = in.dims().get(i);
        if (i == 0 && !d.isFixed()) {
          dims[i] = batchSize;
        } else if (i == 0 && d.value() != batchSize && (dynamicBatch || in == batchCarrier)) {
          throw new ModelException(src + ": input '" + in.name() + "' has a fixed batch dimension of " + d.value()
              + (dynamicBatch ? ""
                  : " and no input has a dynamic batch dimension, so the model binds only at batch size "
                      + d.value())
              + "; expected batch size " + d.value() + ", received " + batchSize);
        } else if (d.isFixed()) {
          dims[i] = (int) d.value();
        } else {
          Integer v = d.isSymbolic() ? params.get(d.param()) : null;
          if (v == null) {
            throw new ModelException(src + ": input '" + in.name() + "' dimension " + i + " ("
                + (d.isSymbolic() ? "'" + d.param() + "'" : "unnamed") + ") is dynamic and cannot be resolved: "
                + (d.isSymbolic() ? "give its size in the config.pbtxt dims of input '" + in.name() + "' (or a value"
                    + " for '" + d.param() + "' in the dimension parameters)"
                    : "give the input a fixed size or a named dimension")
                + " (known: " + params + ")");
          }
          if (v < 0) {
            throw new ModelException(src + ": dimension parameter '" + d.param() + "' must be >= 0, received " + v);
          }
          dims[i] = v;
        }
      }
      out.add(new ValueInfo(in.name(), in.dtype(), Shape.of(dims)));
    }
    return new Result(params, out);
  }

  /**
   * Resolves the input shapes of a model that does not batch: each dimension as the model fixes
   * it, else as {@code fixedDims} (the configuration's full dims per input, -1 for none) fixes it,
   * else from the dimension parameter of that name that another input fixes. A dimension that stays
   * dynamic is refused: Braid compiles static shapes, and a model without a batch dimension is
   * compiled once, at its declared shapes.
   */
  static Result resolveDeclared(ImportedModel m, Map<String, long[]> fixedDims) {
    String src = m.sourceName();
    Map<String, Integer> params = new HashMap<>();
    for (TensorSpec in : m.inputs()) {
      long[] given = fixedDims.get(in.name());
      if (!in.hasShape() || given == null) {
        continue;
      }
      for (int i = 0; i < in.rank() && i < given.length; i++) {
        DimSpec d = in.dims().get(i);
        if (d.isSymbolic() && given[i] >= 0) {
          Integer before = params.put(d.param(), (int) given[i]);
          if (before != null && before != given[i]) {
            throw new ModelException(src + ": dimension parameter '" + d.param() + "' is fixed to " + before
                + " by one input's configured dims and to " + given[i] + " by input '" + in.name() + "'");
          }
        }
      }
    }
    List<ValueInfo> out = new ArrayList<>();
    for (TensorSpec in : m.inputs()) {
      if (!in.hasShape()) {
        throw new ModelException(src + ": input '" + in.name() + "' declares no shape; Braid needs inputs of"
            + " known rank");
      }
      long[] given = fixedDims.get(in.name());
      if (given != null && given.length != in.rank()) {
        throw new ModelException(src + ": input '" + in.name() + "' has rank " + in.rank() + " " + in.dims()
            + " but its configured dims " + java.util.Arrays.toString(given) + " have rank " + given.length);
      }
      int[] dims = new int[in.rank()];
      for (int i = 0; i < dims.length; i++) {
        DimSpec d = in.dims().get(i);
        long configured = given == null ? -1 : given[i];
        if (d.isFixed()) {
          if (configured >= 0 && configured != d.value()) {
            throw new ModelException(src + ": input '" + in.name() + "' dimension " + i + " is " + d.value()
                + " in the model; its configured dims give " + configured);
          }
          dims[i] = (int) d.value();
        } else if (configured >= 0) {
          dims[i] = (int) configured;
        } else if (d.isSymbolic() && params.containsKey(d.param())) {
          dims[i] = params.get(d.param());
        } else {
          throw new ModelException(src + ": input '" + in.name() + "' dimension " + i + " ("
              + (d.isSymbolic() ? "'" + d.param() + "'" : "unnamed") + ") is dynamic in a model that does not batch"
              + " (max_batch_size 0), and Braid compiles each model at fixed shapes: give its size in the"
              + " config.pbtxt dims of input '" + in.name() + "'" + (i == 0 ? ", or let the model batch"
                  + " (max_batch_size > 0) when this dimension is the batch" : ""));
        }
      }
      out.add(new ValueInfo(in.name(), in.dtype(), Shape.of(dims)));
    }
    return new Result(params, out);
  }
}
