package dev.braid.protocol.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The generated Open Inference Protocol classes: requests survive the wire, and names and field
 * numbers match the published protocol (a renumbered field would silently break Triton's and
 * KServe's clients, so the numbers are pinned here one by one).
 */
class GrpcServiceProtoTest {

  private static ModelInferRequest sampleRequest() {
    ByteBuffer raw = ByteBuffer.allocate(4 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : new float[] {1.5f, -2f, 0f, 3.25f}) {
      raw.putFloat(f);
    }
    raw.flip();
    return ModelInferRequest.newBuilder()
        .setModelName("resnet18")
        .setModelVersion("1")
        .setId("req-7")
        .putParameters("braid.deadline_us", InferParameter.newBuilder().setInt64Param(20_000).build())
        .putParameters("braid.tenant", InferParameter.newBuilder().setStringParam("acme").build())
        .putParameters("braid.weight", InferParameter.newBuilder().setDoubleParam(0.5).build())
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
            .setName("ids").setDatatype("INT64").addShape(1).addShape(3)
            .setContents(InferTensorContents.newBuilder().addInt64Contents(4).addInt64Contents(-5).addInt64Contents(6)))
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
            .setName("x").setDatatype("FP32").addShape(2).addShape(2))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("y"))
        .addRawInputContents(ByteString.copyFrom(raw))
        .build();
  }

  @Test
  void modelInferRequestWithContentsAndRawBytesSurvivesTheWire() throws Exception {
    ModelInferRequest sent = sampleRequest();
    ModelInferRequest received = ModelInferRequest.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(List.of(4L, -5L, 6L), received.getInputs(0).getContents().getInt64ContentsList());
    ByteBuffer raw = received.getRawInputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(3.25f, raw.getFloat(12));
    assertEquals(20_000, received.getParametersOrThrow("braid.deadline_us").getInt64Param());
    assertEquals(InferParameter.ParameterChoiceCase.DOUBLE_PARAM,
        received.getParametersOrThrow("braid.weight").getParameterChoiceCase());
  }

  @Test
  void modelInferResponseWithRawOutputsSurvivesTheWire() throws Exception {
    ModelInferResponse sent = ModelInferResponse.newBuilder()
        .setModelName("m").setModelVersion("2").setId("r")
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y").setDatatype("FP32").addShape(1))
        .addRawOutputContents(ByteString.copyFrom(new byte[] {0, 0, (byte) 0x80, 0x3f}))
        .build();
    ModelStreamInferResponse stream = ModelStreamInferResponse.newBuilder().setInferResponse(sent).build();
    assertEquals(stream, ModelStreamInferResponse.parseFrom(stream.toByteArray()));
  }

  private static void assertField(Descriptor message, String field, int number) {
    FieldDescriptor fd = message.findFieldByName(field);
    assertNotNull(fd, message.getFullName() + " has no field " + field);
    assertEquals(number, fd.getNumber(), message.getFullName() + "." + field);
  }

  @Test
  void fieldNumbersAreThePublishedProtocols() {
    Descriptor req = ModelInferRequest.getDescriptor();
    assertEquals("inference.ModelInferRequest", req.getFullName());
    assertField(req, "model_name", 1);
    assertField(req, "model_version", 2);
    assertField(req, "id", 3);
    assertField(req, "parameters", 4);
    assertField(req, "inputs", 5);
    assertField(req, "outputs", 6);
    assertField(req, "raw_input_contents", 7);

    Descriptor input = ModelInferRequest.InferInputTensor.getDescriptor();
    assertField(input, "name", 1);
    assertField(input, "datatype", 2);
    assertField(input, "shape", 3);
    assertField(input, "parameters", 4);
    assertField(input, "contents", 5);

    Descriptor resp = ModelInferResponse.getDescriptor();
    assertField(resp, "model_name", 1);
    assertField(resp, "model_version", 2);
    assertField(resp, "id", 3);
    assertField(resp, "parameters", 4);
    assertField(resp, "outputs", 5);
    assertField(resp, "raw_output_contents", 6);

    Descriptor contents = InferTensorContents.getDescriptor();
    assertField(contents, "bool_contents", 1);
    assertField(contents, "int_contents", 2);
    assertField(contents, "int64_contents", 3);
    assertField(contents, "uint_contents", 4);
    assertField(contents, "uint64_contents", 5);
    assertField(contents, "fp32_contents", 6);
    assertField(contents, "fp64_contents", 7);
    assertField(contents, "bytes_contents", 8);

    Descriptor param = InferParameter.getDescriptor();
    assertField(param, "bool_param", 1);
    assertField(param, "int64_param", 2);
    assertField(param, "string_param", 3);
    assertField(param, "double_param", 4);
    assertField(param, "uint64_param", 5);

    assertField(ModelStreamInferResponse.getDescriptor(), "error_message", 1);
    assertField(ModelStreamInferResponse.getDescriptor(), "infer_response", 2);
    assertField(RepositoryModelLoadRequest.getDescriptor(), "model_name", 2);
    assertField(RepositoryModelLoadRequest.getDescriptor(), "parameters", 3);
    assertField(RepositoryModelUnloadRequest.getDescriptor(), "parameters", 3);
    assertField(ModelRepositoryParameter.getDescriptor(), "bytes_param", 4);
    assertField(RepositoryIndexResponse.ModelIndex.getDescriptor(), "reason", 4);
    assertField(ModelMetadataResponse.getDescriptor(), "outputs", 5);
    // Triton's numbers: ModelConfigResponse's config (an inference.ModelConfig, carried as its bytes).
    assertField(ModelConfigRequest.getDescriptor(), "name", 1);
    assertField(ModelConfigRequest.getDescriptor(), "version", 2);
    assertField(ModelConfigResponse.getDescriptor(), "config", 1);
    assertField(ModelStatistics.getDescriptor(), "last_inference", 3);
    assertField(ModelStatistics.getDescriptor(), "execution_count", 5);
    assertField(ModelStatistics.getDescriptor(), "inference_stats", 6);
    assertField(ModelStatistics.getDescriptor(), "batch_stats", 7);
    assertField(InferStatistics.getDescriptor(), "compute_output", 6);
    assertField(StatisticDuration.getDescriptor(), "ns", 2);
  }

  @Test
  void serviceHasTheProtocolsMethodsUnderItsFullName() {
    ServiceDescriptor service = GrpcServiceProto.getDescriptor().findServiceByName("GRPCInferenceService");
    assertEquals("inference.GRPCInferenceService", service.getFullName());
    assertEquals(
        List.of("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelConfig",
            "ModelStatistics", "ModelInfer", "ModelStreamInfer", "RepositoryIndex", "RepositoryModelLoad",
            "RepositoryModelUnload"),
        service.getMethods().stream().map(MethodDescriptor::getName).collect(Collectors.toList()));
    MethodDescriptor stream = service.findMethodByName("ModelStreamInfer");
    assertEquals(true, stream.isClientStreaming());
    assertEquals(true, stream.isServerStreaming());
    // grpc-java's stub addresses the protocol's path on the wire.
    assertEquals("inference.GRPCInferenceService/ModelInfer",
        GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName());
  }
}
