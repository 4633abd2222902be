package dev.braid.coordinator.frontend;

import dev.braid.coordinator.cluster.ClusterClient;
import dev.braid.coordinator.cluster.ClusterClient.ModelView;
import dev.braid.coordinator.frontend.internal.Statuses;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.ModelRepository;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The models this frontend can answer for: those the cluster's routing table lists as serving,
 * each with its configuration read once from this node's copy of the repository (off the caller's
 * thread, as soon as the model serves), and the errors that name what is missing when a request
 * asks for one that is not.
 */
final class ServedModels {
  private final ClusterClient cluster;
  private final ModelRepository repository;
  private final Executor blocking;
  /** Each served model's configuration, read from this node's repository once it serves. */
  private final Map<String, CompletableFuture<ModelConfig>> configs = new ConcurrentHashMap<>();

  /** @param blocking runs repository reads (model files), never the caller's thread */
  ServedModels(ClusterClient cluster, ModelRepository repository, Executor blocking) {
    this.cluster = cluster;
    this.repository = repository;
    this.blocking = blocking;
  }

  /** A model that serves, with its configuration. */
  record Served(String name, long version, ModelConfig config) {}

  Optional<Served> served(String name) {
    Optional<ModelView> v = cluster.model(name).filter(ModelView::ready);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    CompletableFuture<ModelConfig> c = config(name);
    if (!c.isDone() || c.isCompletedExceptionally()) {
      return Optional.empty();
    }
    return Optional.of(new Served(name, v.get().version(), c.join()));
  }

  /** {@code name}'s configuration, read once from this node's repository (off the caller's thread). */
  CompletableFuture<ModelConfig> config(String name) {
    CompletableFuture<ModelConfig> c = configs.computeIfAbsent(name,
        n -> CompletableFuture.supplyAsync(() -> repository.load(n).config(), blocking));
    if (c.isCompletedExceptionally()) {
      configs.remove(name, c); // a later call reads it again
    }
    return c;
  }

  Served readyModel(String name, String version) {
    Optional<Served> found = served(name);
    if (found.isEmpty()) {
      Optional<ModelView> v = cluster.model(name);
      if (v.isPresent() && v.get().ready()) {
        throw Statuses.unavailable("model '" + name + "' serves, but this frontend is still reading its configuration"
            + " from " + repository.root() + "; retry");
      }
      if (v.isPresent()) {
        throw Statuses.unavailable("model '" + name + "' is " + v.get().state().toLowerCase()
            + (v.get().reason().isEmpty() ? "" : ": " + v.get().reason()) + "; loaded models: " + readyDescription());
      }
      if (!cluster.hasTable()) {
        throw Statuses.unavailable("model '" + name + "': this frontend has not heard from the coordinator yet");
      }
      throw Statuses.notFound("unknown model '" + name + "'; loaded models: " + readyDescription());
    }
    Served e = found.get();
    if (!versionMatches(e, version)) {
      throw Statuses.notFound("model '" + name + "' has no version '" + version + "'; loaded models: "
          + readyDescription());
    }
    return e;
  }

  /** "mlp (version 1), resnet18 (version 1)" or "none", for NOT_FOUND messages. */
  private String readyDescription() {
    List<String> ready = new TreeMap<>(cluster.models()).values().stream().filter(ModelView::ready)
        .map(v -> v.name() + " (version " + v.version() + ")").toList();
    return ready.isEmpty() ? "none" : String.join(", ", ready);
  }

  static boolean versionMatches(Served e, String version) {
    return version.isEmpty() || version.equals(String.valueOf(e.version()));
  }

}
