package dev.braid.gpu;

import dev.braid.model.repo.RepositoryModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link GpuActor} keeps across its restarts, held by the behaviour that supervises it: the
 * models it serves (to reload them), whether it was draining, and how often it started. Confined to
 * the actor's thread, like the actor.
 *
 * <p>Invariants: {@code models} holds exactly the models whose load was answered loaded and that no
 * unload has named since, in load order, less those dropped; a model is in {@code dropped} once an
 * incarnation failed while reloading it (a model that takes the actor down at load would otherwise
 * take every incarnation down), until it is loaded again.
 */
final class Remembered {
  final Map<String, RepositoryModel> models = new LinkedHashMap<>();
  /** Models dropped because an incarnation failed while reloading them: why, by name. */
  final Map<String, String> dropped = new LinkedHashMap<>();
  /** The model whose reload is in progress after a restart; null when none. */
  String reloadingModel;
  /**
   * Inference and loads that arrived while the models of a restart reloaded, in arrival order: kept
   * here so that an incarnation failing during its reloads hands them to the next one.
   */
  final List<GpuActor.Command> held = new ArrayList<>();
  boolean draining;
  /** Incarnations started: 1 + restarts. */
  int starts;
  /** The exception that made the last incarnation fail; null before any. */
  String lastFailure;

  int restarts() {
    return Math.max(0, starts - 1);
  }
}
