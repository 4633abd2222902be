package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.frontend.limits.InputLimits;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelStreamInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's server bounds as {@link FrontDoorServer} sets them from {@code braid.frontend.limits},
 * seen by a client over a real socket: a gzip bomb refused rather than inflated, an oversized
 * header block refused, calls per connection capped, and ModelStreamInfer reading on demand
 * without losing or mixing answers. Each test ends with the server still answering.
 */
class FrontDoorHardeningTest {
  static final int LIMIT_BYTES = 256 * 1024;
  @TempDir static Path repo;
  static SingleNode node;
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;

  @BeforeAll
  static void start() throws Exception {
    InputLimits defaults = InputLimits.from(ConfigFactory.load());
    InputLimits limits = new InputLimits(defaults.maxTensors(), defaults.maxRank(), defaults.maxDimension(),
        defaults.maxElements(), defaults.maxBytesElement(), defaults.maxParameters(), defaults.maxParameterBytes(),
        defaults.maxModelNameLength(), 2, defaults.permitKeepAliveTime(), defaults.maxConnectionIdle(), 4096, 2);
    FrontendSettings settings = FrontendSettings.load().withPorts(0, 0).withMaxInboundMessageBytes(LIMIT_BYTES)
        .withLimits(limits);
    node = mlpNode(repo, settings);
    channel = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext().build();
    blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    close(channel, node);
  }

  /** A node serving the zoo's mlp, generated into {@code repo}, on the CPU device. */
  static SingleNode mlpNode(Path repo, FrontendSettings settings) throws Exception {
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    return SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(), settings,
        ConfigFactory.load(), "test");
  }

  /** Closes a test class's client channel and node, either of which may never have opened. */
  static void close(ManagedChannel channel, SingleNode node) throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
  }

  /** 64 MiB of zeros for mlp's input: about 64 KiB compressed, far over any limit inflated. */
  static ModelInferRequest bomb() {
    return ModelInferRequest.newBuilder().setModelName("mlp")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
            .addShape(1).addShape(784))
        .addRawInputContents(ByteString.copyFrom(new byte[64 << 20])).build();
  }

  static void stillServes() throws Exception {
    float[] in = FrontDoorServerTest.randomInput(1, 7);
    assertEquals(40, blocking.modelInfer(FrontDoorServerTest.rawRequest(in, 1).build()).getRawOutputContents(0).size());
  }

  @Test
  void aGzipBombIsRefusedNotInflated() throws Exception {
    // 64 MiB of zeros: about 64 KiB compressed, well under the 256 KiB limit on the wire, 256x over it inflated.
    ModelInferRequest bomb = bomb();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> blocking.withCompression("gzip").modelInfer(bomb));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
    // Refused by the count of inflated bytes (the compressed message passed the wire limit).
    assertTrue(String.valueOf(e.getStatus().getDescription()).contains("Decompressed"), e.getStatus().toString());
    assertTrue(String.valueOf(e.getStatus().getDescription()).contains(String.valueOf(LIMIT_BYTES)),
        e.getStatus().toString());
    stillServes();
    // The same bomb within limits would be accepted compressed: small requests still work with gzip.
    float[] in = FrontDoorServerTest.randomInput(1, 8);
    assertEquals(40, blocking.withCompression("gzip").modelInfer(FrontDoorServerTest.rawRequest(in, 1).build())
        .getRawOutputContents(0).size());
  }

  @Test
  void bytesThatDoNotParseAreInvalidArgumentNotUnknown() throws Exception {
    byte[] garbage = {(byte) 0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x0f, 1, 2};
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls
        .blockingUnaryCall(channel, FrontDoorFuzzTest.RAW_INFER,
            io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), garbage));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(String.valueOf(e.getStatus().getDescription()).contains("ModelInferRequest"), e.getStatus().toString());
    stillServes();
  }

  @Test
  void anOversizedHeaderBlockIsRefused() throws Exception {
    Metadata big = new Metadata();
    big.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "p".repeat(8192));
    float[] in = FrontDoorServerTest.randomInput(1, 9);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(big))
        .modelInfer(FrontDoorServerTest.rawRequest(in, 1).build()));
    assertNotEquals(Status.Code.OK, e.getStatus().getCode());
    Metadata small = new Metadata();
    small.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "p".repeat(1024));
    assertEquals(40, blocking.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(small))
        .modelInfer(FrontDoorServerTest.rawRequest(in, 1).build()).getRawOutputContents(0).size());
  }

  @Test
  void callsPerConnectionAreCapped() throws Exception {
    // Two open streams take the connection's two calls: a third call waits (DEADLINE_EXCEEDED),
    // and runs once a stream closes.
    ManagedChannel own = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext().build();
    try {
      GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async = GRPCInferenceServiceGrpc.newStub(own);
      List<StreamObserver<ModelInferRequest>> open = new ArrayList<>();
      List<CompletableFuture<Void>> closed = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        closed.add(done);
        open.add(async.modelStreamInfer(new StreamObserver<>() {
          @Override
          public void onNext(ModelStreamInferResponse value) { }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        }));
      }
      // Both streams are open on the server once each has answered one request.
      GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub ownBlocking = GRPCInferenceServiceGrpc
          .newBlockingStub(own);
      float[] in = FrontDoorServerTest.randomInput(1, 10);
      Thread.sleep(500);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ownBlocking
          .withDeadlineAfter(1, TimeUnit.SECONDS).modelInfer(FrontDoorServerTest.rawRequest(in, 1).build()));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
      open.get(0).onCompleted();
      closed.get(0).get(30, TimeUnit.SECONDS);
      assertEquals(40, ownBlocking.withDeadlineAfter(30, TimeUnit.SECONDS)
          .modelInfer(FrontDoorServerTest.rawRequest(in, 1).build()).getRawOutputContents(0).size());
      open.get(1).onCompleted();
      closed.get(1).get(30, TimeUnit.SECONDS);
    } finally {
      own.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aStreamOfManyRequestsIsReadOnDemandAndAnsweredInFull() throws Exception {
    // max-stream-in-flight is 2 here: 200 requests sent at once are read two at a time, and every
    // one is answered with its own id.
    GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async = GRPCInferenceServiceGrpc.newStub(channel);
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> requests = async.withDeadlineAfter(120, TimeUnit.SECONDS)
        .modelStreamInfer(new StreamObserver<>() {
          @Override
          public void onNext(ModelStreamInferResponse r) {
            if (!r.getErrorMessage().isEmpty()) {
              done.completeExceptionally(new AssertionError(r.getErrorMessage()));
            }
            ids.add(r.getInferResponse().getId());
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
    float[] in = FrontDoorServerTest.randomInput(1, 11);
    for (int i = 0; i < 200; i++) {
      requests.onNext(FrontDoorServerTest.rawRequest(in, 1).setId("r" + i).build());
    }
    requests.onCompleted();
    done.get(120, TimeUnit.SECONDS);
    assertEquals(200, ids.size());
    assertEquals(200, ids.stream().distinct().count());
    stillServes();
  }

  @Test
  void keepaliveAndIdleBoundsComeFromTheConfiguration() {
    InputLimits l = InputLimits.from(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(10), l.permitKeepAliveTime());
    assertEquals(Duration.ofMinutes(10), l.maxConnectionIdle());
  }
}
