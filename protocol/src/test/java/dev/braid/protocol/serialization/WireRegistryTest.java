package dev.braid.protocol.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.protocol.WireMessage;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WireRegistryTest {

  /**
   * The wire table as released. Nodes of different builds interoperate only if this holds, so a
   * failure here means an id was moved or reused: add new entries, retire old ones, never edit.
   */
  @Test
  void tableIsPinned() {
    Map<Integer, String> expected = new TreeMap<>();
    expected.put(20, "java.time.Duration");
    expected.put(21, "java.util.ImmutableCollections$ListN");
    expected.put(22, "java.util.ImmutableCollections$List12");
    expected.put(23, "java.util.ImmutableCollections$MapN");
    expected.put(24, "java.util.ImmutableCollections$Map1");
    expected.put(40, "dev.braid.model.DType");
    expected.put(41, "dev.braid.model.Shape");
    expected.put(42, "dev.braid.model.Tensor");
    expected.put(43, "org.apache.pekko.actor.typed.ActorRef");
    expected.put(100, "dev.braid.protocol.cluster.InferenceWire$Infer");
    expected.put(101, "dev.braid.protocol.cluster.InferenceWire$Completed");
    expected.put(102, "dev.braid.protocol.cluster.InferenceWire$Failed");
    expected.put(103, "dev.braid.protocol.cluster.FailureReason");
    expected.put(104, "dev.braid.protocol.cluster.InferenceWire$Cancel");
    expected.put(120, "dev.braid.protocol.cluster.RoutingTableWire");
    expected.put(121, "dev.braid.protocol.cluster.RoutingTableWire$Replica");
    expected.put(122, "dev.braid.protocol.cluster.RoutingTableWire$Route");
    expected.put(140, "dev.braid.protocol.cluster.GpuWire$Load");
    expected.put(141, "dev.braid.protocol.cluster.GpuWire$Loaded");
    expected.put(142, "dev.braid.protocol.cluster.GpuWire$LoadFailed");
    expected.put(143, "dev.braid.protocol.cluster.GpuWire$Unload");
    expected.put(144, "dev.braid.protocol.cluster.GpuWire$Unloaded");
    expected.put(145, "dev.braid.protocol.cluster.GpuWire$GetReport");
    expected.put(146, "dev.braid.protocol.cluster.GpuWire$ModelInfo");
    expected.put(147, "dev.braid.protocol.cluster.GpuWire$Report");
    expected.put(148, "dev.braid.protocol.cluster.GpuWire$SetPolicy");
    expected.put(149, "dev.braid.protocol.cluster.GpuWire$PolicyReply");
    expected.put(150, "dev.braid.protocol.cluster.GpuWire$Drain");
    expected.put(151, "dev.braid.protocol.cluster.GpuWire$Drained");
    expected.put(170, "dev.braid.protocol.cluster.CoordinatorWire$LoadModel");
    expected.put(171, "dev.braid.protocol.cluster.CoordinatorWire$UnloadModel");
    expected.put(172, "dev.braid.protocol.cluster.CoordinatorWire$ModelReply");
    expected.put(173, "dev.braid.protocol.cluster.CoordinatorWire$GetStatus");
    expected.put(174, "dev.braid.protocol.cluster.CoordinatorWire$ClusterStatus");
    expected.put(175, "dev.braid.protocol.cluster.CoordinatorWire$NodeStatus");
    expected.put(176, "dev.braid.protocol.cluster.CoordinatorWire$ModelStatus");
    expected.put(177, "dev.braid.protocol.cluster.CoordinatorWire$DrainNode");
    expected.put(178, "dev.braid.protocol.cluster.CoordinatorWire$DrainReply");
    expected.put(179, "dev.braid.protocol.cluster.CoordinatorWire$SetPolicy");
    expected.put(180, "dev.braid.protocol.cluster.CoordinatorWire$PolicyResult");

    Map<Integer, String> actual = new TreeMap<>();
    WireRegistry.classesById().forEach((id, type) -> actual.put(id, type.getName()));
    assertEquals(expected, actual);
  }

  @Test
  void idsStayAboveKryosOwnAndOffTheRetiredList() {
    for (int id : WireRegistry.classesById().keySet()) {
      assertTrue(id >= WireRegistry.FIRST_ID, "id " + id);
      assertTrue(!WireRegistry.RETIRED_IDS.contains(id), "retired id " + id + " reused");
    }
  }

  @Test
  void everyClusterWireMessageIsRegistered() {
    // Every concrete WireMessage declared in the four conversation files, nested or top-level.
    List<Class<?>> messages = new ArrayList<>();
    for (Class<?> file : List.of(InferenceWire.class, RoutingTableWire.class, GpuWire.class, CoordinatorWire.class)) {
      messages.add(file);
      messages.addAll(List.of(file.getDeclaredClasses()));
    }
    messages.removeIf(c -> !WireMessage.class.isAssignableFrom(c) || c.isInterface());
    // The walk sees nested records (and so would see a new one without a pinned count).
    assertTrue(messages.contains(CoordinatorWire.PolicyResult.class) && messages.contains(RoutingTableWire.class),
        messages.toString());
    List<String> unregistered = new ArrayList<>();
    for (Class<?> c : messages) {
      if (WireRegistry.idOf(c) < WireRegistry.FIRST_ID) {
        unregistered.add(c.getName());
      }
    }
    assertEquals(List.of(), unregistered, "wire messages missing from WireRegistry");
    assertEquals(-1, WireRegistry.idOf(String.class));
  }
}
