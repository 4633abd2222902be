package dev.braid.model.repo;

import dev.braid.model.ModelException;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.util.Arrays;
import java.util.List;

/**
 * Checks a {@link ModelConfig} against the ONNX model it serves: every configured input and
 * output exists in the model with the same dtype and dims (config dims exclude the batch
 * dimension when {@code max_batch_size > 0}, and then the model's first dimension must be
 * dynamic); every model input is configured. A config dim of -1 accepts any model dim; a fixed
 * config dim must equal a fixed model dim (a dynamic model dim accepts it).
 */
public final class ConfigValidator {
  private ConfigValidator() {}

  public static void validate(ModelConfig c, ImportedModel m, String file) {
    for (int i = 0; i < c.inputs().size(); i++) {
      TensorConfig t = c.inputs().get(i);
      TensorSpec spec = m.input(t.name());
      if (spec == null) {
        throw ConfigParser.error(file, "input[" + i + "].name", "an input of " + m.sourceName() + " "
            + m.inputs().stream().map(TensorSpec::name).toList(), "'" + t.name() + "'");
      }
      check(c, t, spec, "input[" + i + "] ('" + t.name() + "')", file, m);
    }
    for (TensorSpec in : m.inputs()) {
      if (c.inputs().stream().noneMatch(t -> t.name().equals(in.name()))) {
        throw ConfigParser.error(file, "input", "an entry for every model input, including '" + in.name() + "'",
            c.inputs().stream().map(TensorConfig::name).toList().toString());
      }
    }
    for (int i = 0; i < c.outputs().size(); i++) {
      TensorConfig t = c.outputs().get(i);
      TensorSpec spec = m.output(t.name());
      if (spec == null) {
        throw ConfigParser.error(file, "output[" + i + "].name", "an output of " + m.sourceName() + " "
            + m.outputs().stream().map(TensorSpec::name).toList(), "'" + t.name() + "'");
      }
      check(c, t, spec, "output[" + i + "] ('" + t.name() + "')", file, m);
    }
  }

  private static void check(ModelConfig c, TensorConfig t, TensorSpec spec, String field, String file, ImportedModel m) {
    if (t.dtype() != spec.dtype()) {
      throw ConfigParser.error(file, field + ".data_type", ConfigParser.tritonName(spec.dtype()) + " (as in "
          + m.sourceName() + ")", ConfigParser.tritonName(t.dtype()));
    }
    if (!spec.hasShape()) {
      return;
    }
    List<DimSpec> dims = spec.dims();
    if (c.maxBatchSize() > 0) {
      if (dims.isEmpty() || dims.get(0).isFixed()) {
        throw ConfigParser.error(file, "max_batch_size", "0, because " + field + " has no dynamic batch dimension in "
            + m.sourceName() + " " + dims, Integer.toString(c.maxBatchSize()));
      }
      dims = dims.subList(1, dims.size());
    }
    long[] cd = t.dims();
    boolean ok = cd.length == dims.size();
    for (int i = 0; ok && i < cd.length; i++) {
      DimSpec d = dims.get(i);
      ok = cd[i] == -1 || !d.isFixed() || cd[i] == d.value();
    }
    if (!ok) {
      long[] expected = new long[dims.size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = dims.get(i).tritonDim();
      }
      throw ConfigParser.error(file, field + ".dims", Arrays.toString(expected) + " (from " + m.sourceName()
          + (c.maxBatchSize() > 0 ? ", without the batch dimension" : "") + ")", Arrays.toString(cd));
    }
  }
}
