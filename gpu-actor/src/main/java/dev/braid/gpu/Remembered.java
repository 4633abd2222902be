package dev.braid.gpu;

import dev.braid.gpu.engine.LoadResult;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.GpuWire.ModelInfo;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a {@link GpuActor} keeps across its restarts, held by the behaviour that supervises it: the
 * models it serves (to reload them), what the cluster was told of them, the requests and loads in
 * flight, whether it was draining, and how often it started. Confined to the actor's thread, like
 * the actor.
 *
 * <p>Invariants: {@code models} holds exactly the models whose load was answered loaded and that no
 * unload has named since, in load order, less those dropped; a model is in {@code dropped} once an
 * incarnation failed while reloading it (a model that takes the actor down at load would otherwise
 * take every incarnation down), until it is loaded again. {@code served} holds exactly the models
 * answered {@link GpuWire.Loaded} and not unloaded since (dropped ones included: their requests
 * are answered why), each with a cell in {@code requestCounts}.
 */
final class Remembered {
  final Map<String, RepositoryModel> models = new LinkedHashMap<>();
  /** Models dropped because an incarnation failed while reloading them: why, by name. */
  final Map<String, String> dropped = new LinkedHashMap<>();
  /** The model whose reload is in progress after a restart; null when none. */
  String reloadingModel;
  /**
   * Inference and model reads that arrived while the models of a restart reloaded, in arrival order:
   * kept here so that an incarnation failing during its reloads hands them to the next one.
   */
  final List<Object> held = new ArrayList<>();
  boolean draining;
  /** Whether a drain finished; {@code drainWaiters} are answered then. */
  boolean drained;
  final List<ActorRef<GpuWire.Drained>> drainWaiters = new ArrayList<>();
  /** What {@link GpuWire.Loaded} told the cluster of each model served, by name, in load order. */
  final Map<String, ModelInfo> served = new LinkedHashMap<>();
  /** Per model served, the requests received since it loaded (one cell, bumped on every Infer). */
  final Map<String, long[]> requestCounts = new HashMap<>();
  final InFlight inFlight;
  final ModelLoads loads;
  /** Incarnations started: 1 + restarts. */
  int starts;
  /** The exception that made the last incarnation fail; null before any. */
  String lastFailure;

  Remembered(InFlight inFlight, ModelLoads loads) {
    this.inFlight = inFlight;
    this.loads = loads;
  }

  int restarts() {
    return Math.max(0, starts - 1);
  }

  /** {@code model} serves under {@code info}, counted from now. */
  void serve(ModelInfo info) {
    served.put(info.name(), info);
    requestCounts.put(info.name(), new long[1]);
  }

  /**
   * The actor stopped: every request held (in flight, or waiting for reloads) is answered
   * GPU_UNAVAILABLE with {@code why}, and every load in progress fails with it.
   */
  void answerAll(String why) {
    inFlight.failAll(FailureReason.GPU_UNAVAILABLE, why);
    loads.failAll(why);
    for (Object m : List.copyOf(held)) {
      if (m instanceof InferenceWire.Infer i) {
        inFlight.refuse(i, FailureReason.GPU_UNAVAILABLE, why);
      }
    }
    held.clear();
  }

  /**
   * Why a request for {@code version} of {@code model} cannot be served on {@code gpu}; null when it
   * can (no version asked, or the one served). A version asked of a model not served names the
   * models that are.
   */
  String versionRefusal(String model, String version, String gpu) {
    ModelInfo info = served.get(model);
    if (version.isEmpty() || (info != null && version.equals(Long.toString(info.version())))) {
      return null;
    }
    return info == null
        ? "model '" + model + "' version " + version + " is not loaded on gpu " + gpu + "; loaded models: "
            + served.keySet()
        : "model '" + model + "' has no version '" + version + "' on gpu " + gpu + "; loaded: version "
            + info.version();
  }

  /**
   * {@code name} loaded as {@code loaded}: it serves again (were it dropped), is remembered for
   * reloads, and is counted from now under the {@link ModelInfo} returned, which tells the cluster
   * its weights, its predicted time per request (at least 1 ns) and its largest batch.
   */
  ModelInfo loaded(String name, RepositoryModel model, LoadResult.Loaded loaded, long predictedRequestNanos,
      int maxBatchSize) {
    forget(name); // a model dropped after a restart serves again
    models.put(name, model);
    ModelInfo info = new ModelInfo(loaded.model(), loaded.version(), loaded.weightsBytes(),
        Math.max(1, predictedRequestNanos), maxBatchSize, 0);
    serve(info);
    return info;
  }

  /** {@code model} no longer serves; true if it did. */
  boolean forget(String model) {
    models.remove(model);
    dropped.remove(model);
    requestCounts.remove(model);
    return served.remove(model) != null;
  }
}
