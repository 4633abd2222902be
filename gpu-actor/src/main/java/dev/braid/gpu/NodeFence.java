package dev.braid.gpu;

import dev.braid.time.NanoClock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Whether this node may still work for its cluster, judged by its own sense of time: a node that
 * was stopped (SIGSTOP, a VM freeze, a stop-the-world pause) for longer than {@code maxPause} may
 * have been downed and replaced by the others meanwhile, without being able to hear of it yet (they
 * quarantined it). So it must not launch, place or answer anything more: it closes for good, and
 * the node leaves.
 *
 * <p>How: a watch thread stamps the time every {@link #TICK}; the fence is closed when the stamp is
 * older than {@code maxPause}. A reader checks the stamp's age itself, so the verdict is right in
 * the very first instant after a resume, before the watch thread has run again; the watch thread,
 * on its first tick after the pause, latches the fence (before it stamps again) and tells the
 * {@code onClosed} callback why. Default (never {@link #watch started}): always open.
 *
 * <p>Choosing {@code maxPause}: the others down an unreachable node once it has been unreachable
 * for the split-brain resolver's {@code stable-after}, after the failure detector's allowance; so
 * {@code maxPause <= stable-after} closes the fence before the node can have been downed. A pause
 * shorter than the failure detector's allowance never closes it. Thread-safe.
 */
public final class NodeFence implements Extension {
  /** How often the watch thread stamps: a pause is noticed within this of its end, and judged to this precision. */
  public static final Duration TICK = Duration.ofMillis(100);

  private static final ExtensionId<NodeFence> ID = new ExtensionId<>() {
    @Override
    public NodeFence createExtension(ActorSystem<?> system) {
      return new NodeFence(NanoClock.system());
    }
  };

  private final NanoClock clock;
  private volatile long maxPauseNanos = Long.MAX_VALUE;
  private volatile long stampNanos;
  private volatile String closedWhy;
  private Thread watch;

  NodeFence(NanoClock clock) {
    this.clock = clock;
    this.stampNanos = clock.nanoTime();
  }

  /** The system's one fence. */
  public static NodeFence get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /**
   * Starts judging: from now on the fence closes after a pause longer than {@code maxPause}, and
   * {@code onClosed} is called once, on the watch thread, with the reason. Once per fence.
   */
  public synchronized void watch(Duration maxPause, Consumer<String> onClosed) {
    Objects.requireNonNull(onClosed, "onClosed");
    if (maxPause.compareTo(TICK.multipliedBy(5)) < 0) {
      throw new IllegalArgumentException("max pause must be >= " + TICK.multipliedBy(5) + " (5 ticks of the watch), got "
          + maxPause);
    }
    if (watch != null) {
      throw new IllegalStateException("the node fence is already watching");
    }
    stampNanos = clock.nanoTime();
    maxPauseNanos = maxPause.toNanos();
    watch = new Thread(() -> run(onClosed), "braid-node-fence");
    watch.setDaemon(true);
    watch.start();
  }

  /** True while this node may work for the cluster. */
  public boolean isOpen() {
    return closedWhy == null && clock.nanoTime() - stampNanos <= maxPauseNanos;
  }

  /** Why the fence is closed; empty while it is open. */
  public String reason() {
    String why = closedWhy;
    if (why != null) {
      return why;
    }
    long since = clock.nanoTime() - stampNanos;
    return since <= maxPauseNanos ? "" : pausedFor(since);
  }

  /** Closes the fence for good with {@code why} (the node leaves for another reason); true if this closed it. */
  public boolean close(String why) {
    synchronized (this) {
      if (closedWhy != null) {
        return false;
      }
      closedWhy = Objects.requireNonNull(why, "why");
      return true;
    }
  }

  /** One tick of the watch: latch on a long gap, else stamp. Package-private for tests. */
  String tick() {
    long now = clock.nanoTime();
    long gap = now - stampNanos;
    if (gap > maxPauseNanos) {
      String why = pausedFor(gap);
      return close(why) ? why : null; // latched before the stamp moves: readers never see it open again
    }
    stampNanos = now;
    return null;
  }

  private String pausedFor(long gapNanos) {
    return String.format(java.util.Locale.ROOT, "this node was paused for %.1f s, longer than the %.1f s after which "
        + "the cluster may have downed it", gapNanos / 1e9, maxPauseNanos / 1e9);
  }

  private void run(Consumer<String> onClosed) {
    while (closedWhy == null) {
      try {
        Thread.sleep(TICK.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      String why = tick();
      if (why != null) {
        onClosed.accept(why);
        return;
      }
    }
  }
}
