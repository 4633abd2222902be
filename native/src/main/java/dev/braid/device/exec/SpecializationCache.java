package dev.braid.device.exec;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The plans of one model compiled per specialization key (the values of the inputs that define
 * its shapes, {@code dev.braid.model.fold.Specialization.Key}), at most {@code capacity} of them,
 * the least recently used evicted first. A model whose shapes take a few values per deployment so
 * runs every request but the first of each value at the speed of a model with constant shapes.
 *
 * <p>Lifecycle of an entry: compiled on first use ({@link #get}) -> used -> evicted (handed to
 * the owner's {@code onEvict}, which frees it once nothing runs on it). A compile that throws
 * leaves no entry and is counted as a failure; its exception reaches the caller (the request
 * whose key it was), and nothing else is affected. Counters only grow, so they can be exported as
 * metrics as they are.
 *
 * <p>Invariant: {@code size() <= capacity}; {@code compiles == size + evictions} (every compiled
 * entry is either held or was evicted once). Not thread-safe: one owner (a GPU's engine) uses it.
 *
 * @param <K> the key (equal keys share one plan)
 * @param <V> the compiled plan
 */
public final class SpecializationCache<K, V> {
  private final int capacity;
  private final Consumer<V> onEvict;
  private final LinkedHashMap<K, V> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long compiles;
  private long compileFailures;
  private long evictions;
  private long hits;

  /**
   * @param capacity the most plans held at once, >= 1
   * @param onEvict receives each plan leaving the cache (evicted, or at {@link #clear})
   */
  public SpecializationCache(int capacity, Consumer<V> onEvict) {
    if (capacity < 1) {
      throw new IllegalArgumentException("specialization cache capacity must be >= 1, received " + capacity);
    }
    this.capacity = capacity;
    this.onEvict = onEvict;
  }

  /**
   * The plan for {@code key}, compiling it with {@code compile} when absent (and evicting the least
   * recently used plan when the cache is full). A compile that throws adds nothing and rethrows.
   */
  public V get(K key, Function<K, V> compile) {
    V v = entries.get(key);
    if (v != null) {
      hits++;
      return v;
    }
    try {
      v = compile.apply(key);
    } catch (RuntimeException e) {
      compileFailures++;
      throw e;
    }
    compiles++;
    entries.put(key, v);
    if (entries.size() > capacity) {
      Iterator<Map.Entry<K, V>> eldest = entries.entrySet().iterator();
      V evicted = eldest.next().getValue();
      eldest.remove();
      evictions++;
      onEvict.accept(evicted);
    }
    return v;
  }

  /** The plan for {@code key} when held, without compiling or counting a use. */
  public Optional<V> peek(K key) {
    for (Map.Entry<K, V> e : entries.entrySet()) { // a get would count as a use in access order
      if (e.getKey().equals(key)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  /** The most recently used plan, if any: a representative for predictions before a key is known. */
  public Optional<V> mostRecent() {
    V last = null;
    for (V v : entries.values()) {
      last = v;
    }
    return Optional.ofNullable(last);
  }

  /** Hands every plan to {@code onEvict} (not counted as evictions) and empties the cache. */
  public void clear() {
    List<V> all = new ArrayList<>(entries.values());
    entries.clear();
    all.forEach(onEvict);
  }

  public int capacity() {
    return capacity;
  }

  public int size() {
    return entries.size();
  }

  /** Plans compiled, ever. */
  public long compiles() {
    return compiles;
  }

  /** Compiles that threw (a key the model cannot take), ever. */
  public long compileFailures() {
    return compileFailures;
  }

  /** Plans evicted to make room, ever. */
  public long evictions() {
    return evictions;
  }

  /** Uses of a held plan, ever. */
  public long hits() {
    return hits;
  }
}
