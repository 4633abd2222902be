package dev.braid.conformance;

import dev.braid.device.DeviceException;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.fold.Specialization;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.TensorFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Runs one {@link BackendCase} as a user's model would run: {@link OnnxImporter}, then, per data
 * set, {@link CaseBinding} at the data's shapes (the fold passes included), {@link ModelExecutor}
 * on a fresh {@link CpuDevice} of one thread, one inference, and {@link OutputComparison} of every
 * output.
 *
 * <p>The verdict: PASS when every output of every data set matches; REFUSED for a {@link
 * ModelException} (import, binding or lowering said what it does not support), an {@link
 * IllegalArgumentException} (an input Braid declines, e.g. an integer beyond float32's exact
 * range) or the device running out of memory; WRONG for an answer outside tolerance; ERROR for
 * any other exception, a defect wherever it is thrown.
 */
final class CaseRunner {
  /** The CPU device's capacity per case: the largest case of ONNX 1.12's data needs a few MB. */
  static final long DEVICE_CAPACITY_BYTES = 256L << 20;

  private CaseRunner() {}

  static CaseOutcome run(BackendCase c) {
    long start = System.nanoTime();
    try {
      String wrong = check(c);
      long ms = (System.nanoTime() - start) / 1_000_000;
      return wrong == null ? new CaseOutcome(c.id(), Verdict.PASS, "", "", ms)
          : new CaseOutcome(c.id(), Verdict.WRONG, "wrong answer", wrong, ms);
    } catch (Throwable t) {
      long ms = (System.nanoTime() - start) / 1_000_000;
      Throwable e = unwrap(t);
      String line = RefusalReason.firstLine(e, c);
      if (isRefusal(e)) {
        return new CaseOutcome(c.id(), Verdict.REFUSED, RefusalReason.key(line), line, ms);
      }
      return new CaseOutcome(c.id(), Verdict.ERROR, e.getClass().getSimpleName(), line + " at " + where(e), ms);
    }
  }

  /** Null when every data set's outputs match, else the first mismatch. */
  private static String check(BackendCase c) throws Exception {
    ImportedModel m = OnnxImporter.load(c.model());
    Specialization special = Specialization.of(m, Specialization.DEFAULT_MAX_ELEMENTS);
    List<BackendCase.DataSet> sets = c.dataSets();
    if (sets.isEmpty()) {
      throw new IllegalStateException(c.dir() + " has no test_data_set_0");
    }
    for (int s = 0; s < sets.size(); s++) {
      BackendCase.DataSet set = sets.get(s);
      List<Tensor> inputs = new ArrayList<>();
      for (int i = 0; i < set.inputs().size(); i++) {
        DType declared = i < m.inputs().size() ? m.inputs().get(i).dtype() : null;
        inputs.add(asDeclared(TensorFiles.read(set.inputs().get(i)).tensor(), declared));
      }
      ModelGraph graph = bind(m, special, inputs);
      if (graph.outputs().size() != set.outputs().size()) {
        throw new IllegalStateException(c.id() + ": the graph has " + graph.outputs().size()
            + " outputs, test_data_set_" + s + " " + set.outputs().size());
      }
      Map<String, Tensor> feed = new LinkedHashMap<>();
      for (int i = 0, g = 0; i < inputs.size(); i++) {
        if (!special.contains(m.inputs().get(i).name())) {
          feed.put(graph.inputs().get(g++).name(), inputs.get(i));
        }
      }
      Map<String, Tensor> got;
      try (CpuDevice device = new CpuDevice(1, DEVICE_CAPACITY_BYTES);
          CompiledModel compiled = ModelExecutor.compile(graph, device)) {
        got = compiled.run(feed).toCompletableFuture().get();
      }
      for (int k = 0; k < set.outputs().size(); k++) {
        ValueInfo out = graph.outputs().get(k);
        String mismatch = OutputComparison.mismatch(out.name(), got.get(out.name()),
            asDeclared(TensorFiles.read(set.outputs().get(k)).tensor(), out.dtype()));
        if (mismatch != null) {
          return (sets.size() > 1 ? "test_data_set_" + s + ": " : "") + mismatch;
        }
      }
    }
    return null;
  }

  /**
   * The model bound at the data's shapes; a model with specialization inputs (values that define
   * shapes) first specialized at the data's values of them, as the serving path does per request.
   */
  private static ModelGraph bind(ImportedModel m, Specialization special, List<Tensor> inputs) {
    if (special.isEmpty()) {
      return CaseBinding.bind(m, inputs);
    }
    Map<String, Tensor> byName = new LinkedHashMap<>();
    List<Tensor> rest = new ArrayList<>();
    for (int i = 0; i < inputs.size() && i < m.inputs().size(); i++) {
      String name = m.inputs().get(i).name();
      byName.put(name, inputs.get(i));
      if (!special.contains(name)) {
        rest.add(inputs.get(i));
      }
    }
    Specialization.Key key = special.key(byName);
    return CaseBinding.bind(special.apply(m, key), rest);
  }

  /**
   * ONNX's test data holds a BFLOAT16 tensor as UINT16 with the same bits (numpy has no bfloat16):
   * such a tensor, where the model declares BFLOAT16, becomes the floats its bits encode.
   */
  static Tensor asDeclared(Tensor data, DType declared) {
    if (declared != DType.BFLOAT16 || data.dtype() != DType.UINT16) {
      return data;
    }
    long[] bits = data.longs();
    float[] f = new float[bits.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = Float.intBitsToFloat((int) bits[i] << 16);
    }
    return Tensor.ofFloats(DType.BFLOAT16, data.shape(), f);
  }

  private static boolean isRefusal(Throwable e) {
    return e instanceof ModelException || e instanceof IllegalArgumentException
        || e instanceof DeviceException d && d.reason() == DeviceException.Reason.OUT_OF_MEMORY;
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The innermost Braid frame an unexpected exception came from, for the report. */
  private static String where(Throwable e) {
    for (StackTraceElement f : e.getStackTrace()) {
      if (f.getClassName().startsWith("dev.braid.") && !f.getClassName().startsWith("dev.braid.conformance")) {
        return f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName()
            + ":" + f.getLineNumber();
      }
    }
    return e.getStackTrace().length == 0 ? "?" : e.getStackTrace()[0].toString();
  }
}
