package dev.braid.coordinator.cli;

import dev.braid.device.exec.Lowering;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.fold.Specialization;
import dev.braid.model.fold.SpecializationSettings;
import dev.braid.model.repo.RepositoryModel;

/**
 * Whether a model that imported (its config derived or parsed) would also serve: bound at the
 * shapes the GPU actor binds it at and lowered to kernels, the two steps after import that refuse
 * models (a shape that does not resolve, an input that must be constant, an operator form no
 * kernel runs). A batching model binds at batch 1; a non-batching one ({@code max_batch_size 0})
 * at its declared shapes, dynamic dimensions fixed by its config's dims, exactly as the GPU actor
 * binds it (binding otherwise, list refused models that run and serve). Pure: no device.
 */
final class ServeCheck {
  private ServeCheck() {}

  /** Null when {@code m} binds and lowers, else the reason it is refused ({@link #reason}). */
  static String refusal(RepositoryModel m) {
    Specialization special = specialization(m);
    if (!special.isEmpty()) {
      // Compiled per request key: what the values make of it is known only then.
      return m.batching() ? "model '" + m.name() + "' specializes on inputs " + special.names() + " (their values"
          + " define shapes) and so cannot batch: serve it with max_batch_size 0" : null;
    }
    try {
      Lowering.lower(bind(m));
      return null;
    } catch (ModelException | IllegalArgumentException e) {
      return reason(e);
    } catch (RuntimeException e) {
      return "internal error (a defect, please report it): " + e.getClass().getSimpleName() + ": " + reason(e);
    }
  }

  /** The inputs whose values define shapes, as the GPU actor finds them ({@code ModelSlot}). */
  static Specialization specialization(RepositoryModel m) {
    return Specialization.of(m.latest(), SpecializationSettings.load().maxElements());
  }

  /** Bound as the GPU actor binds it ({@code ModelSlot}): {@link RepositoryModel#bind} at batch 1. */
  static ModelGraph bind(RepositoryModel m) {
    return m.bind(1);
  }

  /**
   * The first line of {@code e}'s message, without the list of every supported operator that an
   * unsupported one's message carries (in a listing of many models it would drown the reason).
   */
  static String reason(Exception e) {
    String msg = String.valueOf(e.getMessage());
    int nl = msg.indexOf('\n');
    msg = nl < 0 ? msg : msg.substring(0, nl);
    int list = msg.indexOf("; supported operators: ");
    return list < 0 ? msg : msg.substring(0, list);
  }
}
