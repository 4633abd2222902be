package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.InferTensorContents;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import dev.braid.protocol.grpc.ModelReadyRequest;
import dev.braid.protocol.grpc.ModelStreamInferResponse;
import dev.braid.protocol.grpc.RepositoryIndexRequest;
import dev.braid.protocol.grpc.RepositoryIndexResponse;
import dev.braid.protocol.grpc.RepositoryModelLoadRequest;
import dev.braid.protocol.grpc.RepositoryModelUnloadRequest;
import dev.braid.protocol.grpc.ServerLiveRequest;
import dev.braid.protocol.grpc.ServerMetadataRequest;
import dev.braid.protocol.grpc.ServerMetadataResponse;
import dev.braid.protocol.grpc.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door as a Triton or KServe client meets it: the server runs in-process on ephemeral
 * ports over the CPU device with the zoo's mlp (784 -> 10, max_batch_size 8), and a plain
 * grpc-java client (generated stubs only; Braid classes appear only on the server side and in the
 * oracle) drives every RPC, good and bad. Outputs are checked against the model run directly on a
 * {@link CompiledModel}.
 */
class FrontDoorServerTest {
  static final int LIMIT_BYTES = 256 * 1024;
  @TempDir static Path repo;
  static SingleNode node;
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async;

  @BeforeAll
  static void start() throws Exception {
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    Files.createDirectories(repo.resolve("broken/1"));
    Files.write(repo.resolve("broken/1/model.onnx"), new byte[] {1, 2, 3});
    FrontendSettings settings = FrontendSettings.load().withPorts(0, 0).withMaxInboundMessageBytes(LIMIT_BYTES);
    node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(), settings,
        ConfigFactory.parseString("braid.frontend.admission.tenants.stingy { requests-per-second = 0.01, burst = 1 }")
            .withFallback(ConfigFactory.load()), "test");
    channel = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext().build();
    blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    async = GRPCInferenceServiceGrpc.newStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
  }

  // ---- client-side helpers: protocol messages only ----

  static float[] randomInput(int batch, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] v = new float[batch * 784];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return v;
  }

  static ModelInferRequest.Builder typedRequest(float[] values, int batch) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (float f : values) {
      c.addFp32Contents(f);
    }
    return ModelInferRequest.newBuilder().setModelName("mlp").addInputs(ModelInferRequest.InferInputTensor
        .newBuilder().setName("input").setDatatype("FP32").addShape(batch).addShape(784).setContents(c));
  }

  static ModelInferRequest.Builder rawRequest(float[] values, int batch) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return ModelInferRequest.newBuilder().setModelName("mlp").addInputs(ModelInferRequest.InferInputTensor
        .newBuilder().setName("input").setDatatype("FP32").addShape(batch).addShape(784))
        .addRawInputContents(ByteString.copyFrom(b.array()));
  }

  static float[] rawFloats(ByteString raw) {
    float[] v = new float[raw.size() / 4];
    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }

  static InferParameter intParam(long v) {
    return InferParameter.newBuilder().setInt64Param(v).build();
  }

  /** The oracle: the mlp compiled at this batch size and run directly on a CPU device. */
  static float[] expected(float[] input, int batch) throws Exception {
    try (CpuDevice dev = new CpuDevice(1);
        CompiledModel m = ModelExecutor.compile(ModelRepository.open(repo).load("mlp").latest().bind(batch), dev)) {
      return m.run(Map.of("input", Tensor.ofFloats(Shape.of(batch, 784), input))).toCompletableFuture().get()
          .get("logits").floats();
    }
  }

  static StatusRuntimeException fails(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    return e;
  }

  static void stillServes() throws Exception {
    float[] in = randomInput(1, 99);
    ModelInferResponse r = blocking.modelInfer(rawRequest(in, 1).build());
    assertArrayEquals(expected(in, 1), rawFloats(r.getRawOutputContents(0)), 1e-4f);
  }

  // ---- health and metadata ----

  @Test
  void serverIsLiveReadyAndDescribesItself() throws Exception {
    assertTrue(blocking.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    assertTrue(blocking.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
    ServerMetadataResponse meta = blocking.serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertEquals("braid", meta.getName());
    assertEquals("test", meta.getVersion());
    assertTrue(meta.getExtensionsList().contains("model_repository"), meta.toString());

    HttpClient http = HttpClient.newHttpClient();
    for (String path : List.of("/v2/health/live", "/v2/health/ready")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + node.httpPort() + path))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), path + ": " + r.body());
      assertTrue(r.body().contains("true"), r.body());
    }
    HttpResponse<String> missing = http.send(HttpRequest.newBuilder(
        URI.create("http://localhost:" + node.httpPort() + "/v2/nothing")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, missing.statusCode());
  }

  @Test
  void modelReadyForLoadedModelAndVersionOnly() {
    assertTrue(blocking.modelReady(ModelReadyRequest.newBuilder().setName("mlp").build()).getReady());
    assertTrue(blocking.modelReady(ModelReadyRequest.newBuilder().setName("mlp").setVersion("1").build()).getReady());
    assertFalse(blocking.modelReady(ModelReadyRequest.newBuilder().setName("mlp").setVersion("7").build()).getReady());
    assertFalse(blocking.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()).getReady());
    assertFalse(blocking.modelReady(ModelReadyRequest.newBuilder().setName("broken").build()).getReady());
  }

  @Test
  void modelMetadataGivesProtocolDatatypesAndMinusOneForTheBatch() {
    ModelMetadataResponse m = blocking.modelMetadata(ModelMetadataRequest.newBuilder().setName("mlp").build());
    assertEquals("mlp", m.getName());
    assertEquals(List.of("1"), m.getVersionsList());
    assertEquals(1, m.getInputsCount());
    assertEquals("input", m.getInputs(0).getName());
    assertEquals("FP32", m.getInputs(0).getDatatype());
    assertEquals(List.of(-1L, 784L), m.getInputs(0).getShapeList());
    assertEquals("logits", m.getOutputs(0).getName());
    assertEquals("FP32", m.getOutputs(0).getDatatype());
    assertEquals(List.of(-1L, 10L), m.getOutputs(0).getShapeList());
  }

  @Test
  void unknownModelOrVersionIsNotFoundNamingTheLoadedOnes() throws Exception {
    StatusRuntimeException e = fails(Status.Code.NOT_FOUND,
        () -> blocking.modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()));
    assertTrue(e.getStatus().getDescription().contains("'nope'"), e.getMessage());
    assertTrue(e.getStatus().getDescription().contains("mlp (version 1)"), e.getMessage());
    e = fails(Status.Code.NOT_FOUND, () -> blocking.modelInfer(rawRequest(randomInput(1, 1), 1).setModelName("nope")
        .build()));
    assertTrue(e.getStatus().getDescription().contains("mlp (version 1)"), e.getMessage());
    e = fails(Status.Code.NOT_FOUND, () -> blocking.modelInfer(rawRequest(randomInput(1, 1), 1).setModelVersion("3")
        .build()));
    assertTrue(e.getStatus().getDescription().contains("version '3'"), e.getMessage());
    stillServes();
  }

  // ---- inference ----

  @Test
  void typedContentsInTypedContentsOutWhenAsked() throws Exception {
    float[] in = randomInput(2, 5);
    ModelInferResponse r = blocking.modelInfer(typedRequest(in, 2).setId("req-7")
        .putParameters(RequestParameters.TYPED_OUTPUTS, InferParameter.newBuilder().setBoolParam(true).build())
        .build());
    assertEquals("req-7", r.getId());
    assertEquals("mlp", r.getModelName());
    assertEquals("1", r.getModelVersion());
    assertEquals(0, r.getRawOutputContentsCount());
    assertEquals("logits", r.getOutputs(0).getName());
    assertEquals("FP32", r.getOutputs(0).getDatatype());
    assertEquals(List.of(2L, 10L), r.getOutputs(0).getShapeList());
    List<Float> got = r.getOutputs(0).getContents().getFp32ContentsList();
    float[] actual = new float[got.size()];
    for (int i = 0; i < actual.length; i++) {
      actual[i] = got.get(i);
    }
    assertArrayEquals(expected(in, 2), actual, 1e-4f);
  }

  @Test
  void rawInputContentsInRawOutputContentsOutByDefault() throws Exception {
    float[] in = randomInput(3, 6);
    ModelInferResponse r = blocking.modelInfer(rawRequest(in, 3)
        .putParameters(RequestParameters.DEADLINE_MS, intParam(30_000))
        .putParameters(RequestParameters.PRIORITY, intParam(1))
        .putParameters(RequestParameters.TENANT, InferParameter.newBuilder().setStringParam("team-a").build())
        .build());
    assertEquals(1, r.getRawOutputContentsCount());
    assertFalse(r.getOutputs(0).hasContents());
    assertEquals(List.of(3L, 10L), r.getOutputs(0).getShapeList());
    assertArrayEquals(expected(in, 3), rawFloats(r.getRawOutputContents(0)), 1e-4f);
  }

  @Test
  void requestedOutputsFilterAndUnknownOutputIsInvalid() throws Exception {
    ModelInferResponse r = blocking.modelInfer(rawRequest(randomInput(1, 8), 1)
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")).build());
    assertEquals(1, r.getOutputsCount());
    StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> blocking.modelInfer(rawRequest(
        randomInput(1, 8), 1).addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probs"))
        .build()));
    assertTrue(e.getStatus().getDescription().contains("'probs'"), e.getMessage());
    assertTrue(e.getStatus().getDescription().contains("[logits]"), e.getMessage());
  }

  @Test
  void wrongDatatypeNamesInputExpectedAndReceived() throws Exception {
    ModelInferRequest bad = ModelInferRequest.newBuilder().setModelName("mlp").addInputs(
        ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("INT64").addShape(1).addShape(784)
            .setContents(InferTensorContents.newBuilder().addAllInt64Contents(java.util.Collections.nCopies(784, 1L))))
        .build();
    String m = fails(Status.Code.INVALID_ARGUMENT, () -> blocking.modelInfer(bad)).getStatus().getDescription();
    assertTrue(m.contains("'input'") && m.contains("FP32") && m.contains("INT64"), m);
    stillServes();
  }

  @Test
  void wrongShapeNamesInputExpectedAndReceived() throws Exception {
    String m = fails(Status.Code.INVALID_ARGUMENT, () -> blocking.modelInfer(ModelInferRequest.newBuilder()
        .setModelName("mlp").addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input")
            .setDatatype("FP32").addShape(1).addShape(783)).addRawInputContents(ByteString.copyFrom(new byte[783 * 4]))
        .build())).getStatus().getDescription();
    assertTrue(m.contains("'input'") && m.contains("[-1, 784]") && m.contains("[1, 783]"), m);
    // A batch over max_batch_size (8) is a shape error too.
    m = fails(Status.Code.INVALID_ARGUMENT, () -> blocking.modelInfer(rawRequest(randomInput(9, 1), 9).build()))
        .getStatus().getDescription();
    assertTrue(m.contains("batch 1..8") && m.contains("[9, 784]"), m);
    stillServes();
  }

  @Test
  void wrongByteOrElementCountNamesInputExpectedAndReceived() throws Exception {
    ModelInferRequest.Builder raw = rawRequest(randomInput(1, 2), 1);
    raw.setRawInputContents(0, raw.getRawInputContents(0).substring(4));
    String m = fails(Status.Code.INVALID_ARGUMENT, () -> blocking.modelInfer(raw.build())).getStatus().getDescription();
    assertTrue(m.contains("'input'") && m.contains("expected 3136 bytes") && m.contains("received 3132"), m);

    float[] short1 = new float[780];
    m = fails(Status.Code.INVALID_ARGUMENT, () -> blocking.modelInfer(typedRequest(short1, 1).build()))
        .getStatus().getDescription();
    assertTrue(m.contains("'input'") && m.contains("expected 784") && m.contains("received 780"), m);
    stillServes();
  }

  @Test
  void messageOverTheLimitIsResourceExhausted() throws Exception {
    int floats = LIMIT_BYTES / 4 + 1024;
    ModelInferRequest big = ModelInferRequest.newBuilder().setModelName("mlp").addInputs(
        ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32").addShape(1).addShape(784))
        .addRawInputContents(ByteString.copyFrom(new byte[floats * 4])).build();
    fails(Status.Code.RESOURCE_EXHAUSTED, () -> blocking.modelInfer(big));
    stillServes();
  }

  @Test
  void aTenantOverItsQuotaIsRefusedAndOthersAreServed() throws Exception {
    InferParameter stingy = InferParameter.newBuilder().setStringParam("stingy").build();
    blocking.modelInfer(rawRequest(randomInput(1, 5), 1).putParameters(RequestParameters.TENANT, stingy).build());
    StatusRuntimeException e = fails(Status.Code.RESOURCE_EXHAUSTED, () -> blocking.modelInfer(
        rawRequest(randomInput(1, 6), 1).putParameters(RequestParameters.TENANT, stingy).build()));
    assertTrue(e.getStatus().getDescription().contains("tenant 'stingy' is over its quota for model 'mlp'"),
        e.getMessage());
    stillServes();
  }

  @Test
  void budgetTooShortIsDeadlineExceeded() throws Exception {
    // Triton's timeout parameter: 1 microsecond cannot hold the model's predicted run, so admission
    // refuses it at once, naming the predicted finish and the deadline.
    StatusRuntimeException e = fails(Status.Code.DEADLINE_EXCEEDED, () -> blocking.modelInfer(
        rawRequest(randomInput(1, 3), 1).putParameters(RequestParameters.TIMEOUT_US, intParam(1)).build()));
    assertTrue(e.getStatus().getDescription().contains("cannot meet the deadline: best predicted finish"),
        e.getMessage());
    // The call's own gRPC deadline.
    fails(Status.Code.DEADLINE_EXCEEDED, () -> GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(1, TimeUnit.MILLISECONDS).modelInfer(rawRequest(randomInput(8, 3), 8).build()));
    stillServes();
  }

  @Test
  void badParameterIsInvalidArgumentNamingIt() throws Exception {
    String m = fails(Status.Code.INVALID_ARGUMENT, () -> blocking.modelInfer(rawRequest(randomInput(1, 3), 1)
        .putParameters(RequestParameters.PRIORITY, InferParameter.newBuilder().setStringParam("high").build())
        .build())).getStatus().getDescription();
    assertTrue(m.contains("'priority'") && m.contains("'high'"), m);
  }

  @Test
  void streamAnswersEveryRequestAndKeepsGoingAfterAnError() throws Exception {
    Map<String, float[]> sent = new HashMap<>();
    List<ModelStreamInferResponse> answers = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> requests = async.withDeadlineAfter(60, TimeUnit.SECONDS)
        .modelStreamInfer(new StreamObserver<>() {
          @Override
          public void onNext(ModelStreamInferResponse r) {
            synchronized (answers) {
              answers.add(r);
            }
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    for (int i = 0; i < 4; i++) {
      float[] in = randomInput(1, 100 + i);
      sent.put("s" + i, in);
      requests.onNext(rawRequest(in, 1).setId("s" + i).build());
      if (i == 1) {
        requests.onNext(rawRequest(in, 1).setId("bad").setModelName("nope").build());
      }
    }
    requests.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    assertEquals(5, answers.size());
    for (ModelStreamInferResponse a : answers) {
      String id = a.getInferResponse().getId();
      if (id.equals("bad")) {
        assertTrue(a.getErrorMessage().startsWith("NOT_FOUND: "), a.getErrorMessage());
        assertTrue(a.getErrorMessage().contains("'nope'"), a.getErrorMessage());
      } else {
        assertEquals("", a.getErrorMessage(), id);
        assertArrayEquals(expected(sent.get(id), 1), rawFloats(a.getInferResponse().getRawOutputContents(0)), 1e-4f);
      }
    }
  }

  // ---- the repository ----

  @Test
  void repositoryIndexUnloadAndLoad() throws Exception {
    RepositoryIndexResponse index = blocking.repositoryIndex(RepositoryIndexRequest.getDefaultInstance());
    assertEquals(2, index.getModelsCount(), index.toString());
    RepositoryIndexResponse.ModelIndex broken = index.getModels(0);
    assertEquals("broken", broken.getName());
    assertEquals("UNAVAILABLE", broken.getState());
    assertFalse(broken.getReason().isEmpty());
    assertEquals("mlp", index.getModels(1).getName());
    assertEquals("READY", index.getModels(1).getState());
    assertEquals("1", index.getModels(1).getVersion());
    assertEquals(1, blocking.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build())
        .getModelsCount());

    fails(Status.Code.NOT_FOUND, () -> blocking.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder()
        .setModelName("nope").build()));
    fails(Status.Code.NOT_FOUND, () -> blocking.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
        .setModelName("nope").build()));
    String m = fails(Status.Code.FAILED_PRECONDITION, () -> blocking.repositoryModelLoad(RepositoryModelLoadRequest
        .newBuilder().setModelName("broken").build())).getStatus().getDescription();
    assertTrue(m.contains("'broken'"), m);

    try {
      blocking.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("mlp").build());
      assertFalse(blocking.modelReady(ModelReadyRequest.newBuilder().setName("mlp").build()).getReady());
      assertEquals("UNAVAILABLE", blocking.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModels(1)
          .getState());
      m = fails(Status.Code.NOT_FOUND, () -> blocking.modelInfer(rawRequest(randomInput(1, 1), 1).build()))
          .getStatus().getDescription();
      assertTrue(m.contains("loaded models: none"), m);
    } finally {
      blocking.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("mlp").build());
    }
    assertTrue(blocking.modelReady(ModelReadyRequest.newBuilder().setName("mlp").build()).getReady());
    stillServes();
  }
}
