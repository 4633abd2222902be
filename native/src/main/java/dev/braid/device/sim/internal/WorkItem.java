package dev.braid.device.sim.internal;

/**
 * Work submitted to the {@link Engine}: a kernel launch or a transfer, with the state the engine
 * keeps while it runs (blocks dispatched and resident, when it became active). Confined to the
 * engine's thread; the device sees only its {@link #id()}.
 */
public final class WorkItem {
  final long id;
  final int stream;
  final KernelWork work;
  final long transferBytes;
  final boolean upload;
  final Runnable onComplete;
  /** Host time the API calls that issue it take (set at submission). */
  long hostNanos;
  int dispatched;
  int resident;
  long activationSeq;
  boolean needsFullScan;

  WorkItem(long id, int stream, KernelWork work, long transferBytes, boolean upload, Runnable onComplete) {
    this.id = id;
    this.stream = stream;
    this.work = work;
    this.transferBytes = transferBytes;
    this.upload = upload;
    this.onComplete = onComplete;
  }

  public long id() {
    return id;
  }
}
