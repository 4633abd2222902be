package dev.braid.gpu;

import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.GpuWire;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The loads a {@link GpuActor} has in progress, and the repository reads that start them: a model
 * is read from the node's repository on the blocking executor, then loaded by the engine; every
 * {@link GpuWire.Load} of a model that is loading waits for that one load, so a model is read and
 * loaded at most once at a time. Confined to the actor's thread (the read runs elsewhere and comes
 * back as a message); it survives the actor's restarts (held by {@link Remembered}).
 *
 * <p>Invariant: every {@link GpuWire.Load} waiting here is answered exactly once, by {@link
 * #answer} or {@link #failAll}.
 */
final class ModelLoads {
  /** Reads a model by name from the node's repository; throws with the reason when it cannot. */
  @FunctionalInterface
  interface Source {
    RepositoryModel read(String model);
  }

  /** How a {@link GpuWire.Load} of a model not yet served was taken. */
  enum Start {
    /** A read must start ({@link #read}): no load of the model was in progress. */
    READ,
    /** It waits for the load in progress. */
    JOINED,
    /** It was refused: the load in progress was unloaded meanwhile (answered already). */
    REFUSED
  }

  /** A model being read or loaded, and who waits for it. */
  private static final class Loading {
    final List<ActorRef<GpuWire.LoadReply>> waiters = new ArrayList<>();
    /** The repository config's max_batch_size (0: it does not batch), once read. */
    int maxBatchSize;
    /** An Unload came while it loaded: whatever the engine answers, it is not served. */
    boolean unloaded;
  }

  private final String gpu;
  private final Source source;
  private final Executor blocking;
  private final Map<String, Loading> loading = new LinkedHashMap<>();

  ModelLoads(String gpu, Source source, Executor blocking) {
    this.gpu = gpu;
    this.source = source;
    this.blocking = blocking;
  }

  /** Takes a {@link GpuWire.Load} of a model that does not serve here. */
  Start start(GpuWire.Load m) {
    Loading l = loading.get(m.model());
    if (l != null && !l.unloaded) {
      l.waiters.add(m.replyTo());
      return Start.JOINED;
    }
    if (l != null) {
      // Unloaded while it loaded: that load answers its own waiters; this one waits for a new one.
      m.replyTo().tell(new GpuWire.LoadFailed(gpu, m.model(), "model '" + m.model() + "' is being unloaded on gpu "
          + gpu + "; retry once it is"));
      return Start.REFUSED;
    }
    l = new Loading();
    l.waiters.add(m.replyTo());
    loading.put(m.model(), l);
    return Start.READ;
  }

  /** Reads {@code model} from the repository on the blocking executor. */
  CompletionStage<RepositoryModel> read(String model) {
    return CompletableFuture.supplyAsync(() -> source.read(model), blocking);
  }

  /**
   * The read of {@code model} finished: the model to hand the engine, or null when there is none
   * (the read failed, or the model was unloaded meanwhile: its waiters are answered).
   */
  RepositoryModel onRead(String model, RepositoryModel read, Throwable failure) {
    Loading l = loading.get(model);
    if (l == null) {
      return null;
    }
    if (failure != null || l.unloaded) {
      answer(model, new GpuWire.LoadFailed(gpu, model, failure != null ? message(failure)
          : "model '" + model + "' was unloaded while it loaded"));
      return null;
    }
    l.maxBatchSize = read.config().maxBatchSize();
    return read;
  }

  /** Whether {@code model} is loading and no unload has named it since. */
  boolean wanted(String model) {
    Loading l = loading.get(model);
    return l != null && !l.unloaded;
  }

  /** The read config's max_batch_size of a model loading (0 if unknown). */
  int maxBatchSize(String model) {
    Loading l = loading.get(model);
    return l == null ? 0 : l.maxBatchSize;
  }

  /** An unload names {@code model}: a load in progress will not serve it; true if one was in progress. */
  boolean unload(String model) {
    Loading l = loading.get(model);
    if (l != null) {
      l.unloaded = true;
    }
    return l != null;
  }

  /** Answers every waiter of {@code model}'s load with {@code reply}, and forgets the load. */
  void answer(String model, GpuWire.LoadReply reply) {
    Loading l = loading.remove(model);
    if (l != null) {
      l.waiters.forEach(w -> w.tell(reply));
    }
  }

  /** Fails every load in progress with {@code message}. */
  void failAll(String message) {
    for (String model : List.copyOf(loading.keySet())) {
      answer(model, new GpuWire.LoadFailed(gpu, model, message));
    }
  }

  private static String message(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
        : failure;
    return cause.getMessage() != null ? cause.getMessage() : cause.toString();
  }
}
