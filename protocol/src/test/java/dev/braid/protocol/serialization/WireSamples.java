package dev.braid.protocol.serialization;

import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.protocol.WireMessage;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Representative values of every wire message, for {@link WireRoundTripTest}. Each class with a
 * {@code List} or {@code Map} component gets one sample per collection size in {@link #SIZES}:
 * the JDK's immutable collections are different classes at 0, 1-2 and 3+ elements ({@code
 * List.of}: ListN, List12, List12, ListN; {@code Map.of}: MapN, Map1, MapN, MapN), and each is a
 * separate Kryo registration that must round-trip.
 *
 * <p>A new wire message needs an entry in {@link #all}; {@code
 * WireRoundTripTest.everyRegisteredWireMessageHasASample} fails, naming it, until it has one.
 */
final class WireSamples {
  /** One of each collection size class: empty, Map1/List12, List12/MapN, ListN/MapN. */
  static final int[] SIZES = {0, 1, 2, 3};

  private final ActorTestKit testKit;
  private final Map<Class<?>, List<WireMessage>> byClass = new LinkedHashMap<>();

  private WireSamples(ActorTestKit testKit) {
    this.testKit = testKit;
  }

  /** Every sample by its class, in the order they were added. ActorRefs are live test probes. */
  static Map<Class<?>, List<WireMessage>> all(ActorTestKit testKit) {
    WireSamples s = new WireSamples(testKit);
    s.inference();
    s.routing();
    s.gpu();
    s.coordinator();
    return s.byClass;
  }

  private void add(WireMessage m) {
    byClass.computeIfAbsent(m.getClass(), c -> new ArrayList<>()).add(m);
  }

  private <T> ActorRef<T> ref() {
    return testKit.<T>createTestProbe().ref();
  }

