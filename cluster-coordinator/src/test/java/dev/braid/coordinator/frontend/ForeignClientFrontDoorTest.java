package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.model.repo.ModelConfigProto;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelConfigRequest;
import dev.braid.protocol.grpc.ModelConfigResponse;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.InferStatistics;
import dev.braid.protocol.grpc.ModelStatistics;
import dev.braid.protocol.grpc.ModelStatisticsRequest;
import dev.braid.protocol.grpc.ServerMetadataRequest;
import io.grpc.Codec;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What clients Braid was not written against send, as a probe with grpc-js found them (the
 * protocol's own cases are {@link FrontDoorServerTest}'s): the {@code deflate} message encoding
 * (tritonclient's and grpc-js's other compression), Triton's classification extension
 * ({@code class_count} of tritonclient's requested outputs), Triton's shared-memory parameters
 * (refused, not ignored), ModelConfig (tritonclient's get_model_config, perf_analyzer's first
 * call), ModelStatistics (perf_analyzer's before and after each measurement), and the HTTP port's
 * answer to a wrong method.
 */
class ForeignClientFrontDoorTest {
  static final int LIMIT_BYTES = 256 * 1024;
  @TempDir static Path repo;
  static SingleNode node;
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;

  /** The client's deflate, written here as gRPC's C core writes it: zlib-wrapped DEFLATE. */
  static final Codec CLIENT_DEFLATE = new Codec() {
    @Override
    public String getMessageEncoding() {
      return "deflate";
    }

    @Override
    public OutputStream compress(OutputStream os) {
      return new DeflaterOutputStream(os, new Deflater(Deflater.DEFAULT_COMPRESSION, false));
    }

    @Override
    public InputStream decompress(InputStream is) {
      return new InflaterInputStream(is);
    }
  };

  @BeforeAll
  static void start() throws Exception {
    node = FrontDoorHardeningTest.mlpNode(repo,
        FrontendSettings.load().withPorts(0, 0).withMaxInboundMessageBytes(LIMIT_BYTES));
    CompressorRegistry compressors = CompressorRegistry.newEmptyInstance();
    compressors.register(CLIENT_DEFLATE);
    channel = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext()
        .compressorRegistry(compressors).build();
    blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    FrontDoorHardeningTest.close(channel, node);
  }

  static ModelInferResponse infer(ModelInferRequest.Builder request) {
    return blocking.modelInfer(request.build());
  }

  static StatusRuntimeException refused(ModelInferRequest.Builder request) {
    try {
      infer(request);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected a refusal");
  }

  @Test
  void aDeflateCompressedRequestIsAnsweredAndADeflateBombRefused() {
    float[] in = FrontDoorServerTest.randomInput(2, 21);
    ModelInferRequest request = FrontDoorServerTest.rawRequest(in, 2).build();
    ModelInferResponse plain = blocking.modelInfer(request);
    ModelInferResponse deflated = blocking.withCompression("deflate").modelInfer(request);
    assertEquals(plain.getRawOutputContents(0), deflated.getRawOutputContents(0));

    // 64 MiB of zeros inflate to 256x the limit: counted while inflating, as gzip's are.
    ModelInferRequest bomb = FrontDoorHardeningTest.bomb();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> blocking.withCompression("deflate").modelInfer(bomb));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(plain.getRawOutputContents(0), blocking.modelInfer(request).getRawOutputContents(0));
  }

  @Test
  void aClassCountAnswersTritonsClassificationStrings() {
    float[] in = FrontDoorServerTest.randomInput(2, 22);
    float[] logits = FrontDoorServerTest.rawFloats(infer(FrontDoorServerTest.rawRequest(in, 2))
        .getRawOutputContents(0));
    ModelInferRequest.Builder request = FrontDoorServerTest.rawRequest(in, 2)
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")
            .putParameters("classification", InferParameter.newBuilder().setInt64Param(3).build()));
    List<String> expected = new ArrayList<>();
    for (int b = 0; b < 2; b++) {
      expected.addAll(topStrings(logits, b * 10, 10, 3));
    }

    ModelInferResponse raw = infer(request);
    assertEquals("BYTES", raw.getOutputs(0).getDatatype());
    assertEquals(List.of(2L, 3L), raw.getOutputs(0).getShapeList());
    assertEquals(expected, bytesElements(raw.getRawOutputContents(0)));

    ModelInferResponse typed = infer(request.clone()
        .putParameters(RequestParameters.TYPED_OUTPUTS, InferParameter.newBuilder().setBoolParam(true).build()));
    assertEquals(expected, typed.getOutputs(0).getContents().getBytesContentsList().stream()
        .map(ByteString::toStringUtf8).toList());

    // More classes than entries: all ten; a class count of 0 is no classification.
    ModelInferResponse all = infer(FrontDoorServerTest.rawRequest(in, 2).addOutputs(
        ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")
            .putParameters("classification", InferParameter.newBuilder().setInt64Param(50).build())));
    assertEquals(List.of(2L, 10L), all.getOutputs(0).getShapeList());
    ModelInferResponse none = infer(FrontDoorServerTest.rawRequest(in, 2).addOutputs(
        ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")
            .putParameters("classification", InferParameter.newBuilder().setInt64Param(0).build())));
    assertEquals("FP32", none.getOutputs(0).getDatatype());
    assertArrayEquals(logits, FrontDoorServerTest.rawFloats(none.getRawOutputContents(0)));

    StatusRuntimeException e = refused(FrontDoorServerTest.rawRequest(in, 2).addOutputs(
        ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")
            .putParameters("classification", InferParameter.newBuilder().setStringParam("3").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("classification"), e.getStatus().toString());
  }

  @Test
  void sharedMemoryParametersAreRefusedNotIgnored() {
    float[] in = FrontDoorServerTest.randomInput(1, 23);
    InferParameter region = InferParameter.newBuilder().setStringParam("out0").build();
    StatusRuntimeException output = refused(FrontDoorServerTest.rawRequest(in, 1).addOutputs(
        ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")
            .putParameters("shared_memory_region", region)
            .putParameters("shared_memory_byte_size", InferParameter.newBuilder().setInt64Param(40).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, output.getStatus().getCode(), output.getStatus().toString());
    assertTrue(output.getStatus().getDescription().contains("shared memory"), output.getStatus().toString());

    ModelInferRequest.Builder shmInput = ModelInferRequest.newBuilder().setModelName("mlp")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
            .addShape(1).addShape(784).putParameters("shared_memory_region", region));
    StatusRuntimeException input = refused(shmInput);
    assertEquals(Status.Code.INVALID_ARGUMENT, input.getStatus().getCode(), input.getStatus().toString());
    assertTrue(input.getStatus().getDescription().contains("shared memory"), input.getStatus().toString());
  }

  @Test
  void modelConfigAnswersTritonsModelConfig() throws Exception {
    ModelConfigResponse r = blocking.modelConfig(ModelConfigRequest.newBuilder().setName("mlp").build());
    // Field 1 as Triton's proto reads it: an embedded inference.ModelConfig.
    ModelConfigProto.ModelConfig c = ModelConfigProto.ModelConfig.parseFrom(r.getConfig());
    assertEquals("mlp", c.getName());
    assertEquals("onnxruntime_onnx", c.getPlatform());
    assertEquals(8, c.getMaxBatchSize());
    assertEquals("input", c.getInput(0).getName());
    assertEquals(ModelConfigProto.DataType.TYPE_FP32, c.getInput(0).getDataType());
    assertEquals(List.of(784L), c.getInput(0).getDimsList());
    assertEquals(List.of(10L), c.getOutput(0).getDimsList());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> blocking.modelConfig(ModelConfigRequest.newBuilder().setName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(blocking.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getExtensionsList()
        .containsAll(List.of("classification", "model_configuration")));
  }

  @Test
  void modelStatisticsCountWhatWasServedAsPerfAnalyzerReadsThem() {
    ModelStatisticsRequest mlp = ModelStatisticsRequest.newBuilder().setName("mlp").build();
    ModelStatistics before = blocking.modelStatistics(mlp).getModelStats(0);
    for (int i = 0; i < 3; i++) {
      infer(FrontDoorServerTest.rawRequest(FrontDoorServerTest.randomInput(2, 30 + i), 2));
    }
    refused(FrontDoorServerTest.rawRequest(new float[3], 1)); // a wrong size: a failure
    ModelStatistics after = blocking.modelStatistics(mlp).getModelStats(0);
    assertEquals("mlp", after.getName());
    assertEquals("1", after.getVersion());
    InferStatistics b = before.getInferenceStats();
    InferStatistics a = after.getInferenceStats();
    assertEquals(3, a.getSuccess().getCount() - b.getSuccess().getCount());
    assertTrue(a.getSuccess().getNs() > b.getSuccess().getNs());
    assertEquals(6, after.getInferenceCount() - before.getInferenceCount(), "three requests of two rows");
    assertTrue(after.getExecutionCount() > before.getExecutionCount());
    assertEquals(3, a.getQueue().getCount() - b.getQueue().getCount());
    assertTrue(a.getComputeInfer().getNs() > b.getComputeInfer().getNs());
    // perf_analyzer refuses statistics whose three compute counts differ.
    assertEquals(a.getComputeInfer().getCount(), a.getComputeInput().getCount());
    assertEquals(a.getComputeInfer().getCount(), a.getComputeOutput().getCount());
    assertTrue(after.getLastInference() >= before.getLastInference() && after.getLastInference() > 0);

    assertTrue(blocking.modelStatistics(ModelStatisticsRequest.getDefaultInstance()).getModelStatsList().stream()
        .anyMatch(m -> m.getName().equals("mlp")), "an empty name asks for every model");
    assertEquals(0, blocking.modelStatistics(mlp.toBuilder().setVersion("7").build()).getModelStats(0)
        .getInferenceStats().getSuccess().getCount(), "a version never served counts nothing");
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> blocking.modelStatistics(ModelStatisticsRequest.newBuilder().setName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    StatusRuntimeException badVersion = assertThrows(StatusRuntimeException.class,
        () -> blocking.modelStatistics(mlp.toBuilder().setVersion("latest").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, badVersion.getStatus().getCode());
  }

  @Test
  void aWrongMethodOnTheHealthPortSaysWhichAreAllowed() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + node.httpPort() + "/v2/health/live"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, r.statusCode());
    assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse("(none)"));
  }

  /** Triton's strings for the {@code k} highest of {@code n} values from {@code from}: "%f:index". */
  static List<String> topStrings(float[] v, int from, int n, int k) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      idx.add(i);
    }
    idx.sort((a, b) -> Float.compare(v[from + b], v[from + a]));
    return idx.subList(0, k).stream()
        .map(i -> String.format(Locale.ROOT, "%f", (double) v[from + i]) + ":" + i).toList();
  }

  /** BYTES elements of raw contents: each a 4-byte little-endian length, then its bytes. */
  static List<String> bytesElements(ByteString raw) {
    ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<String> out = new ArrayList<>();
    while (b.hasRemaining()) {
      byte[] s = new byte[b.getInt()];
      b.get(s);
      out.add(new String(s, StandardCharsets.UTF_8));
    }
    return out;
  }
}
