package dev.braid.coordinator.events;

import dev.braid.device.DeviceInfo;
import dev.braid.gpu.engine.EngineListener;
import dev.braid.gpu.engine.EngineStats;

/**
 * A GPU's engine listener that reports each request launched as an {@code executed} event and
 * each cancel its engine took in as a {@code cancel-received} event, and passes everything on to the node's metrics listener.
 */
final class ExecutedEvents implements EngineListener {
  private final NodeEvents events;
  private final String gpu;
  private final EngineListener next;

  ExecutedEvents(NodeEvents events, String gpu, EngineListener next) {
    this.events = events;
    this.gpu = gpu;
    this.next = next;
  }

  @Override
  public void requestLaunched(String model, String requestId) {
    events.executed(model, requestId, gpu);
    next.requestLaunched(model, requestId);
  }

  @Override
  public void cancelReceived(String model, String requestId, String stage) {
    events.cancelReceived(model, requestId, gpu, stage);
    next.cancelReceived(model, requestId, stage);
  }

  @Override
  public void batchStarted(String model, long version, int requests, int rows, long queuedNanos) {
    next.batchStarted(model, version, requests, rows, queuedNanos);
  }

  @Override
  public void batchFinished(String model, long version, int requests, long computeNanos) {
    next.batchFinished(model, version, requests, computeNanos);
  }

  @Override
  public void launchIssued(int ops, long hostNanos) {
    next.launchIssued(ops, hostNanos);
  }

  @Override
  public void deviceFault() {
    next.deviceFault();
  }

  @Override
  public void stats(EngineStats stats, DeviceInfo device, long predictedQueueNanos, int restarts) {
    next.stats(stats, device, predictedQueueNanos, restarts);
  }
}
