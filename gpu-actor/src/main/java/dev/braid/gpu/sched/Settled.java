package dev.braid.gpu.sched;

import java.util.List;

/**
 * What settling one launch did to its jobs: those whose last op it was finished; those that
 * failed (with it, or cancelled while it ran) are reported with their reason. Jobs of the launch
 * in neither list advanced to their next op.
 */
public record Settled(List<Job> finished, List<FailedJob> failed) {
  public Settled {
    finished = List.copyOf(finished);
    failed = List.copyOf(failed);
  }
}
