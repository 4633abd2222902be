package dev.braid.gpu.engine;

import dev.braid.device.exec.ModelRun;
import dev.braid.device.plan.KernelPlan;
import dev.braid.gpu.batch.Batch;
import java.util.List;

/**
 * One batch from its start to its answer; {@code id} is its scheduler job's id.
 *
 * <p>Lifecycle: starting ({@code request == null}) -> admitted to the scheduler ({@code admitted})
 * -> finishing (outputs downloading) -> gone from {@link Jobs}. Invariant: while it is in {@link
 * Jobs} it counts once in its slot's {@code live}.
 */
final class JobRun {
  final long id;
  final ModelSlot slot;
  final KernelPlan plan;
  final List<Pending> members;
  final Batch batch;
  /** The started request on the device; null until the start completes. */
  ModelRun request;
  boolean admitted;
  /** Whether one of its kernels went to the device (its requests were told to the listener then). */
  boolean launched;
  /** When the batch started, on the engine's clock (for the compute time metrics report). */
  long startNanos;
  /**
   * Whether it runs one request again by itself, after a batch or super-kernel it was in met data
   * a kernel could not take ({@link Jobs#settle}); such a run is not split again.
   */
  boolean alone;

  JobRun(long id, ModelSlot slot, KernelPlan plan, List<Pending> members, Batch batch) {
    this.id = id;
    this.slot = slot;
    this.plan = plan;
    this.members = members;
    this.batch = batch;
  }
}
