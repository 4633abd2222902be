package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cluster.ClusterView.Gpu;
import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.coordinator.placement.Shortfall;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** When the coordinator's callers get their answers, and which, without an actor system. */
class WaitersTest {
  final ActorRef<GpuWire.Command> r1 = ClusterViewTest.ref();
  final ActorRef<GpuWire.Command> r2 = ClusterViewTest.ref();
  final ActorRef<CoordinatorWire.ModelReply> caller = TestInbox.<CoordinatorWire.ModelReply>create().getRef();
  final ClusterView view = new ClusterView();
  final Waiters waiters = new Waiters();

  WaitersTest() {
    view.listed(Set.of(r1, r2), r -> false);
    view.report(r1, ClusterViewTest.report("n1", false, true));
    view.report(r2, ClusterViewTest.report("n2", false, true));
  }

  Model waitingFor(String name) {
    Model m = new Model(name, 100, FusionProfile.NONE);
    m.waiting.add(caller);
    view.models.put(name, m);
    return m;
  }

  /** The GPUs of {@code refs} hold {@code model} and are asked to unload it. */
  @SafeVarargs
  final void holding(String model, ActorRef<GpuWire.Command>... refs) {
    for (ActorRef<GpuWire.Command> r : refs) {
      view.gpus.get(r).loaded.put(model, ClusterViewTest.info(model, 0));
      view.gpus.get(r).unloading.add(model);
    }
  }

  List<String> codes(List<Waiters.Answer<?>> answers) {
    return answers.stream().map(a -> ((CoordinatorWire.ModelReply) a.reply()).code()).toList();
  }

  @Test
  void aLoadWaitsWhileAGpuLoadsItThenHearsOkWithTheVersion() {
    Model m = waitingFor("a");
    Gpu g = view.gpus.get(r1);
    g.loading.add("a");
    assertEquals(List.of(), waiters.loadsAndUnloadsDue(view, List.of()), "still loading");
    view.loaded(g, "a", new GpuWire.ModelInfo("a", 7, 100, 1_000_000, 8, 0));
    List<Waiters.Answer<?>> due = waiters.loadsAndUnloadsDue(view, List.of());
    assertEquals(List.of("OK"), codes(due));
    assertEquals(7, ((CoordinatorWire.ModelReply) due.get(0).reply()).version());
    assertEquals(List.of(), m.waiting, "answered once");
  }

  @Test
  void aLoadThatFailedEverywhereHearsWhyAndOneNothingCanPlaceHearsTheShortfall() {
    Model a = waitingFor("a");
    a.failure = "corrupt initializer 'w'";
    waitingFor("b");
    waitingFor("c");
    List<Shortfall> shortfalls = List.of(new Shortfall("b", Shortfall.Reason.NO_GPU_WITH_ENOUGH_MEMORY, 1, 0,
        "model 'b' needs 9 GiB; the largest GPU has 8 GiB"));
    List<Waiters.Answer<?>> due = waiters.loadsAndUnloadsDue(view, shortfalls);
    assertEquals(List.of("FAILED_PRECONDITION", "UNAVAILABLE"), codes(due),
        "c has neither a failure nor a shortfall: it waits");
    assertEquals("model 'b' needs 9 GiB; the largest GPU has 8 GiB",
        ((CoordinatorWire.ModelReply) due.get(1).reply()).message());
  }

  @Test
  void anUnloadIsAnsweredOnceEveryGpuAskedAnsweredOrLeft() {
    holding("a", r1, r2);
    waiters.unload("a", caller, List.of(view.gpus.get(r1), view.gpus.get(r2)));
    waiters.unloadAnswered("a", r1, true);
    assertEquals(List.of(), waiters.loadsAndUnloadsDue(view, List.of()));
    waiters.gpusRemain(Set.of(r1));
    assertEquals(List.of("OK"), codes(waiters.loadsAndUnloadsDue(view, List.of())));
    assertEquals(List.of(), waiters.loadsAndUnloadsDue(view, List.of()), "answered once");
  }

  @Test
  void twoOverlappingUnloadsOfOneModelAreBothAnswered() {
    // Unload a, load it again and unload it again before the first unload's GPUs answered.
    ActorRef<CoordinatorWire.ModelReply> first = TestInbox.<CoordinatorWire.ModelReply>create().getRef();
    holding("a", r1, r2);
    waiters.unload("a", first, List.of(view.gpus.get(r1)));
    waiters.unload("a", caller, List.of(view.gpus.get(r2)));
    view.unloaded(r2, "a", true);
    waiters.unloadAnswered("a", r2, true);
    assertEquals(List.of(), waiters.loadsAndUnloadsDue(view, List.of()), "r1 has not answered the first yet");
    view.unloaded(r1, "a", true);
    waiters.unloadAnswered("a", r1, true);
    List<Waiters.Answer<?>> due = waiters.loadsAndUnloadsDue(view, List.of());
    assertEquals(List.of("OK", "OK"), codes(due));
    assertEquals(Set.of(first, caller), Set.of(due.get(0).to(), due.get(1).to()), "each caller answered");
  }

