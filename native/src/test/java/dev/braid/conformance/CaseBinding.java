package dev.braid.conformance;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds an imported model at the shapes of one data set's inputs, through the importer's own
 * {@link ImportedModel#bind(int, Map)} (input binding, shape inference, the fold passes): the
 * batch size is the actual first dimension of the inputs whose first dimension is dynamic, a named
 * dimension takes its actual size, and a model with a fixed first dimension binds at that
 * dimension. Only what the binder cannot be told by name, an unnamed dynamic dimension, is written
 * into the declared shape as its actual size; when the data itself is not one consistent batch
 * (two dynamic first dimensions or two uses of one name with different sizes), every input is
 * declared at its actual shape; so too when a fixed first dimension beside a dynamic one differs
 * from the batch. So the bound shapes always come from the data, whatever the
 * serving path does with the model's declared ones.
 *
 * <p>Pure: no device.
 */
final class CaseBinding {
  private CaseBinding() {}

  /**
   * The model bound at the shapes of {@code inputs} (in the order of {@code m.inputs()}).
   *
   * @throws ModelException when the data disagrees with a declared rank or fixed dimension, or
   *     when the binder refuses the model
   */
  static ModelGraph bind(ImportedModel m, List<Tensor> inputs) {
    if (inputs.size() != m.inputs().size()) {
      throw new ModelException(m.sourceName() + ": the model has " + m.inputs().size() + " inputs " + names(m)
          + " but the test data set has " + inputs.size());
    }
    List<TensorSpec> specs = new ArrayList<>();
    Map<String, Integer> params = new HashMap<>();
    Integer batch = null;
    boolean consistent = true;
    for (int i = 0; i < inputs.size(); i++) {
      TensorSpec s = m.inputs().get(i);
      Shape actual = inputs.get(i).shape();
      if (!s.hasShape()) {
        specs.add(fixed(s, actual));
        continue;
      }
      if (s.rank() != actual.rank()) {
        throw new ModelException(m.sourceName() + ": input '" + s.name() + "' is declared " + s.dims()
            + " but its test data has shape " + actual);
      }
      List<DimSpec> dims = new ArrayList<>(s.dims());
      for (int j = 0; j < dims.size(); j++) {
        DimSpec d = dims.get(j);
        int a = actual.dim(j);
        if (d.isFixed()) {
          if (d.value() != a) {
            throw new ModelException(m.sourceName() + ": input '" + s.name() + "' is declared " + s.dims()
                + " but its test data has shape " + actual);
          }
          continue;
        }
        if (j == 0) {
          consistent &= batch == null || batch == a;
          batch = batch == null ? a : batch;
        }
        if (d.isSymbolic()) {
          Integer before = params.putIfAbsent(d.param(), a);
          consistent &= before == null || before == a;
        } else if (j > 0) {
          dims.set(j, DimSpec.fixed(a));
        }
      }
      specs.add(new TensorSpec(s.name(), s.dtype(), dims));
    }
    for (TensorSpec s : specs) {
      // A fixed first dimension beside a dynamic one must equal the batch for the binder.
      consistent &= batch == null || s.rank() == 0 || !s.dims().get(0).isFixed() || s.dims().get(0).value() == batch;
    }
    if (!consistent) {
      specs.clear();
      for (int i = 0; i < inputs.size(); i++) {
        specs.add(fixed(m.inputs().get(i), inputs.get(i).shape()));
      }
      params.clear();
      batch = null;
    }
    if (batch == null) {
      // No dynamic first dimension: the binder takes the batch from the first input of rank >= 1.
      batch = 1;
      for (int i = 0; i < inputs.size(); i++) {
        if (inputs.get(i).shape().rank() > 0) {
          batch = inputs.get(i).shape().dim(0);
          break;
        }
      }
    }
    ImportedModel atShapes = new ImportedModel(m.sourceName(), m.name(), m.opsetVersion(), m.producer(), specs,
        m.outputs(), m.initializers(), m.nodes(), m.metadata());
    return atShapes.bind(batch, params);
  }

  private static TensorSpec fixed(TensorSpec s, Shape actual) {
    List<DimSpec> dims = new ArrayList<>();
    for (int d : actual.dims()) {
      dims.add(DimSpec.fixed(d));
    }
    return new TensorSpec(s.name(), s.dtype(), dims);
  }

  private static List<String> names(ImportedModel m) {
    return m.inputs().stream().map(TensorSpec::name).toList();
  }
}
