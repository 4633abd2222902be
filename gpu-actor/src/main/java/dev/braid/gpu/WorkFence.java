package dev.braid.gpu;

import dev.braid.gpu.engine.GpuEngine;
import org.slf4j.Logger;

/**
 * One GPU actor's view of its node's {@link NodeFence}: whether it may still work, and, the first
 * time it finds the fence closed, closing its engine (queued requests answered, jobs withdrawn
 * before their next launch) with one WARN line, so that nothing more runs. Kept apart from the
 * actor so that the latch and its one-time side effect read as one rule. Confined to the actor's
 * thread.
 */
final class WorkFence {
  private final NodeFence fence;
  private final String gpu;
  private final GpuEngine engine;
  private final Logger log;
  private boolean fenced;

  WorkFence(NodeFence fence, String gpu, GpuEngine engine, Logger log) {
    this.fence = fence;
    this.gpu = gpu;
    this.engine = engine;
    this.log = log;
  }

  /** Whether the node fence is open; the first time it is found closed the engine is closed. */
  boolean open() {
    if (fence.isOpen()) {
      return true;
    }
    if (!fenced) {
      fenced = true;
      log.warn("GPU actor {} stops all work: {}", gpu, fence.reason());
      engine.close();
    }
    return false;
  }

  /** Why the fence closed; meaningful once {@link #open} said false. */
  String reason() {
    return fence.reason();
  }
}
