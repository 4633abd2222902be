package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.cluster.BraidNode;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX's backend test cases through the front door, values compared: a fixed sample of the cases
 * that native's {@code OnnxBackendConformanceTest} passes on {@code CpuDevice} (every
 * {@value #EVERY}th line of its committed passing list) is served from a repository without any
 * {@code config.pbtxt}, as {@code ./braid serve} would serve it, and each case's inputs are sent
 * over real gRPC in their own datatypes. Every answer must equal the case's expected outputs under
 * the conformance rule ({@code |got - expected| <= 1e-4 + 1e-3 |expected|} for floats, exact
 * otherwise), with the expected names, datatypes and shapes. This catches what the CPU-side test
 * cannot: the derived configuration, the front door's datatype and shape handling, batching of
 * models with a dynamic first dimension, and the path through the GPU actor. Cases whose tensors
 * use a datatype the front door does not carry (16-bit floats, see {@code OipDatatypes.carried})
 * are left out of the sample, and the test says how many.
 */
class ConformanceFrontDoorTest {
  static final Path DATA = Path.of("/usr/share/libonnx-testdata/data");
  static final Path PASSING = Path.of("../native/src/test/resources/conformance/passing.txt");
  static final int EVERY = 8;

  @Test
  void aSampleOfThePassingCasesAnswersTheExpectedValuesOverGrpc(@TempDir Path repo) throws Exception {
    assumeTrue(Files.isDirectory(DATA.resolve("node")), "libonnx-testdata is not installed");
    List<String> passing = Files.readAllLines(PASSING).stream()
        .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    Map<String, Path> sample = new LinkedHashMap<>();
    int halfFloat = 0;
    for (int i = 0; i < passing.size(); i += EVERY) {
      Path dir = DATA.resolve(passing.get(i));
      if (usesHalfFloats(dir)) {
        halfFloat++;
        continue;
      }
      String name = passing.get(i).replace('/', '_');
      Files.copy(dir.resolve("model.onnx"), Files.createDirectories(repo.resolve(name).resolve("1")).resolve("model.onnx"));
      sample.put(name, dir);
    }
    System.out.printf("conformance through the front door: %d cases sampled (every %dth passing case; %d with 16-bit"
        + " floats left out)%n", sample.size(), EVERY, halfFloat);
    assertTrue(sample.size() >= 50, "the sample covers the list: " + sample.size());

    try (SingleNode node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.load(), "test")) {
      List<String> refused = node.outcomes().stream().filter(o -> !o.loaded())
          .map(o -> o.name() + ": " + o.error()).toList();
      assertEquals(List.of(), refused, "every case the CPU test passes loads through serve");
      assertEquals(sample.size(), node.outcomes().stream().filter(BraidNode.ModelOutcome::loaded).count());
      ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext()
          .maxInboundMessageSize(64 << 20).build();
      List<String> failures = new ArrayList<>();
      try {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
        for (Map.Entry<String, Path> c : sample.entrySet()) {
          String failure = check(stub.withDeadlineAfter(60, TimeUnit.SECONDS), c.getKey(), c.getValue());
          if (failure != null) {
            failures.add(failure);
          }
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertEquals(List.of(), failures, "cases answered differently through the front door");
    }
  }

  /**
   * A model specialized per request (Reshape's target shape is a graph input): its metadata lists
   * the shape input as an ordinary INT64 [2] input, a value the model cannot take is answered
   * INVALID_ARGUMENT naming the input and the value, and the model keeps serving the case's own
   * values and another spelling of the same shape.
   */
  @Test
  void aSpecializedModelRefusesABadShapeValueOnlyForThatRequest(@TempDir Path repo) throws Exception {
    Path dir = DATA.resolve("node/test_reshape_reduced_dims");
    assumeTrue(Files.isDirectory(dir), "libonnx-testdata is not installed");
    Files.copy(dir.resolve("model.onnx"), Files.createDirectories(repo.resolve("reshape/1")).resolve("model.onnx"));
    try (SingleNode node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.load(), "test")) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext().build();
      try {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        ModelMetadataResponse meta = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("reshape").build());
        assertEquals("shape", meta.getInputs(1).getName());
        assertEquals("INT64", meta.getInputs(1).getDatatype());
        assertEquals(List.of(2L), meta.getInputs(1).getShapeList());

        StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> stub.modelInfer(reshapeRequest(5, 5)));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        String why = refused.getStatus().getDescription();
        assertTrue(why.contains("cannot run at shape=[5, 5]") && why.contains("(25 elements)"), why);

        assertEquals(null, check(stub, "reshape", dir));
        ModelInferResponse same = stub.modelInfer(reshapeRequest(2, -1));
        assertEquals(List.of(2L, 12L), same.getOutputs(0).getShapeList());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static ModelInferRequest reshapeRequest(long rows, long cols) {
    ByteBuffer data = ByteBuffer.allocate(24 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 24; i++) {
      data.putFloat(i);
    }
    ByteBuffer shape = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(rows).putLong(cols);
    return ModelInferRequest.newBuilder().setModelName("reshape")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("data").setDatatype("FP32")
            .addAllShape(List.of(2L, 3L, 4L)))
        .addRawInputContents(ByteString.copyFrom(data.array()))
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("shape").setDatatype("INT64")
            .addShape(2))
        .addRawInputContents(ByteString.copyFrom(shape.array()))
        .build();
  }

  /** Null when the model answered the case's expected outputs, else what differed. */
  static String check(GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub, String model, Path dir)
      throws Exception {
    // Some suites' data (pytorch-*) leave tensor names empty: a client names them from the metadata,
    // in the model's order, as the CPU test binds them by position.
    ModelMetadataResponse meta = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build());
    ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(model);
    List<TensorProto> inputs = tensors(dir, "input");
    for (int i = 0; i < inputs.size(); i++) {
      TensorProto t = inputs.get(i);
      String name = t.getName().isEmpty() ? meta.getInputs(i).getName() : t.getName();
      r.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(name)
          .setDatatype(oipDatatype(t.getDataType())).addAllShape(t.getDimsList())).addRawInputContents(raw(t));
    }
    ModelInferResponse answer;
    try {
      answer = stub.modelInfer(r.build());
    } catch (StatusRuntimeException e) {
      return model + ": " + e.getStatus();
    }
    List<TensorProto> expected = tensors(dir, "output");
    if (answer.getOutputsCount() != expected.size()) {
      return model + ": " + answer.getOutputsCount() + " outputs, expected " + expected.size();
    }
    for (int i = 0; i < expected.size(); i++) {
      TensorProto e = expected.get(i);
      var got = answer.getOutputs(i);
      String name = e.getName().isEmpty() ? meta.getOutputs(i).getName() : e.getName();
      String where = model + " output '" + name + "'";
      if (!got.getName().equals(name)) {
        return where + ": named '" + got.getName() + "'";
      }
      if (!got.getDatatype().equals(oipDatatype(e.getDataType()))) {
        return where + ": datatype " + got.getDatatype() + ", expected " + oipDatatype(e.getDataType());
      }
      if (!got.getShapeList().equals(e.getDimsList())) {
        return where + ": shape " + got.getShapeList() + ", expected " + e.getDimsList();
      }
      double[] want = values(raw(e), e.getDataType());
      double[] have = values(answer.getRawOutputContents(i), e.getDataType());
      boolean floating = e.getDataType() == TensorProto.DataType.FLOAT_VALUE
          || e.getDataType() == TensorProto.DataType.DOUBLE_VALUE;
      for (int k = 0; k < want.length; k++) {
        if (!close(have[k], want[k], floating)) {
          return where + ": element " + k + " is " + have[k] + ", expected " + want[k];
        }
      }
    }
    return null;
  }

  static boolean close(double got, double want, boolean floating) {
    if (!floating || Double.isInfinite(want)) {
      return got == want;
    }
    if (Double.isNaN(want)) {
      return Double.isNaN(got);
    }
    return Math.abs(got - want) <= 1e-4 + 1e-3 * Math.abs(want);
  }

  static boolean usesHalfFloats(Path dir) throws Exception {
    // The model's declared types: ONNX's data holds a BFLOAT16 input as UINT16 bits.
    GraphProto graph = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.onnx"))).getGraph();
    for (ValueInfoProto v : concat(graph.getInputList(), graph.getOutputList())) {
      int type = v.getType().getTensorType().getElemType();
      if (type == TensorProto.DataType.FLOAT16_VALUE || type == TensorProto.DataType.BFLOAT16_VALUE) {
        return true;
      }
    }
    for (String kind : List.of("input", "output")) {
      for (TensorProto t : tensors(dir, kind)) {
        if (t.getDataType() == TensorProto.DataType.FLOAT16_VALUE
            || t.getDataType() == TensorProto.DataType.BFLOAT16_VALUE) {
          return true;
        }
      }
    }
    return false;
  }

  static List<ValueInfoProto> concat(List<ValueInfoProto> a, List<ValueInfoProto> b) {
    List<ValueInfoProto> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  static List<TensorProto> tensors(Path dir, String kind) throws Exception {
    List<TensorProto> out = new ArrayList<>();
    Path set = dir.resolve("test_data_set_0");
    for (int k = 0; Files.exists(set.resolve(kind + "_" + k + ".pb")); k++) {
      out.add(TensorProto.parseFrom(Files.readAllBytes(set.resolve(kind + "_" + k + ".pb"))));
    }
    return out;
  }

  static String oipDatatype(int onnx) {
    return switch (onnx) {
      case TensorProto.DataType.FLOAT_VALUE -> "FP32";
      case TensorProto.DataType.DOUBLE_VALUE -> "FP64";
      case TensorProto.DataType.BOOL_VALUE -> "BOOL";
      case TensorProto.DataType.INT8_VALUE -> "INT8";
      case TensorProto.DataType.UINT8_VALUE -> "UINT8";
      case TensorProto.DataType.INT16_VALUE -> "INT16";
      case TensorProto.DataType.UINT16_VALUE -> "UINT16";
      case TensorProto.DataType.INT32_VALUE -> "INT32";
      case TensorProto.DataType.UINT32_VALUE -> "UINT32";
      case TensorProto.DataType.INT64_VALUE -> "INT64";
      case TensorProto.DataType.UINT64_VALUE -> "UINT64";
      default -> throw new IllegalArgumentException("ONNX data type " + onnx + " has no OIP datatype here");
    };
  }

  static int width(int onnx) {
    return switch (onnx) {
      case TensorProto.DataType.DOUBLE_VALUE, TensorProto.DataType.INT64_VALUE,
          TensorProto.DataType.UINT64_VALUE -> 8;
      case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT32_VALUE,
          TensorProto.DataType.UINT32_VALUE -> 4;
      case TensorProto.DataType.INT16_VALUE, TensorProto.DataType.UINT16_VALUE -> 2;
      default -> 1;
    };
  }

  /** The tensor's elements as OIP raw contents: little-endian, packed, in the tensor's own type. */
  static ByteString raw(TensorProto t) {
    if (!t.getRawData().isEmpty()) {
      return t.getRawData();
    }
    int type = t.getDataType();
    int n = switch (type) {
      case TensorProto.DataType.FLOAT_VALUE -> t.getFloatDataCount();
      case TensorProto.DataType.DOUBLE_VALUE -> t.getDoubleDataCount();
      case TensorProto.DataType.INT64_VALUE -> t.getInt64DataCount();
      case TensorProto.DataType.UINT32_VALUE, TensorProto.DataType.UINT64_VALUE -> t.getUint64DataCount();
      default -> t.getInt32DataCount();
    };
    ByteBuffer b = ByteBuffer.allocate(n * width(type)).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (type) {
        case TensorProto.DataType.FLOAT_VALUE -> b.putFloat(t.getFloatData(i));
        case TensorProto.DataType.DOUBLE_VALUE -> b.putDouble(t.getDoubleData(i));
        case TensorProto.DataType.INT64_VALUE -> b.putLong(t.getInt64Data(i));
        case TensorProto.DataType.UINT64_VALUE -> b.putLong(t.getUint64Data(i));
        case TensorProto.DataType.UINT32_VALUE -> b.putInt((int) t.getUint64Data(i));
        case TensorProto.DataType.INT32_VALUE -> b.putInt(t.getInt32Data(i));
        case TensorProto.DataType.INT16_VALUE, TensorProto.DataType.UINT16_VALUE ->
            b.putShort((short) t.getInt32Data(i));
        default -> b.put((byte) t.getInt32Data(i));
      }
    }
    return ByteString.copyFrom(b.array());
  }

  static double[] values(ByteString raw, int type) {
    ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    double[] v = new double[raw.size() / width(type)];
    for (int i = 0; i < v.length; i++) {
      v[i] = switch (type) {
        case TensorProto.DataType.FLOAT_VALUE -> b.getFloat();
        case TensorProto.DataType.DOUBLE_VALUE -> b.getDouble();
        case TensorProto.DataType.INT64_VALUE -> b.getLong();
        case TensorProto.DataType.UINT64_VALUE -> Double.parseDouble(Long.toUnsignedString(b.getLong()));
        case TensorProto.DataType.INT32_VALUE -> b.getInt();
        case TensorProto.DataType.UINT32_VALUE -> Integer.toUnsignedLong(b.getInt());
        case TensorProto.DataType.INT16_VALUE -> b.getShort();
        case TensorProto.DataType.UINT16_VALUE -> Short.toUnsignedInt(b.getShort());
        case TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.BOOL_VALUE -> Byte.toUnsignedInt(b.get());
        default -> b.get();
      };
    }
    return v;
  }
}
