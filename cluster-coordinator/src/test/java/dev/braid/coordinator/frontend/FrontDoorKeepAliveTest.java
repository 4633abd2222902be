package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC server's keepalive and idle limits ({@code braid.frontend.limits.permit-keepalive-time}
 * and {@code max-connection-idle}) over a real socket, with both shortened so the test is quick:
 * a client that pings more often than permitted loses its connection to a GOAWAY
 * ENHANCE_YOUR_CALM "too_many_pings" even with a call open; a client that pings at the permitted
 * rate keeps a long ModelStreamInfer call open past the idle limit and is answered on it; and a
 * connection without calls is closed once it has been idle for the limit. The clients are
 * {@link RawHttp2Client}: grpc-java's own will not ping more than every 10 s.
 */
class FrontDoorKeepAliveTest {
  static final Duration PERMIT = Duration.ofMillis(200);
  /** grpc-java's shortest max-connection-idle. */
  static final Duration IDLE = Duration.ofSeconds(1);
  static final String STREAM_INFER = GRPCInferenceServiceGrpc.getModelStreamInferMethod().getFullMethodName();

  @TempDir static Path repo;
  static SingleNode node;

  @BeforeAll
  static void start() throws Exception {
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    InputLimits d = InputLimits.from(ConfigFactory.load());
    InputLimits limits = new InputLimits(d.maxTensors(), d.maxRank(), d.maxDimension(), d.maxElements(),
        d.maxBytesElement(), d.maxParameters(), d.maxParameterBytes(), d.maxModelNameLength(),
        d.maxConcurrentCallsPerConnection(), PERMIT, IDLE, d.maxHeaderBytes(), d.maxStreamInFlight());
    node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0).withLimits(limits), ConfigFactory.load(), "test");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aClientPingingTooOftenGetsGoAwayEnhanceYourCalmEvenWithACallOpen() throws Exception {
    try (RawHttp2Client c = RawHttp2Client.connect("127.0.0.1", node.grpcPort())) {
      c.grpcHeaders(1, STREAM_INFER);
      for (int i = 0; i < 4; i++) { // three pings inside the permitted interval exceed grpc-java's two strikes
        c.ping(i);
      }
      RawHttp2Client.Frame goAway = c.readUntil(f -> f.type() == RawHttp2Client.GOAWAY, 5_000)
          .orElseThrow(() -> new AssertionError("the connection ended without a GOAWAY"));
      assertEquals(RawHttp2Client.ENHANCE_YOUR_CALM, goAway.goAwayError(), "GOAWAY error code");
      assertEquals("too_many_pings", goAway.goAwayDebug());
      assertEquals(Optional.empty(), c.readUntil(f -> false, 5_000), "then the server closes the connection");
    }
  }

  @Test
  void aClientPingingAtThePermittedRateKeepsALongCallOpenAndIsAnswered() throws Exception {
    int pings = 8;
    long intervalMillis = PERMIT.toMillis() + 150;
    try (RawHttp2Client c = RawHttp2Client.connect("127.0.0.1", node.grpcPort())) {
      c.grpcHeaders(1, STREAM_INFER);
      for (int i = 0; i < pings; i++) {
        Optional<RawHttp2Client.Frame> goAway = c.readFor(intervalMillis);
        assertEquals(Optional.empty(), goAway.map(f -> f.goAwayError() + " " + f.goAwayDebug()),
            "no GOAWAY for a client within the limits (after " + i + " pings)");
        c.ping(i);
      }
      assertTrue(pings * intervalMillis > IDLE.toMillis() * 2, "the call outlives the idle limit twice over");
      c.grpcMessage(1, request().toByteArray());
      RawHttp2Client.Frame data = c.readUntil(f -> f.type() == RawHttp2Client.DATA && f.streamId() == 1, 60_000)
          .orElseThrow(() -> new AssertionError("the connection ended before the answer"));
      int length = ByteBuffer.wrap(data.payload(), 1, 4).getInt();
      ModelStreamInferResponse answer = ModelStreamInferResponse.parseFrom(
          Arrays.copyOfRange(data.payload(), 5, 5 + length));
      assertEquals("", answer.getErrorMessage(), "answered without an error");
      assertEquals("mlp", answer.getInferResponse().getModelName());
      assertEquals("well-behaved", answer.getInferResponse().getId());
      assertEquals(pings, c.pingAcks, "every ping acknowledged");
    }
  }

  @Test
  void aConnectionWithoutCallsIsClosedAfterTheIdleLimit() throws Exception {
    long t0 = System.nanoTime(); // before the connection exists, so never after the server's idle timer starts
    try (RawHttp2Client c = RawHttp2Client.connect("127.0.0.1", node.grpcPort())) {
      RawHttp2Client.Frame goAway = c.readUntil(f -> f.type() == RawHttp2Client.GOAWAY, 10_000)
          .orElseThrow(() -> new AssertionError("the connection ended without a GOAWAY"));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(RawHttp2Client.NO_ERROR, goAway.goAwayError(), "a graceful GOAWAY: " + goAway.goAwayDebug());
      assertEquals("max_idle", goAway.goAwayDebug());
      assertTrue(millis >= IDLE.toMillis() * 95 / 100 && millis < IDLE.toMillis() * 5,
          "GOAWAY after " + millis + " ms idle, limit " + IDLE.toMillis() + " ms");
      assertEquals(Optional.empty(), c.readUntil(f -> false, 10_000), "then the server closes the connection");
    }
  }

  private static ModelInferRequest request() {
    ByteBuffer b = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 784; i++) {
      b.putFloat((i % 5) / 5f);
    }
    return ModelInferRequest.newBuilder().setModelName("mlp").setId("well-behaved")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
            .addShape(1).addShape(784))
        .addRawInputContents(ByteString.copyFrom(b.array())).build();
  }
}
