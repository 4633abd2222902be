package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.time.ManualNanoClock;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator against fake GPU endpoints (which answer as a real one would, with chosen
 * figures) in a one-node cluster: placement on join, re-placement when a GPU leaves or its node
 * drains, loads and unloads through the repository API, load failures, and the published table.
 */
class CoordinatorTest {
  private static final long GIB = 1L << 30;

  private ActorTestKit kit;
  private TestProbe<RoutingTableWire> frontend;

  /** What a fake GPU does; shared with the test thread. */
  static final class FakeGpu {
    final String node;
    final int ordinal;
    final long memory;
    final Set<String> failing;
    final Map<String, GpuWire.ModelInfo> loaded = new ConcurrentHashMap<>();
    final Map<String, java.util.concurrent.atomic.AtomicInteger> loadsAsked = new ConcurrentHashMap<>();
    final AtomicLong requestsPerReport = new AtomicLong();
    volatile boolean draining;
    volatile String policy = "space-time";

    FakeGpu(String node, int ordinal, long memory, Set<String> failing) {
      this.node = node;
      this.ordinal = ordinal;
      this.memory = memory;
      this.failing = failing;
    }

    String id() {
      return GpuWire.gpuId(node, ordinal);
    }

    Behavior<GpuWire.Command> behavior() {
      return Behaviors.receiveMessage(m -> {
        if (m instanceof GpuWire.Load l) {
          loadsAsked.computeIfAbsent(l.model(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
          if (failing.contains(l.model())) {
            l.replyTo().tell(new GpuWire.LoadFailed(id(), l.model(), "corrupt initializer 'w'"));
          } else {
            GpuWire.ModelInfo info = new GpuWire.ModelInfo(l.model(), 1, 100 << 20, 2_000_000, 8, 0);
            loaded.put(l.model(), info);
            l.replyTo().tell(new GpuWire.Loaded(id(), info));
          }
        } else if (m instanceof GpuWire.Unload u) {
          boolean was = loaded.remove(u.model()) != null;
          u.replyTo().tell(new GpuWire.Unloaded(id(), u.model(), was));
        } else if (m instanceof GpuWire.GetReport r) {
          loaded.replaceAll((k, v) -> new GpuWire.ModelInfo(v.name(), v.version(), v.weightsBytes(),
              v.requestNanos(), v.maxBatchSize(), v.requests() + requestsPerReport.get()));
          r.replyTo().tell(new GpuWire.Report(id(), node, ordinal, "fake", memory, 0, Map.copyOf(loaded), policy, 0,
              0, 0.1, 1.0, 0, 0, 0, draining, true, ""));
        } else if (m instanceof GpuWire.Drain d) {
          draining = true;
          d.replyTo().tell(new GpuWire.Drained(id()));
        } else if (m instanceof GpuWire.SetPolicy p) {
          boolean ok = p.policy().equals("time-only") || p.policy().equals("space-time");
          if (ok) {
            policy = p.policy();
          }
          p.replyTo().tell(new GpuWire.PolicyReply(id(), ok, ok ? "" : "unknown policy '" + p.policy() + "'"));
        }
        return Behaviors.same();
      });
    }
  }

  private static final ModelCatalog CATALOG = new ModelCatalog() {
    @Override
    public List<String> models() {
      return List.of("a", "b", "bad", "c");
    }

    @Override
    public long weightsEstimate(String model) {
      return 100 << 20;
    }
  };

  @BeforeEach
  void start() {
    Config config = ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        braid.coordinator.report-interval = 100ms
        braid.coordinator.rate-half-life = 200ms
        braid.coordinator.placement.reserve-per-gpu = 64 MiB
        """).withFallback(ConfigFactory.load());
    kit = ActorTestKit.create("coord", config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TestProbe<Object> wait = kit.createTestProbe();
    wait.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    frontend = kit.createTestProbe();
    kit.system().receptionist().tell(Receptionist.register(Coordinator.FRONTENDS, frontend.ref()));
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private ActorRef<CoordinatorWire.Command> coordinator(List<String> initial) {
    return kit.spawn(Coordinator.create(CoordinatorSettings.from(kit.system().settings().config()), CATALOG, initial));
  }

  private ActorRef<GpuWire.Command> gpu(FakeGpu g) {
    ActorRef<GpuWire.Command> ref = kit.spawn(g.behavior());
    kit.system().receptionist().tell(Receptionist.register(Coordinator.GPUS, ref));
    return ref;
  }

  /** The first table that satisfies {@code p}, within 10 s. */
  private RoutingTableWire awaitTable(Predicate<RoutingTableWire> p) {
    long giveUp = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    RoutingTableWire last = null;
    while (System.nanoTime() < giveUp) {
      last = frontend.receiveMessage(Duration.ofSeconds(10));
      if (p.test(last)) {
        return last;
      }
    }
    throw new AssertionError("no table as expected; last: " + last);
  }

  private static List<String> replicaIds(RoutingTableWire t, String model) {
    RoutingTableWire.Route r = t.models().get(model);
    return r == null ? List.of() : r.replicas().stream().map(x -> GpuWire.gpuId(x.nodeAddress(), x.ordinal())).toList();
  }

  private static boolean ready(RoutingTableWire t, String... models) {
    for (String m : models) {
      RoutingTableWire.Route r = t.models().get(m);
      if (r == null || !r.state().equals("READY")) {
        return false;
      }
    }
    return true;
  }

  @Test
  void placesTheInitialModelsAndPublishesWhereTheyServe() {
    FakeGpu g1 = new FakeGpu("pekko://braid@h1:1", 0, 8 * GIB, Set.of());
    FakeGpu g2 = new FakeGpu("pekko://braid@h2:1", 0, 8 * GIB, Set.of());
    coordinator(List.of("a", "b"));
    gpu(g1);
    gpu(g2);
    RoutingTableWire t = awaitTable(x -> ready(x, "a", "b"));
    assertEquals(1, t.models().get("a").replicas().size());
    assertEquals(1, t.models().get("b").replicas().size());
    assertEquals(1, t.models().get("a").modelVersion());
    assertEquals(2_000_000, t.models().get("a").requestNanos(), "the GPU's measured request time replaces the default");
    // Each model is loaded exactly where the table says.
    for (String m : List.of("a", "b")) {
      String where = replicaIds(t, m).get(0);
      FakeGpu holder = where.equals(g1.id()) ? g1 : g2;
      assertTrue(holder.loaded.containsKey(m), m + " on " + where);
    }
  }

  @Test
  void aModelThatFailedToLoadIsRetriedOnlyAfterTheBackOffOnTheCoordinatorsClock() throws InterruptedException {
    ManualNanoClock clock = new ManualNanoClock();
    FakeGpu g1 = new FakeGpu("pekko://braid@h1:1", 0, 8 * GIB, Set.of("bad"));
    kit.spawn(Coordinator.create(CoordinatorSettings.from(kit.system().settings().config()), CATALOG, List.of("bad"),
        clock));
    gpu(g1);
    awaitTable(x -> x.models().containsKey("bad") && x.models().get("bad").reason().contains("corrupt initializer"));
    assertEquals(1, g1.loadsAsked.get("bad").get());
    Thread.sleep(1_000); // ten report intervals, each reconciling: the clock has not moved, so no retry
    assertEquals(1, g1.loadsAsked.get("bad").get(), "retried within the back-off");

    clock.advance(Duration.ofSeconds(31));
    TestProbe<Object> wait = kit.createTestProbe();
    wait.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(2, g1.loadsAsked.get("bad").get(), "retried once the back-off passed");
      return null;
    });
  }

  @Test
  void loadAndUnloadThroughTheRepositoryApi() {
    FakeGpu g1 = new FakeGpu("pekko://braid@h1:1", 0, 8 * GIB, Set.of("bad"));
    ActorRef<CoordinatorWire.Command> c = coordinator(List.of());
    gpu(g1);
    TestProbe<CoordinatorWire.ClusterStatus> status = kit.createTestProbe();
    status.awaitAssert(Duration.ofSeconds(10), () -> {
      c.tell(new CoordinatorWire.GetStatus(status.ref()));
      assertEquals(1, status.receiveMessage().gpus().size());
      return null;
    });
    TestProbe<CoordinatorWire.ModelReply> reply = kit.createTestProbe();

    c.tell(new CoordinatorWire.LoadModel("nope", reply.ref()));
    CoordinatorWire.ModelReply notFound = reply.receiveMessage();
    assertEquals("NOT_FOUND", notFound.code());
    assertTrue(notFound.message().contains("[a, b, bad, c]"), notFound.message());

    c.tell(new CoordinatorWire.LoadModel("c", reply.ref()));
    CoordinatorWire.ModelReply ok = reply.receiveMessage(Duration.ofSeconds(10));
    assertEquals("OK", ok.code(), ok.message());
    assertEquals(1, ok.version());
    assertTrue(g1.loaded.containsKey("c"));

    c.tell(new CoordinatorWire.LoadModel("bad", reply.ref()));
    CoordinatorWire.ModelReply failed = reply.receiveMessage(Duration.ofSeconds(10));
    assertEquals("FAILED_PRECONDITION", failed.code());
    assertTrue(failed.message().contains("corrupt initializer 'w'"), failed.message());
    RoutingTableWire t = awaitTable(x -> x.models().containsKey("bad") && x.models().get("bad").state().equals("UNAVAILABLE"));
    assertTrue(t.models().get("bad").reason().contains("corrupt initializer"), t.models().get("bad").reason());

    c.tell(new CoordinatorWire.UnloadModel("c", reply.ref()));
    assertEquals("OK", reply.receiveMessage(Duration.ofSeconds(10)).code());
    assertFalse(g1.loaded.containsKey("c"));
    awaitTable(x -> !x.models().containsKey("c"));

    c.tell(new CoordinatorWire.UnloadModel("c", reply.ref()));
    assertEquals("NOT_FOUND", reply.receiveMessage().code());
  }

  @Test
  void aGpuThatLeavesHasItsModelsPlacedOnTheOthers() {
    FakeGpu g1 = new FakeGpu("pekko://braid@h1:1", 0, 8 * GIB, Set.of());
    FakeGpu g2 = new FakeGpu("pekko://braid@h2:1", 0, 8 * GIB, Set.of());
    coordinator(List.of("a", "b"));
    ActorRef<GpuWire.Command> r1 = gpu(g1);
    gpu(g2);
    awaitTable(x -> ready(x, "a", "b"));
    kit.stop(r1); // the Receptionist drops a stopped actor, as it does every actor of a removed node
    RoutingTableWire t = awaitTable(x -> ready(x, "a", "b") && replicaIds(x, "a").equals(List.of(g2.id()))
        && replicaIds(x, "b").equals(List.of(g2.id())));
    assertEquals(Set.of("a", "b"), g2.loaded.keySet());
    assertEquals(2, t.models().size());
  }

  @Test
  void aGpuThatJoinsALoadedClusterTakesReplicas() {
    FakeGpu g1 = new FakeGpu("pekko://braid@h1:1", 0, 8 * GIB, Set.of());
    coordinator(List.of("a", "b"));
    gpu(g1);
    awaitTable(x -> ready(x, "a", "b"));
    // 2 ms per request; 40 requests per 100 ms report = 400/s = 0.8 of a GPU per model.
    g1.requestsPerReport.set(40);
    FakeGpu g2 = new FakeGpu("pekko://braid@h2:1", 0, 8 * GIB, Set.of());
    gpu(g2);
    awaitTable(x -> ready(x, "a", "b") && (replicaIds(x, "a").contains(g2.id()) || replicaIds(x, "b").contains(g2.id())));
    assertFalse(g2.loaded.isEmpty(), "the new GPU took a replica");
  }

  @Test
  void drainingANodeMovesItsModelsThenReportsItSafeToRemove() {
    FakeGpu g1 = new FakeGpu("pekko://braid@h1:1", 0, 8 * GIB, Set.of());
    FakeGpu g2 = new FakeGpu("pekko://braid@h2:1", 0, 8 * GIB, Set.of());
    ActorRef<CoordinatorWire.Command> c = coordinator(List.of("a", "b"));
    gpu(g1);
    gpu(g2);
    awaitTable(x -> ready(x, "a", "b"));
    TestProbe<CoordinatorWire.DrainReply> drain = kit.createTestProbe();

    c.tell(new CoordinatorWire.DrainNode("pekko://braid@nowhere:1", drain.ref()));
    CoordinatorWire.DrainReply unknown = drain.receiveMessage();
    assertFalse(unknown.safeToRemove());
    assertTrue(unknown.message().contains("unknown node pekko://braid@nowhere:1"), unknown.message());

    c.tell(new CoordinatorWire.DrainNode(g1.node, drain.ref()));
    CoordinatorWire.DrainReply done = drain.receiveMessage(Duration.ofSeconds(10));
    assertTrue(done.safeToRemove(), done.message());
    assertTrue(g1.draining);
    assertEquals(Set.of("a", "b"), g2.loaded.keySet());
    awaitTable(x -> ready(x, "a", "b") && replicaIds(x, "a").equals(List.of(g2.id()))
        && replicaIds(x, "b").equals(List.of(g2.id())));

    TestProbe<CoordinatorWire.ClusterStatus> status = kit.createTestProbe();
    c.tell(new CoordinatorWire.GetStatus(status.ref()));
    CoordinatorWire.ClusterStatus s = status.receiveMessage();
    assertEquals(2, s.gpus().size());
    Map<String, CoordinatorWire.ModelStatus> byName = new TreeMap<>();
    s.models().forEach(m -> byName.put(m.model(), m));
    assertEquals(List.of(g2.id()), byName.get("b").replicas());
    assertEquals(1, s.nodes().size(), "one cluster member: the test's own node");
  }

  @Test
  void setPolicyReachesEveryGpuAndNamesRefusals() {
    FakeGpu g1 = new FakeGpu("pekko://braid@h1:1", 0, 8 * GIB, Set.of());
    FakeGpu g2 = new FakeGpu("pekko://braid@h2:1", 0, 8 * GIB, Set.of());
    ActorRef<CoordinatorWire.Command> c = coordinator(List.of("a"));
    gpu(g1);
    gpu(g2);
    awaitTable(x -> ready(x, "a"));
    // "*" means every GPU that has reported: wait for both reports (one may come after "a" serves).
    TestProbe<CoordinatorWire.ClusterStatus> status = kit.createTestProbe();
    status.awaitAssert(Duration.ofSeconds(10), () -> {
      c.tell(new CoordinatorWire.GetStatus(status.ref()));
      assertEquals(2, status.receiveMessage().gpus().size());
      return null;
    });
    TestProbe<CoordinatorWire.PolicyResult> reply = kit.createTestProbe();
    c.tell(new CoordinatorWire.SetPolicy("*", "time-only", reply.ref()));
    CoordinatorWire.PolicyResult all = reply.receiveMessage();
    assertTrue(all.accepted(), all.message());
    assertEquals(2, all.replies().size());
    assertEquals("time-only", g1.policy);
    assertEquals("time-only", g2.policy);

    c.tell(new CoordinatorWire.SetPolicy(g1.id(), "fastest", reply.ref()));
    CoordinatorWire.PolicyResult refused = reply.receiveMessage();
    assertFalse(refused.accepted());
    assertTrue(refused.message().contains("unknown policy 'fastest'"), refused.message());

    c.tell(new CoordinatorWire.SetPolicy("pekko://braid@h9:1#0", "time-only", reply.ref()));
    assertTrue(reply.receiveMessage().message().contains("no GPU pekko://braid@h9:1#0"));
  }
}
