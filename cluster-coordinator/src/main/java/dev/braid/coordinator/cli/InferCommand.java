package dev.braid.coordinator.cli;

import com.google.protobuf.ByteString;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid infer}: a plain Open Inference Protocol client (grpc-java stubs, nothing of Braid's
 * server): fetches the model's metadata, sends one request of the right shapes and datatypes
 * (seeded random values, or raw little-endian bytes from a file per input) as
 * {@code raw_input_contents}, and prints each output's shape, its top-5 entries and the round
 * trip. Exit codes: 0 answered, 1 the server refused or could not be reached (the line says why),
 * 2 bad flags.
 */
@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = "Send one inference request to a Braid (or Triton) server over gRPC and print the result.")
final class InferCommand implements Callable<Integer> {
  /** Request bytes the client accepts back: as the server's default limit. */
  private static final int MAX_MESSAGE_BYTES = 64 << 20;

  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "Model name.")
  String model;

  @Option(names = "--host", description = "Server host (default: ${DEFAULT-VALUE}).")
  String host = "localhost";

  @Option(names = "--port", description = "Server gRPC port (default: ${DEFAULT-VALUE}).")
  int port = 8001;

  @picocli.CommandLine.Mixin ClientSecurityOptions security;

  @Option(names = "--batch", description = "Batch size, for a model that batches (default: ${DEFAULT-VALUE}).")
  int batch = 1;

  @Option(names = "--input", description = "NAME=FILE: raw little-endian values of input NAME (default: seeded random values).")
  Map<String, Path> inputFiles = new LinkedHashMap<>();

  @Option(names = "--timeout-ms", description = "Deadline of each call in milliseconds (default: ${DEFAULT-VALUE}).")
  long timeoutMs = 30_000;

  @Option(names = "--seed", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (batch < 1) {
      throw new IllegalArgumentException("--batch: expected an integer >= 1, got " + batch);
    }
    if (timeoutMs < 1) {
      throw new IllegalArgumentException("--timeout-ms: expected an integer >= 1, got " + timeoutMs);
    }
    ServerOptions.checkAddress(host, port);
    String where = host + ":" + port;
    ManagedChannel channel = security.open(host, port, MAX_MESSAGE_BYTES);
    try {
      GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
      ModelMetadataResponse meta;
      try {
        meta = stub.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
            .modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build());
      } catch (StatusRuntimeException e) {
        // A status the server sent carries no cause; one the transport made (connection refused) does.
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && e.getStatus().getCause() != null) {
          err.println("braid infer: cannot reach braid at " + where + ": " + describe(e.getStatus()));
        } else {
          err.println("braid infer: " + describe(e.getStatus()));
        }
        return 1;
      }
      for (String name : inputFiles.keySet()) {
        if (meta.getInputsList().stream().noneMatch(t -> t.getName().equals(name))) {
          throw new IllegalArgumentException("--input " + name + ": model '" + model + "' has no such input; its inputs: "
              + meta.getInputsList().stream().map(ModelMetadataResponse.TensorMetadata::getName).toList());
        }
      }
      ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setId("braid-infer");
      out.printf("model %s (version %s) at %s, batch %d%n", meta.getName(),
          meta.getVersionsCount() == 0 ? "?" : meta.getVersions(meta.getVersionsCount() - 1), where, batch);
      int position = 0;
      for (ModelMetadataResponse.TensorMetadata in : meta.getInputsList()) {
        long[] shape = OipInputs.shape(model, in, batch);
        request.addInputsBuilder().setName(in.getName()).setDatatype(in.getDatatype())
            .addAllShape(Arrays.stream(shape).boxed().toList());
        Path file = inputFiles.get(in.getName());
        request.addRawInputContents(file != null ? fromFile(in, shape, file)
            : OipInputs.random("model '" + model + "' input '" + in.getName() + "'", in.getDatatype(),
                OipInputs.elements(shape), seed, position));
        position++;
        out.printf("  input  %-12s %s %s%n", in.getName(), in.getDatatype(), Arrays.toString(shape));
      }
      long t0 = System.nanoTime();
      ModelInferResponse response;
      try {
        response = stub.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS).modelInfer(request.build());
      } catch (StatusRuntimeException e) {
        err.println("braid infer: " + describe(e.getStatus()));
        return 1;
      }
      long nanos = System.nanoTime() - t0;
      for (int i = 0; i < response.getOutputsCount(); i++) {
        ModelInferResponse.InferOutputTensor o = response.getOutputs(i);
        int[] dims = o.getShapeList().stream().mapToInt(Long::intValue).toArray();
        out.printf("  output %-12s %s %s%n", o.getName(), o.getDatatype(), Arrays.toString(dims));
        float[] values = i < response.getRawOutputContentsCount()
            ? decode(o.getDatatype(), response.getRawOutputContents(i)) : typed(o);
        out.printf("    top-5 of batch item 0: %s%n", TopK.describe(values, dims, 5));
      }
      out.printf("latency: %s round trip%n", Units.millis(nanos));
      return 0;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private ByteString fromFile(ModelMetadataResponse.TensorMetadata in, long[] shape, Path file) throws IOException {
    int size = OipInputs.elementBytes("--input " + in.getName(), in.getDatatype());
    long expected = (long) OipInputs.elements(shape) * size;
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--input " + in.getName() + "=" + file + ": file not found");
    }
    long got = Files.size(file);
    if (got != expected) {
      throw new IllegalArgumentException("--input " + in.getName() + "=" + file + ": expected " + expected + " bytes ("
          + OipInputs.elements(shape) + " " + in.getDatatype() + " values, little-endian, for shape " + Arrays.toString(shape)
          + "), got " + got);
    }
    return ByteString.copyFrom(Files.readAllBytes(file));
  }

  private static float[] decode(String datatype, ByteString raw) {
    ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[raw.size() / OipInputs.elementBytes("output datatype", datatype)];
    for (int i = 0; i < v.length; i++) {
      v[i] = switch (datatype) {
        case "FP32" -> b.getFloat();
        case "FP64" -> (float) b.getDouble();
        case "INT64", "UINT64" -> b.getLong();
        case "INT32", "UINT32" -> b.getInt();
        case "INT16", "UINT16" -> b.getShort();
        default -> b.get();
      };
    }
    return v;
  }

  private static float[] typed(ModelInferResponse.InferOutputTensor o) {
    var c = o.getContents();
    double[] d = !c.getFp32ContentsList().isEmpty() ? c.getFp32ContentsList().stream().mapToDouble(Float::doubleValue).toArray()
        : !c.getFp64ContentsList().isEmpty() ? c.getFp64ContentsList().stream().mapToDouble(Double::doubleValue).toArray()
        : !c.getInt64ContentsList().isEmpty() ? c.getInt64ContentsList().stream().mapToDouble(Long::doubleValue).toArray()
        : c.getIntContentsList().stream().mapToDouble(Integer::doubleValue).toArray();
    float[] v = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      v[i] = (float) d[i];
    }
    return v;
  }

  private static String describe(Status s) {
    String text = s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
    return s.getCause() == null ? text : text + " (" + s.getCause().getMessage() + ")";
  }
}
