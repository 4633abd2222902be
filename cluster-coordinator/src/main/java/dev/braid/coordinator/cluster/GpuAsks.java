package dev.braid.coordinator.cluster;

import dev.braid.coordinator.cluster.ClusterView.Gpu;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The {@link Coordinator}'s asks of its GPUs: a report, a load, an unload, a drain. Each has its
 * timeout (the ask timeout for a report, the load timeout for the others), and each answer, or
 * its absence, comes back to the coordinator as one of the messages below. Each ask also marks in
 * the {@link ClusterView} what is now under way (the report's number, the model loading or
 * unloading, the drain sent), so that what was asked and what the view says is under way never
 * part. Confined to the coordinator's thread, like the view.
 *
 * <p>The messages share the coordinator's message type, hence the wire marker, but never leave
 * this node: none is registered with the serializer, so sending one remotely would fail loudly.
 */
final class GpuAsks {
  /** A GPU's report, asked as report number {@code asked} of it ({@link ClusterView#reportAsked}). */
  record ReportArrived(ActorRef<GpuWire.Command> ref, GpuWire.Report report, long asked)
      implements CoordinatorWire.Command {}

  /** A GPU did not report in time, or its ask failed ({@code why}). */
  record ReportMissing(ActorRef<GpuWire.Command> ref, String why) implements CoordinatorWire.Command {}

  /** A load's answer, {@code reply}; null with the ask's {@code failure} when none came in time. */
  record LoadAnswered(ActorRef<GpuWire.Command> ref, String model, GpuWire.LoadReply reply, String failure)
      implements CoordinatorWire.Command {}

  /** An unload's outcome: {@code answered} false when no answer came in time. */
  record UnloadAnswered(ActorRef<GpuWire.Command> ref, String model, boolean answered)
      implements CoordinatorWire.Command {}

  /** A drain's outcome: {@code drained} false when no answer came in time. */
  record DrainAnswered(ActorRef<GpuWire.Command> ref, boolean drained) implements CoordinatorWire.Command {}

  private final ActorContext<CoordinatorWire.Command> context;
  private final ClusterView view;
  private final Duration askTimeout;
  private final Duration loadTimeout;

  GpuAsks(ActorContext<CoordinatorWire.Command> context, ClusterView view, Duration askTimeout, Duration loadTimeout) {
    this.context = context;
    this.view = view;
    this.askTimeout = askTimeout;
    this.loadTimeout = loadTimeout;
  }

  /** Asks {@code g} for its report, numbered in the view: {@link ReportArrived} or {@link ReportMissing}. */
  void report(Gpu g) {
    long asked = view.reportAsked(g.ref);
    context.ask(GpuWire.Report.class, g.ref, askTimeout, GpuWire.GetReport::new,
        (report, failure) -> report != null ? new ReportArrived(g.ref, report, asked)
            : new ReportMissing(g.ref, String.valueOf(failure)));
  }

  /** Tells {@code g} to load {@code model}, which the view marks loading there: {@link LoadAnswered}. */
  void load(Gpu g, String model) {
    g.loading.add(model);
    context.ask(GpuWire.LoadReply.class, g.ref, loadTimeout, replyTo -> new GpuWire.Load(model, replyTo),
        (reply, failure) -> new LoadAnswered(g.ref, model, reply, failure == null ? "" : failure.toString()));
  }

  /** Tells {@code g} to unload {@code model}, which the view marks unloading there: {@link UnloadAnswered}. */
  void unload(Gpu g, String model) {
    g.unloading.add(model);
    context.ask(GpuWire.Unloaded.class, g.ref, loadTimeout, replyTo -> new GpuWire.Unload(model, replyTo),
        (reply, failure) -> new UnloadAnswered(g.ref, model, reply != null));
  }

  /** Tells {@code g} to drain, which the view marks sent: {@link DrainAnswered}. */
  void drain(Gpu g) {
    g.drainSent = true;
    context.getLog().info("GPU {} drains", ClusterView.describe(g));
    context.ask(GpuWire.Drained.class, g.ref, loadTimeout, GpuWire.Drain::new,
        (reply, failure) -> new DrainAnswered(g.ref, reply != null));
  }
}
