package dev.braid.protocol.serialization;

import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The one table of classes that may cross the wire, each with the fixed Kryo id it is written
 * under. Nodes of different builds talk only if they agree on this table, so:
 *
 * <ul>
 *   <li>an id, once given, is never changed nor given to another class;
 *   <li>a class that leaves the protocol moves its id to {@link #RETIRED_IDS};
 *   <li>new classes take new ids in their block.
 * </ul>
 *
 * Blocks: 0-19 are Kryo's own (primitives and String); 20-39 JDK types; 40-59 Braid's model
 * types; 100-119 {@link InferenceWire}; 120-139 {@link RoutingTableWire}; 140-169
 * {@link GpuWire}; 170-199 {@link CoordinatorWire}. {@code WireRegistryTest}
 * pins the table.
 *
 * <p>{@link ActorRef} stands for every implementation of the typed {@code ActorRef} interface:
 * the serializer writes any of them under this id, as a path resolved on the receiving system.
 */
public final class WireRegistry {
  private WireRegistry() {}

  /** The smallest id Braid may give; Kryo's defaults sit below it. */
  public static final int FIRST_ID = 20;

  /** Ids that once named a class and must never be given again. */
  public static final Set<Integer> RETIRED_IDS = Set.of();

  private static final SortedMap<Integer, Class<?>> BY_ID;

  static {
    Builder b = new Builder();
    // JDK types. The immutable collections are what the wire records' compact constructors
    // produce (List.copyOf, Map.copyOf); their classes are JDK-private, so named by example.
    b.add(20, Duration.class);
    b.add(21, List.of().getClass()); // ImmutableCollections.ListN: 0 or >= 3 elements
    b.add(22, List.of(1).getClass()); // ImmutableCollections.List12: 1 or 2 elements
    b.add(23, Map.of().getClass()); // ImmutableCollections.MapN: 0 or >= 2 entries
    b.add(24, Map.of(1, 1).getClass()); // ImmutableCollections.Map1
    // Braid's model types.
    b.add(40, DType.class);
    b.add(41, Shape.class);
    b.add(42, Tensor.class);
    b.add(43, ActorRef.class);
    // Frontend <-> GPU actor.
    b.add(100, InferenceWire.Infer.class);
    b.add(101, InferenceWire.Completed.class);
    b.add(102, InferenceWire.Failed.class);
    b.add(103, FailureReason.class);
    b.add(104, InferenceWire.Cancel.class);
    // Coordinator -> frontends.
    b.add(120, RoutingTableWire.class);
    b.add(121, RoutingTableWire.Replica.class);
    b.add(122, RoutingTableWire.Route.class);
    // Coordinator and frontends <-> a GPU's endpoint.
    b.add(140, GpuWire.Load.class);
    b.add(141, GpuWire.Loaded.class);
    b.add(142, GpuWire.LoadFailed.class);
    b.add(143, GpuWire.Unload.class);
    b.add(144, GpuWire.Unloaded.class);
    b.add(145, GpuWire.GetReport.class);
    b.add(146, GpuWire.ModelInfo.class);
    b.add(147, GpuWire.Report.class);
    b.add(148, GpuWire.SetPolicy.class);
    b.add(149, GpuWire.PolicyReply.class);
    b.add(150, GpuWire.Drain.class);
    b.add(151, GpuWire.Drained.class);
    // Frontends and the admin service <-> the coordinator.
    b.add(170, CoordinatorWire.LoadModel.class);
    b.add(171, CoordinatorWire.UnloadModel.class);
    b.add(172, CoordinatorWire.ModelReply.class);
    b.add(173, CoordinatorWire.GetStatus.class);
    b.add(174, CoordinatorWire.ClusterStatus.class);
    b.add(175, CoordinatorWire.NodeStatus.class);
    b.add(176, CoordinatorWire.ModelStatus.class);
    b.add(177, CoordinatorWire.DrainNode.class);
    b.add(178, CoordinatorWire.DrainReply.class);
    b.add(179, CoordinatorWire.SetPolicy.class);
    b.add(180, CoordinatorWire.PolicyResult.class);
    BY_ID = Collections.unmodifiableSortedMap(b.byId);
  }

  /** Every registered class by its id, in id order. */
  public static SortedMap<Integer, Class<?>> classesById() {
    return BY_ID;
  }

  /** The id of {@code type}, or -1 when it is not registered. */
  public static int idOf(Class<?> type) {
    for (Map.Entry<Integer, Class<?>> e : BY_ID.entrySet()) {
      if (e.getValue() == type) {
        return e.getKey();
      }
    }
    return -1;
  }

  private static final class Builder {
    final TreeMap<Integer, Class<?>> byId = new TreeMap<>();
    final Map<Class<?>, Integer> byClass = new LinkedHashMap<>();

    void add(int id, Class<?> type) {
      if (id < FIRST_ID) {
        throw new IllegalStateException("wire id " + id + " for " + type.getName() + " is below " + FIRST_ID);
      }
      if (RETIRED_IDS.contains(id)) {
        throw new IllegalStateException("wire id " + id + " is retired; give " + type.getName() + " a new one");
      }
      Class<?> previous = byId.putIfAbsent(id, type);
      if (previous != null) {
        throw new IllegalStateException(
            "wire id " + id + " given to both " + previous.getName() + " and " + type.getName());
      }
      Integer previousId = byClass.putIfAbsent(type, id);
      if (previousId != null) {
        throw new IllegalStateException(type.getName() + " registered twice, as " + previousId + " and " + id);
      }
    }
  }
}
