package dev.braid.coordinator.frontend.internal;

import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.TensorConfig;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferRequest.InferInputTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request's inputs checked against the model's configuration and decoded: every input named
 * once, with the configured datatype and a shape the configuration admits (a leading batch
 * dimension of 1..max_batch_size when the model batches; -1 dims match any size), and values
 * either all in typed {@code contents} or all in {@code raw_input_contents} (one entry per input,
 * in the request's order). Each failure is INVALID_ARGUMENT naming the input, the expected and the
 * received.
 */
public final class InferInputs {
  private InferInputs() {}

  /** The inputs by name. */
  public static Map<String, Tensor> decode(ModelInferRequest request, ModelConfig config) {
    String model = request.getModelName();
    Map<String, TensorConfig> declared = new LinkedHashMap<>();
    for (TensorConfig tc : config.inputs()) {
      declared.put(tc.name(), tc);
    }
    boolean raw = request.getRawInputContentsCount() > 0;
    if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
      throw Statuses.invalidArgument("model '" + model + "': expected one raw_input_contents entry per input ("
          + request.getInputsCount() + "), received " + request.getRawInputContentsCount());
    }
    Map<String, Tensor> out = new HashMap<>();
    for (int i = 0; i < request.getInputsCount(); i++) {
      InferInputTensor in = request.getInputs(i);
      TensorConfig tc = declared.get(in.getName());
      if (tc == null) {
        throw Statuses.invalidArgument("model '" + model + "': unknown input '" + in.getName() + "'; expected inputs "
            + declared.keySet());
      }
      if (out.containsKey(in.getName())) {
        throw Statuses.invalidArgument("model '" + model + "': input '" + in.getName() + "' given twice");
      }
      DType dtype = tc.dtype();
      String expectedType = OipDatatypes.name(dtype);
      if (!expectedType.equals(in.getDatatype())) {
        throw Statuses.invalidArgument("input '" + in.getName() + "': expected datatype " + expectedType
            + ", received '" + in.getDatatype() + "'");
      }
      if (!OipDatatypes.carried(dtype)) {
        throw Statuses.invalidArgument("input '" + in.getName() + "': datatype " + expectedType
            + " is not carried by Braid's front door yet");
      }
      Shape shape = checkShape(model, in, tc, config.maxBatchSize());
      if (raw) {
        if (in.hasContents()) {
          throw Statuses.invalidArgument("input '" + in.getName() + "': expected its values in raw_input_contents"
              + " only (the request uses raw_input_contents), received contents too");
        }
        out.put(in.getName(), TensorCodec.fromRaw(in.getName(), dtype, shape, request.getRawInputContents(i)));
      } else {
        out.put(in.getName(), TensorCodec.fromContents(in.getName(), dtype, shape, in.getContents()));
      }
    }
    List<String> missing = new ArrayList<>();
    for (String name : declared.keySet()) {
      if (!out.containsKey(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw Statuses.invalidArgument("model '" + model + "': missing input(s) " + missing + "; expected inputs "
          + declared.keySet());
    }
    return out;
  }

  /**
   * Refuses Triton's shared-memory parameters on an input or a requested output: Braid has no
   * shared memory (its registration RPCs are not served), so the values would be missing (an input)
   * or never written where the client reads them (an output).
   */
  public static void refuseSharedMemory(String what, Map<String, InferParameter> params) {
    for (String key : params.keySet()) {
      if (key.startsWith("shared_memory_")) {
        throw Statuses.invalidArgument(what + ": parameter '" + key + "': Braid has no shared memory; send the"
            + " values in raw_input_contents or contents, and read outputs from the response");
      }
    }
  }

  /** The dims a client sends for {@code tc}: -1 first for the batch when the model batches. */
  public static long[] protocolDims(TensorConfig tc, int maxBatchSize) {
    long[] dims = tc.dims();
    if (maxBatchSize <= 0) {
      return dims;
    }
    long[] withBatch = new long[dims.length + 1];
    withBatch[0] = -1;
    System.arraycopy(dims, 0, withBatch, 1, dims.length);
    return withBatch;
  }

  private static Shape checkShape(String model, InferInputTensor in, TensorConfig tc, int maxBatchSize) {
    long[] expected = protocolDims(tc, maxBatchSize);
    long[] got = new long[in.getShapeCount()];
    for (int d = 0; d < got.length; d++) {
      got[d] = in.getShape(d);
    }
    boolean ok = got.length == expected.length;
    long elements = 1;
    for (int d = 0; ok && d < got.length; d++) {
      // A zero size only where the model declares it (an empty axes list of a ReduceX, say).
      ok = (got[d] >= 1 || expected[d] == 0) && (expected[d] == -1 || expected[d] == got[d]);
      elements *= Math.max(got[d], 1);
      ok &= elements <= Integer.MAX_VALUE;
    }
    if (ok && maxBatchSize > 0 && got[0] > maxBatchSize) {
      ok = false;
    }
    if (!ok) { // the message is built only on failure: this runs for every input of every request
      String expectation = "expected shape " + Arrays.toString(expected)
          + (maxBatchSize > 0 ? " (batch 1.." + maxBatchSize + ")" : "");
      throw Statuses.invalidArgument("model '" + model + "': input '" + in.getName() + "': " + expectation
          + ", received " + Arrays.toString(got));
    }
    return Shape.of(got);
  }
}
