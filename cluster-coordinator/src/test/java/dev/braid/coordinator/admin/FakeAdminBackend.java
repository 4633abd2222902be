package dev.braid.coordinator.admin;

import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * An {@link AdminBackend} with a fixed cluster: two nodes, two GPUs (one serving two models, one
 * unhealthy and draining), two models (one READY on both GPUs, one UNAVAILABLE). Drains of
 * {@link #GPU_NODE} succeed, of {@link #BUSY_NODE} are refused, of other addresses are answered
 * "unknown node"; policies other than "fifo" and "space-time" are refused. Each answer can be
 * replaced, and every call is recorded.
 */
public final class FakeAdminBackend implements AdminBackend {
  public static final String COORDINATOR_NODE = "pekko://braid@10.0.0.1:2552";
  public static final String GPU_NODE = "pekko://braid@10.0.0.2:2552";
  /** A node the coordinator will not drain now. */
  public static final String BUSY_NODE = "pekko://braid@10.0.0.3:2552";
  public static final String GPU_0 = GpuWire.gpuId(GPU_NODE, 0);
  public static final String GPU_1 = GpuWire.gpuId(GPU_NODE, 1);

  public volatile Supplier<CompletionStage<CoordinatorWire.ClusterStatus>> status =
      () -> CompletableFuture.completedFuture(sampleStatus());
  public volatile Function<String, CompletionStage<CoordinatorWire.DrainReply>> drain = FakeAdminBackend::drainReply;
  public volatile BiFunction<String, String, CompletionStage<CoordinatorWire.PolicyResult>> setPolicy =
      FakeAdminBackend::policyResult;
  /** Every call, as "status", "drain ADDRESS", "setPolicy GPU POLICY". */
  public final List<String> calls = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<CoordinatorWire.ClusterStatus> status() {
    calls.add("status");
    return status.get();
  }

  @Override
  public CompletionStage<CoordinatorWire.DrainReply> drain(String nodeAddress) {
    calls.add("drain " + nodeAddress);
    return drain.apply(nodeAddress);
  }

  @Override
  public CompletionStage<CoordinatorWire.PolicyResult> setPolicy(String gpu, String policy) {
    calls.add("setPolicy " + gpu + " " + policy);
    return setPolicy.apply(gpu, policy);
  }

  /** Every field of every message holds a value other than its default in at least one entry. */
  public static CoordinatorWire.ClusterStatus sampleStatus() {
    GpuWire.ModelInfo mlp = new GpuWire.ModelInfo("mlp", 1, 800_000, 250_000, 8, 1200);
    GpuWire.ModelInfo resnet = new GpuWire.ModelInfo("resnet18", 2, 46_800_000, 1_500_000, 16, 34);
    GpuWire.Report gpu0 = new GpuWire.Report(GPU_0, GPU_NODE, 0, "sim-h100", 80L << 30, 12L << 30,
        Map.of("resnet18", resnet, "mlp", mlp), "space-time", 7, 12_500_000, 0.625, 0.9875, 1234, 5, 2, false, true, "");
    GpuWire.Report gpu1 = new GpuWire.Report(GPU_1, GPU_NODE, 1, "sim-h100", 80L << 30, 0, Map.of(), "fifo", 0, 0,
        0, 1, 0, 0, 0, true, false, "CUDA_ERROR_ECC_UNCORRECTABLE");
    return new CoordinatorWire.ClusterStatus(COORDINATOR_NODE, 12,
        List.of(new CoordinatorWire.NodeStatus(COORDINATOR_NODE, "Up", List.of("frontend", "coordinator"), ""),
            new CoordinatorWire.NodeStatus(GPU_NODE, "Up", List.of("gpu"), "draining")),
        List.of(gpu0, gpu1),
        List.of(new CoordinatorWire.ModelStatus("mlp", 1, "READY", List.of(GPU_0, GPU_1), ""),
            new CoordinatorWire.ModelStatus("bert", 0, "UNAVAILABLE", List.of(), "no GPU has 420 MiB free")));
  }

  static CompletionStage<CoordinatorWire.DrainReply> drainReply(String address) {
    CoordinatorWire.DrainReply reply = switch (address) {
      case GPU_NODE -> new CoordinatorWire.DrainReply(address, true, "node " + address + " drained: 2 GPUs idle");
      case BUSY_NODE -> new CoordinatorWire.DrainReply(address, false,
          "node " + address + " cannot be drained: it runs the coordinator");
      default -> new CoordinatorWire.DrainReply(address, false, "unknown node " + address);
    };
    return CompletableFuture.completedFuture(reply);
  }

  static CompletionStage<CoordinatorWire.PolicyResult> policyResult(String gpu, String policy) {
    boolean known = policy.equals("fifo") || policy.equals("space-time");
    List<String> gpus = gpu.equals("*") ? List.of(GPU_0, GPU_1) : List.of(gpu);
    List<GpuWire.PolicyReply> replies = gpus.stream().map(g -> new GpuWire.PolicyReply(g, known,
        known ? "policy " + policy : "unknown policy '" + policy + "'; valid: fifo, space-time")).toList();
    return CompletableFuture.completedFuture(new CoordinatorWire.PolicyResult(known, replies,
        known ? "policy " + policy + " on " + gpus.size() + " GPUs"
            : "policy '" + policy + "' refused by " + String.join(", ", gpus) + ": valid policies are fifo, space-time"));
  }
}
