package dev.braid.coordinator.cluster;

import static dev.braid.coordinator.cluster.ClusterViewTest.info;
import static dev.braid.coordinator.cluster.ClusterViewTest.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cluster.ClusterView.Gpu;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.time.Duration;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's asks against a probe standing in for the GPU: what each sends, what the view
 * marks under way, and the message each answer (or its absence) becomes.
 */
class GpuAsksTest {
  private static final Duration ASK = Duration.ofSeconds(3);
  private static final Duration LOAD = Duration.ofMillis(300);

  private final ActorTestKit kit = ActorTestKit.create();
  private final TestProbe<GpuWire.Command> gpu = kit.createTestProbe();
  private final TestProbe<CoordinatorWire.Command> coordinator = kit.createTestProbe();
  private final ClusterView view = new ClusterView();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  /** Runs {@code ask} on an actor's thread, as the coordinator would; what comes back goes to {@link #coordinator}. */
  private Gpu ask(BiConsumer<GpuAsks, Gpu> ask) {
    view.listed(Set.of(gpu.ref()), r -> false);
    Gpu g = view.gpus.get(gpu.ref());
    kit.spawn(Behaviors.<CoordinatorWire.Command>setup(context -> {
      ask.accept(new GpuAsks(context, view, ASK, LOAD), g);
      return Behaviors.receiveMessage(m -> {
        coordinator.ref().tell(m);
        return Behaviors.same();
      });
    }));
    return g;
  }

  @Test
  void aLoadIsMarkedLoadingAndItsAnswerComesBackAsLoadAnswered() {
    Gpu g = ask((asks, target) -> asks.load(target, "a"));
    GpuWire.Load load = gpu.expectMessageClass(GpuWire.Load.class);
    assertEquals("a", load.model());
    assertTrue(g.loading.contains("a"), "marked loading as it is asked");
    load.replyTo().tell(new GpuWire.Loaded("gpu", info("a", 0)));
    GpuAsks.LoadAnswered answered = coordinator.expectMessageClass(GpuAsks.LoadAnswered.class);
    assertEquals("a", answered.model());
    assertEquals(gpu.ref(), answered.ref());
    assertInstanceOf(GpuWire.Loaded.class, answered.reply());
    assertEquals("", answered.failure());
  }

  @Test
  void aLoadNobodyAnswersComesBackWithoutAReplyButWithTheAsksFailureAfterTheLoadTimeout() {
    ask((asks, target) -> asks.load(target, "a"));
    gpu.expectMessageClass(GpuWire.Load.class);
    GpuAsks.LoadAnswered answered = coordinator.expectMessageClass(GpuAsks.LoadAnswered.class, Duration.ofSeconds(5));
    assertNull(answered.reply());
    assertFalse(answered.failure().isEmpty(), "the ask's timeout, for the log");
  }

  @Test
  void anUnloadAndADrainAreMarkedAndTheirAnswersOrTheirAbsenceComeBack() {
    Gpu g = ask((asks, target) -> {
      asks.unload(target, "a");
      asks.drain(target);
    });
    GpuWire.Unload unload = gpu.expectMessageClass(GpuWire.Unload.class);
    GpuWire.Drain drain = gpu.expectMessageClass(GpuWire.Drain.class);
    assertTrue(g.unloading.contains("a"));
    assertTrue(g.drainSent);
    unload.replyTo().tell(new GpuWire.Unloaded("gpu", "a", true));
    assertEquals(new GpuAsks.UnloadAnswered(gpu.ref(), "a", true),
        coordinator.expectMessageClass(GpuAsks.UnloadAnswered.class));
    assertEquals(new GpuAsks.DrainAnswered(gpu.ref(), false),
        coordinator.expectMessageClass(GpuAsks.DrainAnswered.class, Duration.ofSeconds(5)), "no answer in time");
  }

  @Test
  void aReportCarriesTheNumberItWasAskedUnder() {
    view.listed(Set.of(gpu.ref()), r -> false);
    view.reportAsked(gpu.ref()); // report 1 was asked before
    ask((asks, target) -> asks.report(target));
    GpuWire.GetReport get = gpu.expectMessageClass(GpuWire.GetReport.class);
    get.replyTo().tell(report("n1", false, true));
    GpuAsks.ReportArrived arrived = coordinator.expectMessageClass(GpuAsks.ReportArrived.class);
    assertEquals(2, arrived.asked());
    assertEquals("n1", arrived.report().nodeAddress());
  }
}
