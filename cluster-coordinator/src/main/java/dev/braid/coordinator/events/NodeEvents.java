package dev.braid.coordinator.events;

import com.typesafe.config.Config;
import dev.braid.gpu.engine.EngineListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This node's event stream (config key {@value #FILE_KEY}, {@code braid serve --events FILE}): one
 * JSON object per line, {@code {"t_ms":<epoch ms>,"node":"<cluster host:port>","event":"<kind>",
 * ...}}, for a fault harness to learn what each node did and when, without parsing logs. Kinds and
 * their fields:
 *
 * <ul>
 *   <li>{@code started} {roles}: the node joined the cluster and serves;
 *   <li>{@code coordinator-started}, {@code coordinator-stopped}: the coordinator singleton, here;
 *   <li>{@code placement} {table_version, models, actions}: this node's coordinator sent loads,
 *       unloads or drains (one event per reconcile that sent any) and published that table;
 *   <li>{@code executed} {model, request_id, gpu}: a request's first kernel was launched here
 *       (request_id: the client's Open Inference Protocol {@code id}, "" for none);
 *   <li>{@code cancel-received} {model, request_id, gpu, stage}: the GPU's engine took in the
 *       client's cancel of a request; written in order with {@code executed} (same thread), so an
 *       {@code executed} line for the id after it means the request was launched after its cancel.
 *       stage: where it was then: queued (never launched after this), started (its batch's rows are
 *       on the device: it runs with its batchmates if any still wait), launched, answered;
 *   <li>{@code member-unreachable}, {@code member-reachable}, {@code member-removed} {member}: as
 *       this node sees the cluster;
 *   <li>{@code self-downed} {why}: this node learned it was downed (or must assume so);
 *   <li>{@code exiting} {reason, detail}: the node shuts down: {@code leave} (SIGTERM, a drain),
 *       {@code downed}, {@code fenced} (paused past the downing time), {@code left} (cluster leave).
 * </ul>
 *
 * Readers must ignore kinds they do not know and tolerate a torn last line. Off (every call a
 * no-op) when the key is empty. Thread-safe; a call costs one bounded-queue offer ({@link EventLog}).
 */
public final class NodeEvents implements Extension {
  /** Where events go; empty for nowhere. */
  public static final String FILE_KEY = "braid.events.file";

  private static final ExtensionId<NodeEvents> ID = new ExtensionId<>() {
    @Override
    public NodeEvents createExtension(ActorSystem<?> system) {
      return NodeEvents.create(system.settings().config(), () -> hostPort(Cluster.get(system).selfMember().address()));
    }
  };

  private static final NodeEvents OFF = new NodeEvents(null, "");

  private final EventLog log;
  private final String node;

  private NodeEvents(EventLog log, String node) {
    this.log = log;
    this.node = node;
  }

  /** The system's stream (opened on first use, from the system's configuration). */
  public static NodeEvents of(ActorSystem<?> system) {
    return ID.apply(system);
  }

  static NodeEvents create(Config config, java.util.function.Supplier<String> node) {
    String file = config.hasPath(FILE_KEY) ? config.getString(FILE_KEY).trim() : "";
    if (file.isEmpty()) {
      return OFF;
    }
    try {
      return new NodeEvents(new EventLog(Path.of(file), EventLog.CAPACITY), node.get());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(FILE_KEY + ": cannot open the event stream '" + file + "' for appending: " + e,
          e);
    }
  }

  /** {@code host:port} of a cluster address, as events name nodes. */
  public static String hostPort(Address a) {
    return a.host().isDefined() ? a.host().get() + ":" + a.port().get() : a.toString();
  }

  public boolean enabled() {
    return log != null;
  }

  /** Events dropped because the writer was behind. */
  public long dropped() {
    return log == null ? 0 : log.dropped();
  }

  public void started(Collection<String> roles) {
    emit("started", "roles", List.copyOf(roles));
  }

  public void coordinatorStarted() {
    emit("coordinator-started");
  }

  public void coordinatorStopped() {
    emit("coordinator-stopped");
  }

  /** This node's coordinator sent {@code actions} ("load m to gpu") about {@code models} and published {@code tableVersion}. */
  public void placement(long tableVersion, Collection<String> models, Collection<String> actions) {
    emit("placement", "table_version", tableVersion, "models", List.copyOf(models), "actions", List.copyOf(actions));
  }

  public void executed(String model, String requestId, String gpu) {
    emit("executed", "model", model, "request_id", requestId, "gpu", gpu);
  }

  /**
   * {@code gpu}'s engine took in the client's cancel of {@code requestId} (in order with its
   * executed events); {@code stage}: queued, started, launched or answered.
   */
  public void cancelReceived(String model, String requestId, String gpu, String stage) {
    emit("cancel-received", "model", model, "request_id", requestId, "gpu", gpu, "stage", stage);
  }

  /** A cluster event about another member: {@code kind} is member-unreachable, member-reachable or member-removed. */
  public void member(String kind, String member) {
    emit(kind, "member", member);
  }

  public void selfDowned(String why) {
    emit("self-downed", "why", why);
  }

  public void exiting(String reason, String detail) {
    emit("exiting", "reason", reason, "detail", detail);
  }

  /**
   * The engine listener for GPU {@code gpu}: {@code metrics} (or {@link EngineListener#NONE}) and,
   * when the stream is on, an {@code executed} event for each request launched.
   */
  public EngineListener engineListener(String gpu, EngineListener metrics) {
    return enabled() ? new ExecutedEvents(this, gpu, metrics) : metrics;
  }

  /** Writes what is queued and closes the file (the node is stopping). */
  public void close() {
    if (log != null) {
      log.close();
    }
  }

  private void emit(String kind, Object... fields) {
    if (log == null) {
      return;
    }
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("t_ms", System.currentTimeMillis());
    line.put("node", node);
    line.put("event", kind);
    for (int i = 0; i < fields.length; i += 2) {
      line.put((String) fields[i], fields[i + 1]);
    }
    log.append(line);
  }
}