  static <T> List<T> listOf(int n, IntFunction<T> element) {
    List<T> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(element.apply(i));
    }
    return out;
  }

  /** Tensors of several dtypes and shapes, including a scalar, an empty one and awkward floats. */
  static Tensor tensor(int i) {
    return switch (i % 4) {
      case 0 -> Tensor.ofFloats(Shape.of(1, 2, 2),
          new float[] {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY});
      case 1 -> Tensor.ofLongs(DType.INT64, Shape.of(3), new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE});
      case 2 -> Tensor.ofLongs(DType.BOOL, Shape.of(), new long[] {1});
      default -> Tensor.ofFloats(DType.FLOAT16, Shape.of(0, 3), new float[0]);
    };
  }

  static Map<String, Tensor> tensors(int n) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      out.put("t" + i, tensor(i));
    }
    return out;
  }

  private void inference() {
    for (int n : SIZES) {
      add(new InferenceWire.Infer("req-" + n, "resnet18", n % 2 == 0 ? "" : "3", tensors(n),
          n == 0 ? Duration.ZERO : Duration.ofSeconds(n, 999_999_999), n - 1, n == 3 ? "tenant-é✓" : "", ref(), n == 1 ? "" : "oip-" + n));
      add(new InferenceWire.Completed("req-" + n, tensors(n)));
    }
    for (FailureReason reason : FailureReason.values()) {
      add(new InferenceWire.Failed("req-" + reason.ordinal(), reason, "because " + reason));
    }
  }

  private RoutingTableWire.Replica replica(int i) {
    return new RoutingTableWire.Replica(ref(), "pekko://braid@10.0.0." + i + ":25520", i, i * 7,
        i * 1_500_000L, i == 0 ? 1.0 : 0.5 / i);
  }

  private RoutingTableWire.Route route(String model, int replicas) {
    return new RoutingTableWire.Route(model, replicas, 40_000L + replicas, listOf(replicas, this::replica),
        replicas == 0 ? "UNAVAILABLE" : "READY", replicas == 0 ? "no GPU has the memory" : "");
  }

  private void routing() {
    for (int n : SIZES) {
      add(replica(n));
      add(route("m" + n, n));
      Map<String, RoutingTableWire.Route> models = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        models.put("m" + i, route("m" + i, i));
      }
      add(new RoutingTableWire(n + 1, models));
    }
  }

  static GpuWire.ModelInfo modelInfo(int i) {
    return new GpuWire.ModelInfo("model-" + i, i, i * 44_000_000L, 1 + i * 250_000L, i * 8, i * 1_000_003L);
  }

  private static GpuWire.Report report(int ordinal, int models) {
    Map<String, GpuWire.ModelInfo> loaded = new LinkedHashMap<>();
    for (int i = 0; i < models; i++) {
      GpuWire.ModelInfo info = modelInfo(i);
      loaded.put(info.name(), info);
    }
    boolean healthy = models != 2;
    return new GpuWire.Report(GpuWire.gpuId("pekko://braid@10.0.0.1:25520", ordinal), "pekko://braid@10.0.0.1:25520",
        ordinal, ordinal == 0 ? "cpu" : "NVIDIA H100 80GB HBM3", 80L << 30, models * (1L << 30), loaded,
        "space-time", models * 3, models * 2_000_000L, models / 3.0, 1.0 - models / 10.0, Long.MAX_VALUE, models,
        models + 1, models == 1, healthy, healthy ? "" : "CUDA_ERROR_ILLEGAL_ADDRESS");
  }

  private void gpu() {
    add(new GpuWire.Load("resnet18", ref()));
    add(new GpuWire.Loaded("gpu#0", modelInfo(1)));
    add(new GpuWire.Loaded("gpu#1", modelInfo(0)));
    add(new GpuWire.LoadFailed("gpu#0", "bert", "out of device memory: needs 1.3 GB, 0.2 GB free"));
    add(new GpuWire.Unload("resnet18", ref()));
    add(new GpuWire.Unloaded("gpu#0", "resnet18", true));
    add(new GpuWire.Unloaded("gpu#0", "absent", false));
    add(new GpuWire.GetReport(ref()));
    add(modelInfo(0));
    add(modelInfo(3));
    for (int n : SIZES) {
      add(report(n, n));
    }
    add(new GpuWire.SetPolicy("fifo", ref()));
    add(new GpuWire.PolicyReply("gpu#0", true, ""));
    add(new GpuWire.PolicyReply("gpu#0", false, "unknown policy 'x'; valid: fifo, space-time"));
    add(new GpuWire.Drain(ref()));
    add(new GpuWire.Drained("gpu#0"));
  }

  private static CoordinatorWire.NodeStatus node(int i, int roles) {
    return new CoordinatorWire.NodeStatus("pekko://braid@10.0.0." + i + ":25520", i == 0 ? "Up" : "Leaving",
        listOf(roles, r -> List.of("frontend", "coordinator", "gpu").get(r)), i == 2 ? "draining" : "");
  }

  private static CoordinatorWire.ModelStatus modelStatus(int i, int replicas) {
    return new CoordinatorWire.ModelStatus("model-" + i, i, replicas == 0 ? "UNAVAILABLE" : "READY",
        listOf(replicas, r -> "pekko://braid@10.0.0." + r + ":25520#0"), replicas == 0 ? "no replica" : "");
  }

  private void coordinator() {
    add(new CoordinatorWire.LoadModel("resnet18", ref()));
    add(new CoordinatorWire.UnloadModel("resnet18", ref()));
    add(new CoordinatorWire.ModelReply("resnet18", "OK", 3, "resnet18 v3 serves on 2 GPUs"));
    add(new CoordinatorWire.ModelReply("nope", "NOT_FOUND", 0, "no model 'nope' in the repository"));
    add(new CoordinatorWire.GetStatus(ref()));
    for (int n : SIZES) {
      add(new CoordinatorWire.ClusterStatus("pekko://braid@10.0.0.1:25520", n, listOf(n, i -> node(i, i)),
          listOf(n, i -> report(i, i)), listOf(n, i -> modelStatus(i, i))));
      add(node(n, n));
      add(modelStatus(n, n));
      add(new CoordinatorWire.PolicyResult(n != 2,
          listOf(n, i -> new GpuWire.PolicyReply("gpu#" + i, i != 1, i != 1 ? "" : "refused")), "n=" + n));
    }
    add(new CoordinatorWire.DrainNode("pekko://braid@10.0.0.2:25520", ref()));
    add(new CoordinatorWire.DrainReply("pekko://braid@10.0.0.2:25520", true, "drained"));
    add(new CoordinatorWire.DrainReply("pekko://x@y:1", false, "unknown address"));
    add(new CoordinatorWire.SetPolicy("*", "fifo", ref()));
  }
}
