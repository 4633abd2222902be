package dev.braid.coordinator.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.placement.PlacementAction.LoadOn;
import dev.braid.coordinator.placement.PlacementAction.UnloadFrom;
import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.KernelFamily;
import dev.braid.model.DType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlacementTest {
  static final long GIB = 1L << 30;
  static final FusionKey GEMM = new FusionKey(KernelFamily.GEMM, DType.FLOAT32, "tile64");
  static final FusionKey CONV = new FusionKey(KernelFamily.CONV2D, DType.FLOAT32, "k3s1");
  static final FusionProfile ALL_GEMM = new FusionProfile(Map.of(GEMM, 1.0));
  static final FusionProfile ALL_CONV = new FusionProfile(Map.of(CONV, 1.0));

  /** 1 GiB reserve, target 0.7, rebalance above a 0.2 gap, 4 moves. */
  final Placement placement = new Placement(PlacementSettings.DEFAULTS);

  static GpuId gpu(int n) {
    return new GpuId("node" + n, 0);
  }

  static GpuInfo gpuInfo(int n, long memoryBytes) {
    return GpuInfo.healthy(gpu(n), memoryBytes);
  }

  /** A model whose utilisation is {@code utilisation}: requests/s times 1 ms. */
  static ModelDemand model(String name, long weightsBytes, double utilisation, FusionProfile fusion) {
    return new ModelDemand(name, weightsBytes, utilisation * 1000, 1_000_000, Duration.ofMillis(50), fusion);
  }

  static ModelDemand model(String name, long weightsBytes, double utilisation) {
    return model(name, weightsBytes, utilisation, FusionProfile.NONE);
  }

  @Test
  void aModelThatFitsIsPlacedOnceAndLoaded() {
    PlacementResult r = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB)), List.of(model("m", GIB, 0.1)));
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("m"));
    assertEquals(1, r.plan().version());
    assertEquals(List.of(new LoadOn(gpu(1), "m")), r.actions());
    assertEquals(List.of(), r.shortfalls());
  }

  @Test
  void aModelLargerThanAnyFreeMemoryIsReportedNamingModelBytesNeededAndLargestFree() {
    // 10 GiB GPUs less the 1 GiB reserve leave 9 GiB; 12 GiB of weights cannot go anywhere.
    PlacementResult r = placement.place(PlacementPlan.EMPTY,
        List.of(gpuInfo(1, 10 * GIB), gpuInfo(2, 8 * GIB)), List.of(model("big", 12 * GIB, 0.1)));
    assertEquals(List.of(), r.plan().replicasOf("big"));
    assertEquals(1, r.shortfalls().size());
    Shortfall s = r.shortfalls().get(0);
    assertEquals(Shortfall.Reason.NO_GPU_WITH_ENOUGH_MEMORY, s.reason());
    assertEquals(0, s.replicasPlaced());
    assertTrue(s.message().contains("'big'"), s.message());
    assertTrue(s.message().contains(Long.toString(12 * GIB)), s.message());
    assertTrue(s.message().contains(Long.toString(9 * GIB)) && s.message().contains("node1#0"), s.message());
  }

  @Test
  void weightsPlusReserveMustFitSoASecondModelGoesToAnotherGpu() {
    // 10 GiB - 1 GiB reserve = 9 GiB: two 5 GiB models cannot share a GPU.
    PlacementResult r = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 10 * GIB), gpuInfo(2, 10 * GIB)),
        List.of(model("a", 5 * GIB, 0.0), model("b", 5 * GIB, 0.0)));
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("a"));
    assertEquals(List.of(gpu(2)), r.plan().replicasOf("b"));
  }

  @Test
  void withNoHealthyGpuEveryModelIsReportedNotDropped() {
    PlacementResult r = placement.place(PlacementPlan.EMPTY,
        List.of(gpuInfo(1, 10 * GIB).withState(GpuInfo.State.DRAINING)), List.of(model("a", GIB, 0.1), model("b", GIB, 0.1)));
    assertEquals(List.of("a", "b"), r.shortfalls().stream().map(Shortfall::model).toList());
    assertTrue(r.shortfalls().stream().allMatch(s -> s.reason() == Shortfall.Reason.NO_HEALTHY_GPU));
  }

  static Stream<Arguments> replicationTable() {
    return Stream.of(
        // requests/s, device time per request (ns), replicas = max(1, ceil(rps * t / 0.7))
        Arguments.of(0.0, 1_000_000L, 1),
        Arguments.of(700.0, 1_000_000L, 1),
        Arguments.of(701.0, 1_000_000L, 2),
        Arguments.of(1400.0, 1_000_000L, 2),
        Arguments.of(2000.0, 1_000_000L, 3),
        Arguments.of(100.0, 20_000_000L, 3));
  }

  @ParameterizedTest(name = "{0} req/s x {1} ns -> {2} replicas")
  @MethodSource("replicationTable")
  void replicasAreLoadTimesDeviceTimeOverTargetUtilisationRoundedUp(double rps, long nanos, int replicas) {
    ModelDemand d = new ModelDemand("m", GIB, rps, nanos, Duration.ofMillis(100), FusionProfile.NONE);
    assertEquals(replicas, placement.replicasWanted(d));
    List<GpuInfo> gpus = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      gpus.add(gpuInfo(i, 16 * GIB));
    }
    PlacementResult r = placement.place(PlacementPlan.EMPTY, gpus, List.of(d));
    assertEquals(replicas, r.plan().replicasOf("m").size(), "one replica per GPU, on distinct GPUs");
    assertEquals(List.of(), r.shortfalls());
  }

  @Test
  void moreReplicasThanGpusPlacesOnePerGpuAndReportsTheRest() {
    // utilisation 2.0 wants 3 replicas; two GPUs give two, each carrying 1.0, past the target.
    PlacementResult r = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB)),
        List.of(model("hot", GIB, 2.0)));
    assertEquals(List.of(gpu(1), gpu(2)), r.plan().replicasOf("hot"));
    assertEquals(List.of(Shortfall.Reason.NO_GPU_WITH_ENOUGH_MEMORY, Shortfall.Reason.OVER_TARGET_UTILISATION),
        r.shortfalls().stream().map(Shortfall::reason).toList());
    assertEquals(3, r.shortfalls().get(0).replicasWanted());
    assertEquals(2, r.shortfalls().get(0).replicasPlaced());
  }

  @Test
  void loadIsSoftAModelPastTheTargetIsStillServedAndReported() {
    PlacementResult r = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB)),
        List.of(model("a", 2 * GIB, 0.5), model("b", GIB, 0.5)));
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("a"));
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("b"));
    assertEquals(1, r.shortfalls().size());
    assertEquals("b", r.shortfalls().get(0).model());
    assertEquals(Shortfall.Reason.OVER_TARGET_UTILISATION, r.shortfalls().get(0).reason());
  }

  @Test
  void aModelGoesToTheGpuWhoseModelsItsKernelsFuseWith() {
    // Placed largest first: gemmA (node1, all empty), conv (node2: same affinity 0, lower load),
    // then gemmB: node1 hosts a model with identical fusion keys, node3 is empty and idle.
    PlacementResult r = placement.place(PlacementPlan.EMPTY,
        List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB), gpuInfo(3, 16 * GIB)),
        List.of(model("gemmA", 3 * GIB, 0.2, ALL_GEMM), model("conv", 2 * GIB, 0.2, ALL_CONV),
            model("gemmB", GIB, 0.2, ALL_GEMM)));
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("gemmA"));
    assertEquals(List.of(gpu(2)), r.plan().replicasOf("conv"));
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("gemmB"));
  }

  @Test
  void placingAgainWithTheSameInputsChangesNothing() {
    List<GpuInfo> gpus = List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB), gpuInfo(3, 16 * GIB));
    List<ModelDemand> models = List.of(model("gemmA", 3 * GIB, 0.2, ALL_GEMM), model("conv", 2 * GIB, 0.2, ALL_CONV),
        model("gemmB", GIB, 0.2, ALL_GEMM), model("hot", GIB, 1.5, ALL_CONV));
    PlacementPlan first = placement.place(PlacementPlan.EMPTY, gpus, models).plan();
    PlacementResult again = placement.place(first, gpus, models);
    assertSame(first, again.plan());
    assertEquals(List.of(), again.actions());
  }

  @Test
  void pastTheTargetBalanceWinsOverFusionWhenAGpuJoins() {
    List<ModelDemand> models = List.of(model("g1", GIB, 0.4, ALL_GEMM), model("g2", GIB, 0.4, ALL_GEMM));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB)), models).plan();
    PlacementResult r = placement.place(before, List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB)), models);
    assertEquals(List.of(new LoadOn(gpu(2), "g1"), new UnloadFrom(gpu(1), "g1")), r.actions());
  }

  @Test
  void withinTheTargetFusedModelsStayTogetherWhenAGpuJoins() {
    List<ModelDemand> models = List.of(model("g1", GIB, 0.3, ALL_GEMM), model("g2", GIB, 0.3, ALL_GEMM));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB)), models).plan();
    PlacementResult r = placement.place(before, List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB)), models);
    assertEquals(List.of(), r.actions());
  }

  @Test
  void fusionAffinityNeverPushesAGpuPastTheTargetWhenAnotherHasRoom() {
    PlacementResult r = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB)),
        List.of(model("gemmA", 3 * GIB, 0.6, ALL_GEMM), model("gemmB", GIB, 0.2, ALL_GEMM)));
    assertEquals(List.of(gpu(2)), r.plan().replicasOf("gemmB"));
  }

  @Test
  void aGpuJoiningALoadedClusterTakesOneReplicaUntilTheGapIsWithinTheThreshold() {
    List<ModelDemand> models = List.of(model("a", GIB, 0.2), model("b", GIB, 0.2), model("c", GIB, 0.2));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB)), models).plan();
    assertEquals(3, before.modelsOn(gpu(1)).size());

    // Gap 0.6 - 0 > 0.2: moving a 0.2 share best halves it; then 0.4 - 0.2 is not > 0.2, so one move.
    PlacementResult r = placement.place(before, List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB)), models);
    assertEquals(List.of(new LoadOn(gpu(2), "a"), new UnloadFrom(gpu(1), "a")), r.actions(),
        "load on the newcomer before unloading the old copy, so 'a' always has a replica");
    assertEquals(List.of(gpu(2)), r.plan().replicasOf("a"));
    assertEquals(List.of("b", "c"), r.plan().modelsOn(gpu(1)));
    assertEquals(before.version() + 1, r.plan().version());
  }

  @Test
  void aGpuJoiningAnIdleClusterMovesNothing() {
    List<ModelDemand> models = List.of(model("a", GIB, 0.0), model("b", GIB, 0.05));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB)), models).plan();
    PlacementResult r = placement.place(before, List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB)), models);
    assertSame(before, r.plan(), "an unchanged plan keeps its version");
    assertEquals(List.of(), r.actions());
  }

  @Test
  void aGpuThatLeavesHasItsModelsReplacedOnSurvivorsWithoutActionsForTheDeadGpu() {
    List<GpuInfo> three = List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB), gpuInfo(3, 16 * GIB));
    List<ModelDemand> models = List.of(model("a", 3 * GIB, 0.3), model("b", 2 * GIB, 0.3), model("c", GIB, 0.3));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, three, models).plan();
    assertEquals(List.of(gpu(2)), before.replicasOf("b"));

    // Equal utilisation after either survivor (0.6); node3 holds the smaller model, so more is free there.
    PlacementResult r = placement.place(before, List.of(three.get(0), three.get(2)), models);
    assertEquals(List.of(new LoadOn(gpu(3), "b")), r.actions(), "only what must move moves");
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("a"));
    assertEquals(List.of(gpu(3)), r.plan().replicasOf("c"));
  }

  @Test
  void aDrainingGpuKeepsServingUntilItsModelsAreLoadedElsewhere() {
    List<ModelDemand> models = List.of(model("a", GIB, 0.1), model("b", GIB, 0.1));
    List<GpuInfo> one = List.of(gpuInfo(1, 16 * GIB));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, one, models).plan();
    PlacementResult r = placement.place(before,
        List.of(gpuInfo(1, 16 * GIB).withState(GpuInfo.State.DRAINING), gpuInfo(2, 16 * GIB)), models);
    assertEquals(List.of(new LoadOn(gpu(2), "a"), new LoadOn(gpu(2), "b"),
        new UnloadFrom(gpu(1), "a"), new UnloadFrom(gpu(1), "b")), r.actions());
  }

  @Test
  void unloadingAModelUnloadsEveryReplicaFirstAndLeavesTheOthersInPlace() {
    List<GpuInfo> gpus = List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, gpus,
        List.of(model("gone", GIB, 1.0), model("stays", 2 * GIB, 0.1))).plan();
    assertEquals(2, before.replicasOf("gone").size());
    PlacementResult r = placement.place(before, gpus, List.of(model("stays", 2 * GIB, 0.1)));
    assertEquals(List.of(new UnloadFrom(gpu(1), "gone"), new UnloadFrom(gpu(2), "gone")), r.actions());
    assertEquals(before.replicasOf("stays"), r.plan().replicasOf("stays"));
    assertEquals(List.of("stays"), List.copyOf(r.plan().replicas().keySet()));
  }

  @Test
  void whenLoadFallsSurplusReplicasLeaveTheBusiestGpuFirst() {
    List<GpuInfo> gpus = List.of(gpuInfo(1, 16 * GIB), gpuInfo(2, 16 * GIB));
    PlacementPlan before = placement.place(PlacementPlan.EMPTY, gpus,
        List.of(model("hot", GIB, 1.0), model("other", 2 * GIB, 0.3))).plan();
    assertEquals(List.of(gpu(1)), before.replicasOf("other"));
    PlacementResult r = placement.place(before, gpus, List.of(model("hot", GIB, 0.5), model("other", 2 * GIB, 0.3)));
    assertEquals(List.of(new UnloadFrom(gpu(1), "hot")), r.actions());
  }

  @Test
  void theSameInputsInAnyOrderGiveTheSamePlanAndActions() {
    List<GpuInfo> gpus = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      gpus.add(gpuInfo(i, (8 + i % 3 * 4) * GIB));
    }
    List<ModelDemand> models = new ArrayList<>();
    Random rnd = new Random(7);
    for (int i = 0; i < 12; i++) {
      models.add(model("m" + i, (1 + rnd.nextInt(4)) * GIB, rnd.nextDouble() * 1.2, i % 2 == 0 ? ALL_GEMM : ALL_CONV));
    }
    PlacementResult expected = placement.place(PlacementPlan.EMPTY, gpus, models);
    for (int seed = 0; seed < 20; seed++) {
      List<GpuInfo> g = new ArrayList<>(gpus);
      List<ModelDemand> m = new ArrayList<>(models);
      Collections.shuffle(g, new Random(seed));
      Collections.shuffle(m, new Random(seed + 100));
      assertEquals(expected, placement.place(PlacementPlan.EMPTY, g, m), "seed " + seed);
    }
  }

  @Test
  void aModelSlowerThanItsSloIsPlacedAndReported() {
    ModelDemand slow = new ModelDemand("slow", GIB, 1, 60_000_000, Duration.ofMillis(50), FusionProfile.NONE);
    PlacementResult r = placement.place(PlacementPlan.EMPTY, List.of(gpuInfo(1, 16 * GIB)), List.of(slow));
    assertEquals(List.of(gpu(1)), r.plan().replicasOf("slow"));
    assertEquals(Shortfall.Reason.SLO_UNREACHABLE, r.shortfalls().get(0).reason());
  }
}
