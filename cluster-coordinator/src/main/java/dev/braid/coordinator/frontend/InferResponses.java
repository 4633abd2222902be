package dev.braid.coordinator.frontend;

import dev.braid.coordinator.frontend.internal.Classification;
import dev.braid.coordinator.frontend.internal.OipDatatypes;
import dev.braid.coordinator.frontend.internal.Statuses;
import dev.braid.coordinator.frontend.internal.TensorCodec;
import dev.braid.model.DType;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.TensorConfig;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** ModelInfer's outputs: which the request asks for, and the response that carries them. */
final class InferResponses {
  private InferResponses() {}

  /**
   * The outputs {@code request} names, checked against the model's (and their class count
   * parameter); all of them when it names none.
   */
  static List<String> requestedOutputs(ModelInferRequest request, ModelConfig config) {
    List<String> declared = config.outputs().stream().map(TensorConfig::name).toList();
    if (request.getOutputsCount() == 0) {
      return declared;
    }
    List<String> names = new ArrayList<>();
    for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
      if (!declared.contains(o.getName())) {
        throw Statuses.invalidArgument("model '" + request.getModelName() + "': unknown output '" + o.getName()
            + "'; expected outputs " + declared);
      }
      Classification.classCount(o.getName(), o.getParametersMap());
      names.add(o.getName());
    }
    return names;
  }

  /**
   * The response carrying {@code names} of {@code outputs}, raw or typed as asked; 16-bit floats
   * travel as FP32, which the front door carries; an output asked with a class count as Triton's
   * classification ({@link Classification}).
   */
  static ModelInferResponse response(ModelInferRequest request, ServedModels.Served e, List<String> names,
      Map<String, Tensor> outputs, boolean typed) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(e.name())
        .setModelVersion(String.valueOf(e.version())).setId(request.getId());
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      Tensor t = outputs.get(name);
      if (t == null) {
        throw Status.INTERNAL.withDescription("model '" + e.name() + "' answered without output '" + name + "'")
            .asRuntimeException();
      }
      int classes = request.getOutputsCount() == 0 ? 0
          : Classification.classCount(name, request.getOutputs(i).getParametersMap());
      if (classes > 0) {
        Classification.Result c = Classification.of(t, classes, e.config().maxBatchSize() > 0);
        ModelInferResponse.InferOutputTensor.Builder o = b.addOutputsBuilder().setName(name).setDatatype("BYTES");
        for (long d : c.shape()) {
          o.addShape(d);
        }
        if (typed) {
          o.setContents(c.contents());
        } else {
          b.addRawOutputContents(c.raw());
        }
        continue;
      }
      if (!OipDatatypes.carried(t.dtype())) {
        t = Tensor.ofFloats(DType.FLOAT32, t.shape(), t.floats()); // 16-bit floats travel as FP32
      }
      ModelInferResponse.InferOutputTensor.Builder o = b.addOutputsBuilder().setName(name)
          .setDatatype(OipDatatypes.name(t.dtype()));
      for (long d : t.shape().longDims()) {
        o.addShape(d);
      }
      if (typed) {
        o.setContents(TensorCodec.toContents(t));
      } else {
        b.addRawOutputContents(TensorCodec.toRaw(t));
      }
    }
    return b.build();
  }
}
