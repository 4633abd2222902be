package dev.braid.bench.load;

import dev.braid.coordinator.cli.OipInputs;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one request a load run sends, built from the server's {@code ModelMetadata} alone (so it
 * works against any Open Inference Protocol server, Triton included): every input the metadata
 * lists, with its datatype, its shape and seeded random values, as {@code braid infer} sends them
 * ({@link OipInputs}).
 */
final class OipRequests {
  private OipRequests() {}

  /** The request, and one line per input saying what is sent ("x FP32 [1, 4]"). */
  record Built(ModelInferRequest request, List<String> inputs) {}

  static Built fromMetadata(ModelMetadataResponse meta, String model, int batch, long seed) {
    if (batch < 1) {
      throw new IllegalArgumentException("--batch: expected an integer >= 1, got " + batch);
    }
    if (meta.getInputsCount() == 0) {
      throw new IllegalArgumentException("model '" + model + "': its metadata lists no inputs");
    }
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setId("braid-load");
    List<String> lines = new ArrayList<>();
    int position = 0;
    for (ModelMetadataResponse.TensorMetadata in : meta.getInputsList()) {
      long[] shape = OipInputs.shape(model, in, batch);
      request.addInputsBuilder().setName(in.getName()).setDatatype(in.getDatatype())
          .addAllShape(Arrays.stream(shape).boxed().toList());
      request.addRawInputContents(OipInputs.random("model '" + model + "' input '" + in.getName() + "'",
          in.getDatatype(), OipInputs.elements(shape), seed, position++));
      lines.add(in.getName() + " " + in.getDatatype() + " " + Arrays.toString(shape));
    }
    return new Built(request.build(), lines);
  }
}
