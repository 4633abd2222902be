package dev.braid.gpu;

import dev.braid.device.Device;
import dev.braid.gpu.engine.EngineListener;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The {@link EngineListener} of each device an actor system's GPU actors drive: whoever opens a
 * device for a GPU actor (the node, through the device factory it hands the actor) binds the
 * device to that GPU's listener, and the actor, once it has the device, listens with it. So the
 * node's metrics reach every engine, across actor restarts (each reopening binds again), without
 * a parameter threaded through the actors' factories. A device bound to nothing gets {@link
 * EngineListener#NONE}.
 *
 * <p>Thread-safe: binding and lookup happen once per device opening.
 */
public final class EngineListeners implements Extension {
  private static final ExtensionId<EngineListeners> ID = new ExtensionId<>() {
    @Override
    public EngineListeners createExtension(ActorSystem<?> system) {
      return new EngineListeners();
    }
  };

  private final Map<Device, EngineListener> byDevice = Collections.synchronizedMap(new IdentityHashMap<>());

  private EngineListeners() {}

  /** The system's one instance. */
  public static EngineListeners get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** From now on, the engine driving {@code device} tells {@code listener}. */
  public void bind(Device device, EngineListener listener) {
    byDevice.put(Objects.requireNonNull(device, "device"), Objects.requireNonNull(listener, "listener"));
  }

  /** The listener bound to {@code device}; {@link EngineListener#NONE} when none is. */
  public EngineListener of(Device device) {
    return byDevice.getOrDefault(device, EngineListener.NONE);
  }

  /** Forgets {@code device} (closed). */
  public void unbind(Device device) {
    byDevice.remove(device);
  }
}