  @Test
  void anUnloadThatTimedOutIsNotTakenAsDoneAndIsSentAgain() {
    holding("a", r1);
    waiters.unload("a", caller, List.of(view.gpus.get(r1)));
    view.unloaded(r1, "a", false);
    waiters.unloadAnswered("a", r1, false);
    Gpu g = view.gpus.get(r1);
    assertTrue(g.loaded.containsKey("a"), "no answer: it may still hold the model");
    assertFalse(g.unloading.contains("a"), "so the next reconcile sends the unload again");
    assertEquals(List.of(), waiters.loadsAndUnloadsDue(view, List.of()), "not answered as done");
    view.report(r1, ClusterViewTest.report("n1", false, true)); // it reports the model gone
    assertEquals(List.of("OK"), codes(waiters.loadsAndUnloadsDue(view, List.of())));
  }

  @Test
  void aDrainIsAnsweredOnceEveryGpuOfTheNodeIsDrained() {
    waiters.drain("n1", TestInbox.<CoordinatorWire.DrainReply>create().getRef());
    Gpu g = view.gpus.get(r1);
    g.draining = true;
    assertEquals(List.of(), waiters.drainsDue(view));
    g.drained = true;
    List<Waiters.Answer<?>> due = waiters.drainsDue(view);
    assertEquals(1, due.size());
    assertEquals(true, ((CoordinatorWire.DrainReply) due.get(0).reply()).safeToRemove());
    assertEquals(List.of(), waiters.drainsDue(view), "answered once");
  }

  @Test
  void aDrainSurvivesItsNodeBlippingUnreachableAndReturning() {
    ActorRef<CoordinatorWire.DrainReply> operator = TestInbox.<CoordinatorWire.DrainReply>create().getRef();
    view.drain("n1");
    waiters.drain("n1", operator);
    // n1 is unreachable a moment: the Receptionist lists only the GPUs of reachable nodes.
    view.listed(Set.of(r2), r -> false);
    // It returns, as a new GPU to the view, and reports; its drain was not sent yet (its models
    // were still to move), so it does not report draining by itself.
    view.listed(Set.of(r1, r2), r -> false);
    view.report(r1, ClusterViewTest.report("n1", false, true));
    Gpu g = view.gpus.get(r1);
    assertTrue(g.draining, "the operator's drain still holds for the node's GPUs");
    assertEquals(List.of(), waiters.drainsDue(view));
    view.drainAnswered(r1, true);
    assertEquals(1, waiters.drainsDue(view).size());
  }

  @Test
  void aDrainedNodeAwayIsNotAnsweredAsDrainedButOneThatLeftTheClusterIs() {
    waiters.drain("n1", TestInbox.<CoordinatorWire.DrainReply>create().getRef());
    view.drain("n1");
    view.listed(Set.of(r2), r -> false); // n1 unreachable: its GPU is not listed
    assertEquals(List.of(), waiters.drainsDue(view), "away, not drained: it may return with its work");
    List<Waiters.Answer<?>> due = waiters.nodeRemoved("n1");
    assertEquals(1, due.size(), "removed from the cluster: nothing of it is left to drain");
    assertTrue(((CoordinatorWire.DrainReply) due.get(0).reply()).safeToRemove());
  }

  @Test
  void aPolicyChangeIsAcceptedOnlyWhenEveryGpuAccepted() {
    CoordinatorWire.PolicyResult ok = CoordinatorReplies.policyResult("space-time",
        List.of(new GpuWire.PolicyReply("n1#0", true, ""), new GpuWire.PolicyReply("n2#0", true, "")));
    assertEquals(true, ok.accepted());
    assertEquals("policy space-time set on 2 GPU(s)", ok.message());
    CoordinatorWire.PolicyResult refused = CoordinatorReplies.policyResult("x",
        List.of(new GpuWire.PolicyReply("n1#0", true, ""),
            new GpuWire.PolicyReply("n2#0", false, "unknown policy 'x'")));
    assertEquals(false, refused.accepted());
    assertEquals("n2#0: unknown policy 'x'", refused.message());
  }
}
