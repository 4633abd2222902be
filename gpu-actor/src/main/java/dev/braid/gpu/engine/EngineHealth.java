package dev.braid.gpu.engine;

import dev.braid.device.Device;
import dev.braid.protocol.cluster.FailureReason;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's health: healthy -> unhealthy, never back. It keeps the last device failure's
 * message so that, when a failure finds the device unhealthy, the reason names that failure (the
 * kernel and the CUDA code), not just the state; and it answers everything the engine holds once
 * that happens. Confined to the engine's thread.
 */
final class EngineHealth {
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final Device device;
  /** The last device failure's message, kept to say why the device went unhealthy. */
  private String lastDeviceFailure;
  /** Why the device is unhealthy; null while it is healthy. */
  private String unhealthyReason;

  EngineHealth(Device device) {
    this.device = device;
  }

  boolean isHealthy() {
    return unhealthyReason == null;
  }

  /** Why the device is unhealthy (it and its failure); empty while it is healthy. */
  String reason() {
    return unhealthyReason == null ? "" : unhealthyReason;
  }

  /**
   * Records a device failure whose requests were already answered with it, and returns true
   * exactly once: when the device is now unhealthy and this failure is why. Health is checked here
   * rather than on every event because a device turns unhealthy on its own thread before its failed
   * stage reaches the engine.
   */
  boolean failed(Throwable cause) {
    lastDeviceFailure = Failures.message(cause);
    if (unhealthyReason == null && !device.healthy()) {
      unhealthyReason = "device " + device.info().name() + " is unhealthy and takes no work: after "
          + lastDeviceFailure;
      return true;
    }
    return false;
  }

  /**
   * The device lost its context: answers every request held (queued, starting, running or
   * downloading) and every load in progress at once with the reason, without waiting on any stage
   * (a stage of a device in this state may fail fast or never complete), and answers pending
   * unloads.
   */
  void failEverything(ModelTable models, Answers answers, Jobs jobs) {
    int failed = 0;
    for (ModelSlot slot : List.copyOf(models.all())) {
      failed += answers.failQueued(slot.batcher, FailureReason.DEVICE_UNHEALTHY,
          "model '" + slot.name + "': " + unhealthyReason);
    }
    failed += jobs.failAll(FailureReason.DEVICE_UNHEALTHY, unhealthyReason);
    models.failLoading(unhealthyReason);
    for (ModelSlot slot : List.copyOf(models.all())) {
      if (slot.unloading) {
        slot.answerUnload();
      }
    }
    LOG.warn("{}; {} request(s) answered DEVICE_UNHEALTHY", unhealthyReason, failed);
  }
}
