package dev.braid.gpu.engine;

import dev.braid.gpu.batch.Batch;
import dev.braid.gpu.batch.Request;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a cancelled request leaves the engine ({@link GpuEngine#cancel} answers it at once): while
 * it is queued it stays in its batcher, and the batch it is released in drops it ({@link #live});
 * once its batch has started but launched nothing, the batch is withdrawn when none of its members
 * is still waiting ({@link #allAnswered}); once its batch has launched a kernel it runs with the
 * others (their rows are stacked together) and only its answer is dropped. So a request cancelled
 * before its batch formed never reaches the device.
 */
final class Cancels {
  private Cancels() {}

  /** {@code batch} without its members answered already; null when none is left. */
  static Batch live(Batch batch, Answers answers) {
    List<Request> live = new ArrayList<>(batch.requests().size());
    for (Request r : batch.requests()) {
      if (answers.get(r.id()) != null) {
        live.add(r);
      }
    }
    if (live.size() == batch.requests().size()) {
      return batch;
    }
    return live.isEmpty() ? null : new Batch(batch.model(), live, batch.formedNanos(), batch.priority());
  }

  /** Whether every member of {@code run} has been answered (nobody waits for it to run). */
  static boolean allAnswered(JobRun run) {
    for (Pending p : run.members) {
      if (!p.answered) {
        return false;
      }
    }
    return true;
  }
}
