package dev.braid.coordinator.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.common.util.concurrent.ListenableFuture;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.cluster.BraidNode;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.SingleNode;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.GpuStatus;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelReadyRequest;
import dev.braid.protocol.grpc.RepositoryModelLoadRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device faults through the front door: a node whose one GPU is the emulated CUDA driver serves
 * two zoo models over real gRPC on a socket, and the driver is made to fail (armed through
 * BRAID_CUDA_EMU_FAULTS_FILE, which it re-reads when the file changes, so the node loads first).
 * What a client relies on: an answer for every request before its deadline, a status code and a
 * message that say what happened, and no effect of one failure on requests it did not touch.
 *
 * <p>In order: (1) answers equal the CPU's; a model too big for the device memory left fails its
 * load alone (the device's pool is the one {@code cuMemAlloc} {@code CudaDevice} makes, at open, so
 * an allocation failure after open is the pool's: the driver's {@code alloc=N} fault can only fail
 * the open, which native's EmulatedCudaDeviceTest covers), and both models keep answering; (2) a
 * sticky CUDA_ERROR_ILLEGAL_ADDRESS: the requests it touched fail naming it, the GPU is reported
 * unhealthy with that reason, and every later request of every model is refused at once with
 * UNAVAILABLE.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmulatedFrontDoorFaultTest {
  static final String[] MODELS = {"mlp", "mobilenetv2"};
  /** The model generated after the node started, whose weights the emulated memory cannot hold. */
  static final String TOO_BIG = "resnet18";
  static final int IMAGE_SIZE = 32;
  static final long DEADLINE_S = 60;
  /** How soon a refusal must come once the GPU is known unhealthy: far inside the deadline. */
  static final long PROMPT_MS = 10_000;

  @TempDir static Path repo;
  static Path faults;
  static SingleNode node;
  /** The node's GPU: the test takes its memory to make allocations fail, then gives it back. */
  static CudaDevice device;
  static ManagedChannel channel;
  static CpuDevice cpu;
  static final Map<String, RepositoryModel> models = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    EmulatorGate.require();
    String file = System.getenv("BRAID_CUDA_EMU_FAULTS_FILE");
    Assumptions.assumeTrue(file != null,
        "BRAID_CUDA_EMU_FAULTS_FILE is not set (cluster-coordinator/pom.xml's cuda-emulator execution sets it)");
    faults = Path.of(file);
    Files.deleteIfExists(faults);
    ModelZoo.generate(repo, ZooOptions.defaults().withImageSize(IMAGE_SIZE).withModels(MODELS));
    ModelRepository repository = ModelRepository.open(repo);
    for (String m : MODELS) {
      models.put(m, repository.load(m));
    }
    cpu = new CpuDevice(2);
    device = CudaDevice.open(0);
    // The emulator runs kernels on fibers, far slower than a GPU: admission's one-second queue
    // bound would refuse concurrent requests as overloaded, which is not what this test is about.
    Config config = ConfigFactory.parseString("braid.frontend.admission.max-queue-delay = 120s")
        .withFallback(ConfigFactory.load());
    node = SingleNode.start(repository, device, GpuSettings.defaults().withProfilingRuns(1),
        FrontendSettings.load().withPorts(0, 0), config, "test");
    for (BraidNode.ModelOutcome o : node.outcomes()) {
      assertTrue(o.loaded(), "model " + o.name() + " did not load on the emulated GPU: " + o.error());
      System.out.println("loaded " + o.name() + ": " + o.weightsBytes() + " bytes of weights");
    }
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
    if (cpu != null) {
      cpu.close();
    }
    if (faults != null) {
      Files.deleteIfExists(faults);
    }
  }

  @Test
  @Order(1)
  void bothModelsAnswerAsTheCpuAndWhatDoesNotFitInDeviceMemoryFailsAloneNamingIt() throws Exception {
    GpuStatus gpu = gpuStatus();
    assertTrue(gpu.getDevice().contains("emulated"), "the GPU is named as emulated: " + gpu.getDevice());
    assertTrue(gpu.getHealthy(), gpu.toString());
    for (String m : MODELS) {
      for (int rows : new int[] {1, 2}) {
        Map<String, Tensor> in = inputs(m, rows, rows);
        assertMatchesCpu(m, in, infer().modelInfer(request(m, in)), "before any fault");
      }
    }

    ModelZoo.generate(repo, ZooOptions.defaults().withImageSize(IMAGE_SIZE).withModels(TOO_BIG));
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS)
            .repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName(TOO_BIG).build()));
    System.out.println("oversized load: " + refused.getStatus());
    assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getStatus().toString());
    assertTrue(refused.getStatus().getDescription().contains("model '" + TOO_BIG + "' needs ")
        && refused.getStatus().getDescription().contains("bytes for its weights"), refused.getStatus().toString());

    // Device memory taken (by another tenant of the GPU, say): a request's arena cannot be
    // allocated, and that request alone fails, RESOURCE_EXHAUSTED naming the memory; the GPU stays
    // healthy and, the memory back, the same request is answered.
    Map<String, Tensor> big = inputs("mobilenetv2", 8, 8);
    List<DeviceBuffer> ballast = takeDeviceMemory();
    StatusRuntimeException oom;
    try {
      long start = System.nanoTime();
      oom = assertThrows(StatusRuntimeException.class, () -> infer().modelInfer(request("mobilenetv2", big)));
      System.out.println("request while the memory is taken, in " + (System.nanoTime() - start) / 1_000_000 + " ms: "
          + oom.getStatus());
    } finally {
      ballast.forEach(device::free);
    }
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, oom.getStatus().getCode(), oom.getStatus().toString());
    assertTrue(oom.getStatus().getDescription().contains("mobilenetv2")
        && oom.getStatus().getDescription().toLowerCase().contains("memory"), oom.getStatus().toString());
    assertMatchesCpu("mobilenetv2", big, infer().modelInfer(request("mobilenetv2", big)), "the memory given back");

    for (String m : MODELS) {
      Map<String, Tensor> in = inputs(m, 1, 7);
      assertMatchesCpu(m, in, infer().modelInfer(request(m, in)), "after the failed load");
    }
    assertTrue(gpuStatus().getHealthy(), "a load that did not fit leaves the GPU healthy");
  }

  @Test
  @Order(2)
  void aStickyDeviceFaultFailsTheRequestsItTouchedAndEveryLaterRequestIsRefusedPromptly() throws Exception {
    // The third launch after arming fails: the first requests get some way into their kernels.
    Files.writeString(faults, "launch=3:illegal_address");
    GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub async = GRPCInferenceServiceGrpc.newFutureStub(channel)
        .withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS);
    List<String> sent = new ArrayList<>();
    List<Map<String, Tensor>> sentInputs = new ArrayList<>();
    List<ListenableFuture<ModelInferResponse>> inFlight = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      for (String m : MODELS) {
        Map<String, Tensor> in = inputs(m, 1, 100 + i);
        sent.add(m);
        sentInputs.add(in);
        inFlight.add(async.modelInfer(request(m, in)));
      }
    }
    int namingTheFault = 0;
    for (int i = 0; i < inFlight.size(); i++) {
      String what = "request " + i + " of " + sent.get(i) + " in flight at the fault";
      try {
        ModelInferResponse answer = answered(inFlight.get(i), what);
        assertMatchesCpu(sent.get(i), sentInputs.get(i), answer, what + " (finished before the fault)");
      } catch (StatusRuntimeException e) {
        Status s = e.getStatus();
        System.out.println(what + ": " + s);
        assertTrue(s.getCode() == Status.Code.INTERNAL || s.getCode() == Status.Code.UNAVAILABLE, what + ": " + s);
        // The requests are sent asynchronously: one that reaches the frontend after the fault is
        // known is refused as every later request is, which is as explicit.
        boolean arrivedAfter = s.getCode() == Status.Code.UNAVAILABLE
            && s.getDescription().contains("the cluster has no healthy GPU");
        assertTrue(s.getDescription().contains("CUDA_ERROR_ILLEGAL_ADDRESS") || arrivedAfter, what + ": " + s);
        namingTheFault += arrivedAfter ? 0 : 1;
      }
    }
    assertTrue(namingTheFault > 0, "no request in flight failed, though the third launch faulted");

    GpuStatus gpu = awaitUnhealthy();
    assertTrue(gpu.getUnhealthyReason().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), gpu.toString());

    for (int i = 0; i < 2; i++) {
      for (String m : MODELS) {
        String what = "request of " + m + " after the fault";
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> answered(async.modelInfer(request(m, inputs(m, 1, 200))), what), what + " was answered");
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println(what + " in " + ms + " ms: " + e.getStatus());
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), what + ": " + e.getStatus());
        // Refused by the frontend once its routing table has the GPU unhealthy, or by the GPU
        // itself if the request got there first: either way the message says why.
        String d = e.getStatus().getDescription();
        assertTrue(d.contains("model '" + m + "'") && (d.contains("the cluster has no healthy GPU")
            || d.contains("CUDA_ERROR_ILLEGAL_ADDRESS")), what + ": " + e.getStatus());
        assertTrue(ms < PROMPT_MS, what + " took " + ms + " ms to be refused");
      }
    }
    for (String m : MODELS) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      boolean ready = true;
      while (ready && System.nanoTime() < until) {
        ready = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .modelReady(ModelReadyRequest.newBuilder().setName(m).build()).getReady();
        if (ready) {
          Thread.sleep(100);
        }
      }
      assertFalse(ready, "ModelReady still says " + m + " is ready 20 s after its only GPU failed");
    }
  }

  // ---- helpers ----

  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub infer() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS);
  }

  /**
   * The answer of {@code call}, or its status as a StatusRuntimeException; fails when it is not
   * answered within the deadline and a few seconds of grace, or answered DEADLINE_EXCEEDED (which
   * would mean the node let it wait rather than answer).
   */
  static ModelInferResponse answered(ListenableFuture<ModelInferResponse> call, String what) throws Exception {
    try {
      return call.get(DEADLINE_S + 5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      fail(what + ": unanswered " + (DEADLINE_S + 5) + " s after it was sent");
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        assertFalse(s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED, what + " waited out its deadline: " + s);
        throw s;
      }
      throw e;
    }
  }

  /**
   * Allocates the device's free memory until no block of 4 KiB is left (halving the size asked
   * for whenever it does not fit, as the free space may be in pieces).
   */
  static List<DeviceBuffer> takeDeviceMemory() {
    List<DeviceBuffer> taken = new ArrayList<>();
    long size = (device.info().memoryBytes() - device.allocatedBytes()) / 256 * 256;
    while (size >= 4096) {
      try {
        taken.add(device.allocate(size));
      } catch (DeviceException e) {
        if (e.reason() != DeviceException.Reason.OUT_OF_MEMORY) {
          taken.forEach(device::free);
          throw e;
        }
        size = size / 2 / 256 * 256;
      }
    }
    return taken;
  }

  static GpuStatus gpuStatus() {
    List<GpuStatus> gpus = BraidAdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance()).getGpusList();
    assertEquals(1, gpus.size(), gpus.toString());
    return gpus.get(0);
  }

  /** The GPU's status once its report says unhealthy (reports come every report-interval). */
  static GpuStatus awaitUnhealthy() throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    GpuStatus g = gpuStatus();
    while (g.getHealthy() && System.nanoTime() < until) {
      Thread.sleep(100);
      g = gpuStatus();
    }
    assertFalse(g.getHealthy(), "the GPU is still reported healthy 20 s after the fault: " + g);
    return g;
  }

  /** Random float inputs of {@code rows} rows for {@code model}, reproducible from {@code seed}. */
  static Map<String, Tensor> inputs(String model, int rows, long seed) {
    Random rnd = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (ValueInfo v : models.get(model).latest().bind(rows).inputs()) {
      Shape s = v.shape();
      float[] d = new float[s.size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = rnd.nextFloat() * 2 - 1;
      }
      in.put(v.name(), Tensor.ofFloats(v.dtype(), s, d));
    }
    return in;
  }

  static ModelInferRequest request(String model, Map<String, Tensor> inputs) {
    ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(model);
    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
      ModelInferRequest.InferInputTensor.Builder t = r.addInputsBuilder().setName(e.getKey()).setDatatype("FP32");
      for (long d : e.getValue().shape().longDims()) {
        t.addShape(d);
      }
      float[] v = e.getValue().toFloats();
      ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float f : v) {
        b.putFloat(f);
      }
      r.addRawInputContents(ByteString.copyFrom(b.array()));
    }
    return r.build();
  }

  /** Asserts every output of the answer within 1e-4 (relative to the largest) of the CPU device's. */
  static void assertMatchesCpu(String model, Map<String, Tensor> inputs, ModelInferResponse answer, String what) {
    int rows = inputs.values().iterator().next().shape().dim(0);
    Map<String, Tensor> expected = ModelExecutor.compile(models.get(model).latest().bind(rows), cpu).run(inputs)
        .toCompletableFuture().join();
    assertEquals(expected.size(), answer.getOutputsCount(), what + ": outputs of " + model);
    for (int o = 0; o < answer.getOutputsCount(); o++) {
      String name = answer.getOutputs(o).getName();
      Tensor e = expected.get(name);
      assertEquals(java.util.Arrays.stream(e.shape().longDims()).boxed().toList(), answer.getOutputs(o).getShapeList(),
          what + ": " + model + " output " + name + " shape");
      float[] ef = e.toFloats();
      float[] af = new float[answer.getRawOutputContents(o).size() / 4];
      answer.getRawOutputContents(o).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(af);
      assertEquals(ef.length, af.length, what + ": " + model + " output " + name + " length");
      double scale = 1e-30;
      for (float f : ef) {
        scale = Math.max(scale, Math.abs(f));
      }
      for (int i = 0; i < ef.length; i++) {
        if (!(Math.abs(ef[i] - af[i]) <= 1e-4 * Math.max(1, scale))) {
          fail(what + ": " + model + " output " + name + "[" + i + "] expected " + ef[i] + " (CPU), got " + af[i]);
        }
      }
    }
  }
}
