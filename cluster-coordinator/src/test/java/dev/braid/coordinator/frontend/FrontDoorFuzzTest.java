package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.InferTensorContents;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferRequest.InferInputTensor;
import dev.braid.protocol.grpc.ModelInferResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input against a whole node (issue 15): the zoo's mlp (input FP32 [-1, 784], batch 1..8)
 * served by an in-process {@link SingleNode} on the CPU device, driven over a real socket by
 * (1) ModelInferRequests generated around its valid shapes with one thing wrong each (datatype,
 * shape, sizes, missing or duplicated input, huge dimensions, NaN and infinities, empty tensors,
 * parameters, names) and (2) raw byte mutations of a valid serialized request sent through a
 * byte-array method descriptor, so the server parses what the client never could build.
 *
 * <p>For every case: an answer (a response or an error status, never INTERNAL or UNKNOWN) within
 * {@link #BOUND_S} seconds; afterwards the server still answers a valid request. Meanwhile
 * {@link #CLIENTS} threads send valid requests and each must get exactly the output its input
 * gave when run alone (no contamination from the hostile cases batched beside it). Fixed seeds;
 * {@code -Dbraid.fuzz.cases=N} runs N cases of each kind (default 2000).
 */
class FrontDoorFuzzTest {
  static final int LIMIT_BYTES = 1 << 20;
  static final int BOUND_S = 10;
  static final int CLIENTS = 3;
  static final int CASES = Integer.getInteger("braid.fuzz.cases", 2000);
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  static final MethodDescriptor<byte[], byte[]> RAW_INFER = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
      .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();

  @TempDir static Path repo;
  static SingleNode node;
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;

  @BeforeAll
  static void start() throws Exception {
    node = FrontDoorHardeningTest.mlpNode(repo,
        FrontendSettings.load().withPorts(0, 0).withMaxInboundMessageBytes(LIMIT_BYTES));
    channel = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext()
        .maxInboundMessageSize(LIMIT_BYTES).build();
    blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    FrontDoorHardeningTest.close(channel, node);
  }

  /** The ways a generated request is wrong (VALID: not wrong). */
  enum Fault {
    VALID, DATATYPE, RANK, WRONG_DIM, BATCH_ZERO, BATCH_OVER, HUGE_DIM, NEGATIVE_DIM, OVERFLOW_DIMS, SHORT_RAW,
    LONG_RAW, FEW_CONTENTS, OTHER_FIELD, MISSING_INPUT, DUPLICATED_INPUT, UNKNOWN_INPUT, NON_FINITE, MIXED_ENCODING,
    BAD_NAME, UNKNOWN_MODEL, BAD_PARAMETER, MANY_PARAMETERS, BAD_OUTPUT
  }

  static ModelInferRequest generate(Fault fault, SplittableRandom rnd) {
    int batch = 1 + rnd.nextInt(8);
    long[] shape = {batch, 784};
    String dtype = "FP32";
    boolean raw = rnd.nextBoolean();
    float[] values = new float[batch * 784];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    int count = values.length;
    switch (fault) {
      case DATATYPE -> dtype = new String[] {"FP64", "INT32", "BOOL", "BYTES", "FP16", "fp32", ""}[rnd.nextInt(7)];
      case RANK -> shape = rnd.nextBoolean() ? new long[] {batch * 784L} : new long[] {batch, 28, 28};
      case WRONG_DIM -> shape = new long[] {batch, 783 + 2 * rnd.nextInt(2)};
      case BATCH_ZERO -> shape = new long[] {0, 784};
      case BATCH_OVER -> shape = new long[] {9 + rnd.nextInt(100), 784};
      case HUGE_DIM -> shape = new long[] {batch, 1L << (24 + rnd.nextInt(39))};
      case NEGATIVE_DIM -> shape = new long[] {-1 - rnd.nextInt(5), 784};
      case OVERFLOW_DIMS -> shape = new long[] {1L << 40, 1L << 40, 1L << 40};
      case SHORT_RAW, FEW_CONTENTS -> count = rnd.nextInt(values.length);
      case LONG_RAW -> count = values.length + 1 + rnd.nextInt(10);
      case NON_FINITE -> {
        for (int k = 0; k < 1 + rnd.nextInt(5); k++) {
          values[rnd.nextInt(values.length)] = new float[] {Float.NaN, Float.POSITIVE_INFINITY,
              Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -0f}[rnd.nextInt(5)];
        }
      }
      default -> { }
    }
    InferInputTensor.Builder in = InferInputTensor.newBuilder()
        .setName(fault == Fault.UNKNOWN_INPUT ? "inputs" : "input").setDatatype(dtype);
    for (long d : shape) {
      in.addShape(d);
    }
    ModelInferRequest.Builder r = ModelInferRequest.newBuilder()
        .setModelName(fault == Fault.UNKNOWN_MODEL ? "mlp2" : fault == Fault.BAD_NAME
            ? new String[] {"../mlp", "/etc/passwd", "m\u0000", "x".repeat(300), ".."}[rnd.nextInt(5)] : "mlp")
        .setId("case");
    if (raw && fault != Fault.OTHER_FIELD) {
      byte[] bytes = new byte[Math.min(count, values.length + 16) * 4];
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < bytes.length / 4; i++) {
        b.putFloat(values[i % values.length]);
      }
      r.addRawInputContents(ByteString.copyFrom(bytes));
      if (fault == Fault.MIXED_ENCODING) {
        in.setContents(InferTensorContents.newBuilder().addFp32Contents(1f));
      }
    } else {
      InferTensorContents.Builder c = InferTensorContents.newBuilder();
      for (int i = 0; i < Math.min(count, values.length + 16); i++) {
        if (fault == Fault.OTHER_FIELD) {
          c.addFp64Contents(values[i]);
        } else {
          c.addFp32Contents(values[i % values.length]);
        }
      }
      in.setContents(c);
      if (fault == Fault.MIXED_ENCODING) {
        r.addRawInputContents(ByteString.copyFrom(new byte[4]));
      }
    }
    if (fault != Fault.MISSING_INPUT) {
      r.addInputs(in);
    }
    if (fault == Fault.DUPLICATED_INPUT) {
      r.addInputs(in);
      if (r.getRawInputContentsCount() > 0) {
        r.addRawInputContents(r.getRawInputContents(0));
      }
    }
    if (fault == Fault.BAD_PARAMETER) {
      String[] names = {RequestParameters.DEADLINE_MS, RequestParameters.PRIORITY, RequestParameters.TIMEOUT_US,
          RequestParameters.TYPED_OUTPUTS};
      InferParameter[] bad = {InferParameter.newBuilder().setInt64Param(-1 - rnd.nextInt(1000)).build(),
          InferParameter.newBuilder().setDoubleParam(Double.NaN).build(),
          InferParameter.newBuilder().setStringParam("x").build(),
          InferParameter.newBuilder().setDoubleParam(Double.POSITIVE_INFINITY).build(),
          InferParameter.getDefaultInstance()};
      r.putParameters(names[rnd.nextInt(names.length)], bad[rnd.nextInt(bad.length)]);
    }
    if (fault == Fault.MANY_PARAMETERS) {
      for (int i = 0; i < 40; i++) {
        r.putParameters("p" + i, InferParameter.newBuilder().setStringParam("v").build());
      }
    }
    if (fault == Fault.BAD_OUTPUT) {
      r.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("nope"));
    }
    return r.build();
  }

  /** A valid request of {@code batch} rows from {@code seed}, raw or typed. */
  static ModelInferRequest valid(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int batch = 1 + rnd.nextInt(8);
    float[] in = FrontDoorServerTest.randomInput(batch, seed);
    return (rnd.nextBoolean() ? FrontDoorServerTest.rawRequest(in, batch) : FrontDoorServerTest.typedRequest(in, batch))
        .setModelName("mlp").setId("valid-" + seed).build();
  }

  static float[] logits(ModelInferResponse r) {
    return FrontDoorServerTest.rawFloats(r.getRawOutputContents(0));
  }

  /**
   * A call answered within the bound: a response, or any status but a server fault (INTERNAL,
   * UNKNOWN: bytes that do not parse are INVALID_ARGUMENT, see ParseFailures) or UNAVAILABLE.
   */
  static Status.Code answered(Runnable call) {
    long start = System.nanoTime();
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(BOUND_S),
          "no answer within " + BOUND_S + " s: " + e.getStatus());
      assertNotEquals(Status.Code.INTERNAL, code, e.getStatus().toString());
      assertNotEquals(Status.Code.UNKNOWN, code, e.getStatus().toString());
      assertNotEquals(Status.Code.UNAVAILABLE, code, e.getStatus().toString());
      return code;
    }
  }

  @Test
  void everyHostileCaseIsAnsweredAndValidNeighboursKeepTheirOwnOutputs() throws Exception {
    // Valid requests' outputs, each sent alone first.
    int validKinds = 16;
    List<float[]> alone = new ArrayList<>();
    for (int s = 0; s < validKinds; s++) {
      alone.add(logits(blocking.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(valid(s))));
    }
    long heapBefore = usedHeapAfterGc();

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger neighbours = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> clients = new ArrayList<>();
    for (int t = 0; t < CLIENTS; t++) {
      int thread = t;
      clients.add(pool.submit(() -> {
        for (int i = thread; !stop.get(); i += CLIENTS) {
          int s = i % validKinds;
          ModelInferResponse r = blocking.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(valid(s));
          assertEquals("valid-" + s, r.getId());
          assertArrayEquals(alone.get(s), logits(r), "valid request " + s + " among hostile ones");
          neighbours.incrementAndGet();
        }
        return null;
      }));
    }

    long started = System.nanoTime();
    SplittableRandom rnd = new SplittableRandom(15);
    Map<Fault, Integer> byFault = new EnumMap<>(Fault.class);
    Map<Status.Code, Integer> generatedCodes = new EnumMap<>(Status.Code.class);
    Fault[] faults = Fault.values();
    for (int i = 0; i < CASES; i++) {
      Fault f = faults[i % faults.length];
      ModelInferRequest r = generate(f, rnd);
      Status.Code code = answered(() -> blocking.withDeadlineAfter(BOUND_S, TimeUnit.SECONDS).modelInfer(r));
      if (f == Fault.VALID || f == Fault.NON_FINITE) {
        assertEquals(Status.Code.OK, code, f + " case " + i);
      } else {
        assertNotEquals(Status.Code.OK, code, f + " case " + i + " was accepted");
      }
      byFault.merge(f, 1, Integer::sum);
      generatedCodes.merge(code, 1, Integer::sum);
    }
    long generatedNs = System.nanoTime() - started;

    byte[] seed = valid(3).toByteArray();
    Map<Status.Code, Integer> mutatedCodes = new EnumMap<>(Status.Code.class);
    for (int i = 0; i < CASES; i++) {
      byte[] m = mutate(seed, rnd);
      mutatedCodes.merge(answered(() -> ClientCalls.blockingUnaryCall(channel, RAW_INFER,
          CallOptions.DEFAULT.withDeadlineAfter(BOUND_S, TimeUnit.SECONDS), m)), 1, Integer::sum);
    }
    long mutatedNs = System.nanoTime() - started - generatedNs;

    stop.set(true);
    for (Future<?> c : clients) {
      c.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertArrayEquals(alone.get(5), logits(blocking.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(valid(5))),
        "the server still answers correctly after the fuzzing");
    long heapAfter = usedHeapAfterGc();

    System.out.printf("fuzz: %d generated cases in %.1f s %s by fault %s; %d byte mutations in %.1f s %s;"
            + " %d valid neighbour requests correct; heap %d -> %d MiB%n",
        CASES, generatedNs / 1e9, generatedCodes, byFault, CASES, mutatedNs / 1e9, mutatedCodes, neighbours.get(),
        heapBefore >> 20, heapAfter >> 20);
    assertTrue(neighbours.get() > 0, "valid requests ran beside the hostile ones");
    assertTrue(heapAfter < heapBefore + (256L << 20), "heap back near its baseline: " + heapBefore + " -> " + heapAfter);
  }

  /** One to four mutations of {@code valid}: bit flips, random bytes, truncation, insertion, duplication. */
  static byte[] mutate(byte[] valid, SplittableRandom rnd) {
    byte[] b = valid.clone();
    for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
      if (b.length == 0) {
        return new byte[] {(byte) rnd.nextInt(256)};
      }
      int at = rnd.nextInt(b.length);
      switch (rnd.nextInt(6)) {
        case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
        case 1 -> b[at] = (byte) rnd.nextInt(256);
        case 2 -> b = java.util.Arrays.copyOf(b, at);
        case 3 -> {
          byte[] ins = new byte[1 + rnd.nextInt(16)];
          for (int i = 0; i < ins.length; i++) {
            ins[i] = (byte) rnd.nextInt(256);
          }
          byte[] n = new byte[b.length + ins.length];
          System.arraycopy(b, 0, n, 0, at);
          System.arraycopy(ins, 0, n, at, ins.length);
          System.arraycopy(b, at, n, at + ins.length, b.length - at);
          b = n;
        }
        case 4 -> { // a header byte of the first fields: varint lengths and tags live there
          int h = rnd.nextInt(Math.min(b.length, 64));
          b[h] = (byte) (rnd.nextBoolean() ? 0xff : rnd.nextInt(256));
        }
        default -> { // duplicate a slice (a field repeated)
          int len = Math.min(b.length - at, 1 + rnd.nextInt(64));
          byte[] n = new byte[b.length + len];
          System.arraycopy(b, 0, n, 0, at + len);
          System.arraycopy(b, at, n, at + len, b.length - at);
          b = n;
        }
      }
    }
    return b;
  }

  static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
