package dev.braid.gpu.sched;

/** Why a job failed, grouped by the phase of a launch's life in which it happened. */
public enum FailureReason {
  /** Its deadline passed (or would, by prediction) before its next op could start. */
  TOO_LATE(Phase.PLANNING),
  /** The device could not allocate the launch's workspace. */
  OUT_OF_MEMORY(Phase.LAUNCH),
  /** The device refused the launch's arguments. */
  INVALID_LAUNCH(Phase.LAUNCH),
  /** The kernel failed while running, or the device was lost. */
  DEVICE_FAILED(Phase.EXECUTION),
  /** The client or the owner withdrew the job. */
  CANCELLED(Phase.CONTROL),
  /** The model was unloaded or the node is shutting down. */
  UNLOADED(Phase.CONTROL);

  /** The phase of a launch's life a failure belongs to. */
  public enum Phase {
    /** Decided by the scheduler before launching. */
    PLANNING,
    /** Raised by the device when the launch was issued. */
    LAUNCH,
    /** Raised by the device while the launch ran. */
    EXECUTION,
    /** Requested from outside the scheduler. */
    CONTROL
  }

  private final Phase phase;

  FailureReason(Phase phase) {
    this.phase = phase;
  }

  public Phase phase() {
    return phase;
  }
}
