package dev.braid.gpu.sched;

/**
 * A job's progress inside a {@link SpaceTimeScheduler}. Lifecycle: waiting (no op in flight) ->
 * running (op {@code nextOp} in flight) -> waiting at {@code nextOp + 1} ... -> removed (finished,
 * failed or cancelled). Invariant: {@code 0 <= nextOp < plan size} while held; at most one op in
 * flight; {@code ready} is non-null exactly while the job is in its scheduler's {@link ReadySet}
 * (waiting and not cancelled), and then is op {@code nextOp}.
 */
final class JobState {
  final Job job;
  int nextOp;
  /** The launch running op {@code nextOp}, or -1. */
  long launchId = -1;
  /** Cancelled while its op was in flight: reported when that launch settles. */
  boolean cancelled;
  /** When op {@code nextOp} became ready: the job's admission, then its previous op's end. */
  long readySinceNanos;
  /** Op {@code nextOp} while the job is ready (made once per op, not per decision), else null. */
  OpRef ready;
  /** The job's position in the ready ops of the latest decision ({@link ReadySet#order}). */
  int position;
  /** The fusion bucket of op {@code nextOp} while ready and keyed, else null. */
  ReadySet.Bucket bucket;
  /** The job's index among {@code bucket}'s members. */
  int bucketIndex;

  JobState(Job job) {
    this.job = job;
    this.readySinceNanos = job.admittedNanos();
  }

  boolean inFlight() {
    return launchId >= 0;
  }
}
