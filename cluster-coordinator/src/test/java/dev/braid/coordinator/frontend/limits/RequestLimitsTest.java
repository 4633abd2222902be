package dev.braid.coordinator.frontend.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.SettingsException;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.InferTensorContents;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferRequest.InferInputTensor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Each bound of {@link RequestLimits}: its status, and a message naming the input, limit and value. */
class RequestLimitsTest {
  static final InputLimits DEFAULTS = InputLimits.from(ConfigFactory.load());
  static final InputLimits SMALL = DEFAULTS.withTensorBounds(2, 3, 1000, 5000);

  static InferInputTensor.Builder input(String name, String dtype, long... shape) {
    InferInputTensor.Builder b = InferInputTensor.newBuilder().setName(name).setDatatype(dtype);
    for (long d : shape) {
      b.addShape(d);
    }
    return b;
  }

  static ModelInferRequest.Builder request(InferInputTensor.Builder... inputs) {
    ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName("mlp");
    for (InferInputTensor.Builder in : inputs) {
      r.addInputs(in);
    }
    return r;
  }

  static StatusRuntimeException refused(ModelInferRequest.Builder r, InputLimits limits, Status.Code code,
      String... fragments) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> RequestLimits.check(r.build(), limits));
    assertEquals(code, e.getStatus().getCode(), e.getStatus().getDescription());
    for (String f : fragments) {
      assertTrue(e.getStatus().getDescription().contains(f), "'" + f + "' in: " + e.getStatus().getDescription());
    }
    return e;
  }

  static InferTensorContents floats(int n) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (int i = 0; i < n; i++) {
      c.addFp32Contents(i);
    }
    return c.build();
  }

  @Test
  void defaultsAreReadFromReferenceConf() {
    assertEquals(64, DEFAULTS.maxTensors());
    assertEquals(8, DEFAULTS.maxRank());
    assertEquals(1 << 24, DEFAULTS.maxElements());
    assertEquals(1 << 20, DEFAULTS.maxBytesElement());
    assertEquals(16 * 1024, DEFAULTS.maxHeaderBytes());
    assertEquals(64, DEFAULTS.maxStreamInFlight());
  }

  @Test
  void aBadSettingNamesItsKey() {
    SettingsException e = assertThrows(SettingsException.class, () -> InputLimits.from(
        ConfigFactory.parseString("braid.frontend.limits.max-rank = 0").withFallback(ConfigFactory.load())));
    assertTrue(e.getMessage().contains("braid.frontend.limits.max-rank"), e.getMessage());
  }

  @Test
  void aValidRequestPasses() {
    RequestLimits.check(request(input("x", "FP32", 2, 3).setContents(floats(6))).build(), SMALL);
    RequestLimits.check(request(input("x", "FP32", 2, 3)).addRawInputContents(ByteString.copyFrom(new byte[24]))
        .build(), SMALL);
    RequestLimits.check(request(input("x", "FP32", 0, 3)).build(), SMALL); // an empty tensor
  }

  @Test
  void tensorCount() {
    refused(request(input("a", "FP32", 1), input("b", "FP32", 1), input("c", "FP32", 1)), SMALL,
        Status.Code.RESOURCE_EXHAUSTED, "3 inputs", "limit of 2", "max-tensors");
    ModelInferRequest.Builder r = request(input("a", "FP32", 1).setContents(floats(1)));
    for (int i = 0; i < 3; i++) {
      r.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("o" + i));
    }
    refused(r, SMALL, Status.Code.RESOURCE_EXHAUSTED, "requested outputs", "3 outputs", "max-tensors");
  }

  @Test
  void rank() {
    refused(request(input("x", "FP32", 1, 1, 1, 1)), SMALL, Status.Code.INVALID_ARGUMENT, "input 'x'", "rank 4",
        "limit of 3", "max-rank");
  }

  @Test
  void dimension() {
    refused(request(input("x", "FP32", 1, 1001)), SMALL, Status.Code.RESOURCE_EXHAUSTED, "input 'x'",
        "dimension 1 is 1001", "limit of 1000", "max-dimension");
    refused(request(input("x", "FP32", 2, -1)), SMALL, Status.Code.INVALID_ARGUMENT, "dimension 1 is -1");
  }

  @Test
  void productOfDimensionsInExactArithmetic() {
    refused(request(input("x", "FP32", 100, 100)), SMALL, Status.Code.RESOURCE_EXHAUSTED, "input 'x'",
        "10000 elements", "limit of 5000", "max-elements");
    // Four dims of 2^62 wrap a long to 0 in plain arithmetic; exact arithmetic refuses it.
    InputLimits huge = DEFAULTS.withTensorBounds(4, 8, Long.MAX_VALUE, Long.MAX_VALUE - 1);
    long big = 1L << 62;
    refused(request(input("x", "FP32", big, big, big, big)), huge, Status.Code.RESOURCE_EXHAUSTED,
        "more than " + Long.MAX_VALUE, "max-elements");
  }

  @Test
  void rawSizeAgainstShapeTimesDatatypeSize() {
    refused(request(input("x", "FP32", 2, 3)).addRawInputContents(ByteString.copyFrom(new byte[23])), SMALL,
        Status.Code.INVALID_ARGUMENT, "input 'x'", "expected 24 bytes", "received 23");
    refused(request(input("x", "INT64", 2)).addRawInputContents(ByteString.copyFrom(new byte[8])), SMALL,
        Status.Code.INVALID_ARGUMENT, "expected 16 bytes", "received 8");
  }

  @Test
  void typedContentsCountAgainstShape() {
    refused(request(input("x", "FP32", 2, 3).setContents(floats(5))), SMALL, Status.Code.INVALID_ARGUMENT,
        "input 'x'", "expected 6 FP32 values", "received 5");
    refused(request(input("x", "FP32", 2, 3).setContents(floats(6).toBuilder().addIntContents(1))), SMALL,
        Status.Code.INVALID_ARGUMENT, "expected 6", "received 7");
  }

  @Test
  void bytesElementLengths() {
    InputLimits limits = new InputLimits(2, 3, 100, 100, 10, 4, 64, 255, 8, java.time.Duration.ZERO,
        java.time.Duration.ofMinutes(1), 1024, 4);
    refused(request(input("s", "BYTES", 1).setContents(InferTensorContents.newBuilder()
        .addBytesContents(ByteString.copyFrom(new byte[11])))), limits, Status.Code.RESOURCE_EXHAUSTED,
        "input 's'", "bytes_contents[0] is 11 bytes", "limit of 10", "max-bytes-element");
    ByteBuffer raw = ByteBuffer.allocate(4 + 11).order(ByteOrder.LITTLE_ENDIAN).putInt(11);
    refused(request(input("s", "BYTES", 1)).addRawInputContents(ByteString.copyFrom(raw.array())), limits,
        Status.Code.RESOURCE_EXHAUSTED, "BYTES element 0 is 11 bytes", "limit of 10");
    ByteBuffer lying = ByteBuffer.allocate(4 + 2).order(ByteOrder.LITTLE_ENDIAN).putInt(9);
    refused(request(input("s", "BYTES", 1)).addRawInputContents(ByteString.copyFrom(lying.array())), limits,
        Status.Code.INVALID_ARGUMENT, "declares 9 bytes", "2 remain");
    ByteBuffer two = ByteBuffer.allocate(2 * 5).order(ByteOrder.LITTLE_ENDIAN).putInt(1).put((byte) 1).putInt(1)
        .put((byte) 2);
    refused(request(input("s", "BYTES", 3)).addRawInputContents(ByteString.copyFrom(two.array())), limits,
        Status.Code.INVALID_ARGUMENT, "expected 3 BYTES elements", "received 2");
  }

  @Test
  void parameterCountAndSize() {
    InputLimits limits = new InputLimits(2, 3, 100, 100, 10, 2, 16, 255, 8, java.time.Duration.ZERO,
        java.time.Duration.ofMinutes(1), 1024, 4);
    ModelInferRequest.Builder many = request(input("x", "FP32", 1).setContents(floats(1)));
    for (int i = 0; i < 3; i++) {
      many.putParameters("p" + i, InferParameter.newBuilder().setInt64Param(i).build());
    }
    refused(many, limits, Status.Code.RESOURCE_EXHAUSTED, "request parameters", "3 parameters", "limit of 2",
        "max-parameters");
    ModelInferRequest.Builder large = request(input("x", "FP32", 1).setContents(floats(1))
        .putParameters("k", InferParameter.newBuilder().setStringParam("0123456789abcdef").build()));
    refused(large, limits, Status.Code.RESOURCE_EXHAUSTED, "input 'x'", "parameter 'k' is 17 bytes",
        "limit of 16", "max-parameter-bytes");
  }

  @Test
  void modelNameLengthAndCharacters() {
    refused(request().setModelName("m".repeat(256)), DEFAULTS, Status.Code.INVALID_ARGUMENT, "model_name",
        "at most 255", "received 256", "max-model-name-length");
    refused(request().setModelName("../etc"), DEFAULTS, Status.Code.INVALID_ARGUMENT, "model_name", "'../etc'");
    refused(request().setModelName("a\u0000b"), DEFAULTS, Status.Code.INVALID_ARGUMENT, "\\u0000");
  }
}
