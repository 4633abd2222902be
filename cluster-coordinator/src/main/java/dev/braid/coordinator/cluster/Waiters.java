package dev.braid.coordinator.cluster;

import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.placement.Shortfall;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The {@link Coordinator}'s callers that wait for an answer, and when each gets one: a load until
 * its model serves or cannot ({@link CoordinatorReplies#loadAnswer}), an unload until every GPU
 * that held the model answered or left, a drain until every GPU of the node is drained or the
 * node left the cluster. Bookkeeping only: it returns the {@link Answer}s due and the coordinator sends them.
 *
 * <p>A load's waiters sit with their model ({@link Model#waiting}), so that an unload of the model
 * answers them too.
 */
final class Waiters {
  /** One reply due to one caller. */
  record Answer<T>(ActorRef<T> to, T reply) {
    void send() {
      to.tell(reply);
    }
  }

  /**
   * The unloads of one model that wait for its GPUs: an unload asked while another of the model
   * waits (the model loaded again in between, or asked twice) joins it, and every caller hears the
   * answer once every GPU either was asked answered.
   */
  private record Unloading(List<ActorRef<CoordinatorWire.ModelReply>> callers,
      Set<ActorRef<GpuWire.Command>> pending) {}

  private final Map<String, Unloading> unloads = new HashMap<>();
  private final Map<String, List<ActorRef<CoordinatorWire.DrainReply>>> drains = new HashMap<>();

  /** {@code replyTo} waits until the GPUs in {@code holding} have unloaded {@code model}. */
  void unload(String model, ActorRef<CoordinatorWire.ModelReply> replyTo, List<ClusterView.Gpu> holding) {
    Unloading u = unloads.computeIfAbsent(model, m -> new Unloading(new ArrayList<>(), new HashSet<>()));
    u.callers().add(replyTo);
    holding.forEach(g -> u.pending().add(g.ref));
  }

  /** Whether an unload of {@code model} waits for its GPUs (another unload of it joins that one). */
  boolean unloading(String model) {
    return unloads.containsKey(model);
  }

  /**
   * {@code gpu} answered its unload of {@code model}; one that did not ({@code answered} false) is
   * still waited for: the coordinator asks it again, or its report shows the model gone.
   */
  void unloadAnswered(String model, ActorRef<GpuWire.Command> gpu, boolean answered) {
    Unloading u = unloads.get(model);
    if (u != null && answered) {
      u.pending().remove(gpu);
    }
  }

  /** Only the GPUs in {@code remaining} are still in the cluster: no unload waits for another. */
  void gpusRemain(Set<ActorRef<GpuWire.Command>> remaining) {
    unloads.values().forEach(u -> u.pending().retainAll(remaining));
  }

  /** {@code replyTo} waits until the node at {@code address} is drained. */
  void drain(String address, ActorRef<CoordinatorWire.DrainReply> replyTo) {
    drains.computeIfAbsent(address, a -> new ArrayList<>()).add(replyTo);
  }

  /**
   * The answers due to loads (see {@link CoordinatorReplies#loadAnswer}) and to unloads whose GPUs
   * all answered; those answered wait no more.
   */
  List<Answer<?>> loadsAndUnloadsDue(ClusterView view, List<Shortfall> shortfalls) {
    List<Answer<?>> due = new ArrayList<>();
    for (Model m : view.models.values()) {
      if (!m.waiting.isEmpty()) {
        CoordinatorReplies.loadAnswer(m, view, shortfalls).ifPresent(reply -> {
          m.waiting.forEach(w -> due.add(new Answer<>(w, reply)));
          m.waiting.clear();
        });
      }
    }
    unloads.entrySet().removeIf(e -> {
      // A GPU that left, or that neither holds the model nor is unloading it (its report says it
      // is gone), is not waited for.
      e.getValue().pending().removeIf(ref -> {
        ClusterView.Gpu g = view.gpus.get(ref);
        return g == null || !g.loaded.containsKey(e.getKey()) && !g.unloading.contains(e.getKey());
      });
      if (!e.getValue().pending().isEmpty()) {
        return false;
      }
      CoordinatorWire.ModelReply reply = CoordinatorReplies.unloaded(e.getKey());
      e.getValue().callers().forEach(c -> due.add(new Answer<>(c, reply)));
      return true;
    });
    return due;
  }

  /**
   * The answers due to drains whose node's GPUs are all drained (see {@link
   * CoordinatorReplies#drainAnswer}); those answered wait no more.
   */
  List<Answer<?>> drainsDue(ClusterView view) {
    List<Answer<?>> due = new ArrayList<>();
    drains.entrySet().removeIf(e -> CoordinatorReplies.drainAnswer(e.getKey(), view.onNode(e.getKey()))
        .map(reply -> {
          e.getValue().forEach(r -> due.add(new Answer<>(r, reply)));
          return true;
        }).orElse(false));
    return due;
  }

  /** The node at {@code address} left the cluster: the answers due to its drains (nothing of it is left). */
  List<Answer<?>> nodeRemoved(String address) {
    List<ActorRef<CoordinatorWire.DrainReply>> waiting = drains.remove(address);
    if (waiting == null) {
      return List.of();
    }
    CoordinatorWire.DrainReply reply = CoordinatorReplies.leftWhileDraining(address);
    return waiting.stream().<Answer<?>>map(r -> new Answer<>(r, reply)).toList();
  }
}
