package dev.braid.coordinator.routing;

import java.util.Collection;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The coordinator's published view for frontends: for every model it knows, where its replicas
 * are and how much work each has queued. Immutable.
 *
 * <p>Versions grow by one with every publication; {@link #merge} keeps the higher, so tables that
 * arrive out of order (gossip, retries) never roll a frontend back. Version 0 is {@link #EMPTY}: a
 * frontend that holds it has heard nothing yet and answers UNAVAILABLE for every model (it cannot
 * tell an unknown model from one it has not heard of); with a table, a model absent from it is
 * NOT_FOUND and a model present without replicas is UNAVAILABLE.
 *
 * @param version >= 0, higher is newer
 * @param asOfNanos when the coordinator took the queue figures, on its own {@code NanoClock}; a
 *     frontend on another JVM cannot compare it with its own clock and ages the figures from the
 *     moment it receives the table instead (see {@link Router})
 * @param models model name to its route
 */
public record RoutingTable(long version, long asOfNanos, SortedMap<String, ModelRoute> models) {
  public static final RoutingTable EMPTY = new RoutingTable(0, 0, new TreeMap<>());

  public RoutingTable {
    if (version < 0) {
      throw new IllegalArgumentException("RoutingTable.version must be >= 0, got " + version);
    }
    models = Collections.unmodifiableSortedMap(new TreeMap<>(models));
    models.forEach((name, route) -> {
      if (!name.equals(route.model())) {
        throw new IllegalArgumentException("route for '" + route.model() + "' filed under '" + name + "'");
      }
    });
  }

  /** A table of {@code routes}, keyed by their model. */
  public static RoutingTable of(long version, long asOfNanos, Collection<ModelRoute> routes) {
    TreeMap<String, ModelRoute> byModel = new TreeMap<>();
    for (ModelRoute r : routes) {
      if (byModel.put(r.model(), r) != null) {
        throw new IllegalArgumentException("model '" + r.model() + "' is routed twice");
      }
    }
    return new RoutingTable(version, asOfNanos, byModel);
  }

  /** The newer of this and {@code other}; this one when their versions are equal. */
  public RoutingTable merge(RoutingTable other) {
    return other.version > version ? other : this;
  }

  public Optional<ModelRoute> route(String model) {
    return Optional.ofNullable(models.get(model));
  }

  /** Whether a table has been received at all. */
  public boolean isEmpty() {
    return version == 0;
  }
}
