package dev.braid.coordinator.frontend.internal;

import dev.braid.model.repo.ModelConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the front door knows of each model of its GPU actor, for answering readiness, metadata and
 * the repository index without asking the actor, and for checking a request before it is sent.
 *
 * <p>A model's life: (absent) -> LOADING -> READY | UNAVAILABLE (failed, with its reason);
 * READY -> UNLOADING -> UNAVAILABLE ("unloaded"); UNAVAILABLE -> LOADING again on a load request.
 * Only READY models take requests. Updated from any thread; each model's entry is replaced whole.
 */
public final class ServedModels {
  /** Triton's model states, as RepositoryIndex reports them. */
  public enum State { LOADING, READY, UNLOADING, UNAVAILABLE }

  /**
   * One model's entry.
   *
   * @param config null until the model was read from the repository
   * @param version the loaded version, 0 when not loaded
   * @param reason why it is UNAVAILABLE, empty otherwise
   */
  public record Entry(String name, State state, ModelConfig config, long version, String reason) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  public Optional<Entry> get(String name) {
    return Optional.ofNullable(entries.get(name));
  }

  public void put(Entry e) {
    entries.put(e.name(), e);
  }

  /** Sets {@code name} to LOADING unless it is LOADING, READY or UNLOADING; true when it did. */
  public boolean beginLoad(String name) {
    boolean[] began = {false};
    entries.compute(name, (n, old) -> {
      if (old != null && old.state() != State.UNAVAILABLE) {
        return old;
      }
      began[0] = true;
      return new Entry(n, State.LOADING, old == null ? null : old.config(), 0, "");
    });
    return began[0];
  }

  /** Sets a READY model to UNLOADING; false when it was not READY. */
  public boolean beginUnload(String name) {
    boolean[] began = {false};
    entries.computeIfPresent(name, (n, old) -> {
      if (old.state() != State.READY) {
        return old;
      }
      began[0] = true;
      return new Entry(n, State.UNLOADING, old.config(), old.version(), "");
    });
    return began[0];
  }

  /** Every entry, by name. */
  public List<Entry> all() {
    return entries.values().stream().sorted(java.util.Comparator.comparing(Entry::name)).toList();
  }

  /** "mlp (version 1), resnet18 (version 1)" or "none", for NOT_FOUND messages. */
  public String readyDescription() {
    List<String> ready = all().stream().filter(e -> e.state() == State.READY)
        .map(e -> e.name() + " (version " + e.version() + ")").toList();
    return ready.isEmpty() ? "none" : String.join(", ", ready);
  }
}
