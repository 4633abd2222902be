package dev.braid.device;

import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * A device that forwards every call to another: the base of wrappers that change one or two
 * behaviours (tracing, fault injection, held launches) and leave the rest to the device beneath.
 * Subclasses override only what they change.
 */
public abstract class ForwardingDevice implements Device {
  protected final Device delegate;

  protected ForwardingDevice(Device delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public DeviceInfo info() {
    return delegate.info();
  }

  @Override
  public DeviceBuffer allocate(long bytes) {
    return delegate.allocate(bytes);
  }

  @Override
  public void free(DeviceBuffer buffer) {
    delegate.free(buffer);
  }

  @Override
  public long allocatedBytes() {
    return delegate.allocatedBytes();
  }

  @Override
  public CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream) {
    return delegate.upload(src, dst, stream);
  }

  @Override
  public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
    return delegate.download(src, stream);
  }

  @Override
  public DeviceStream createStream(int priority) {
    return delegate.createStream(priority);
  }

  @Override
  public DeviceStream defaultStream() {
    return delegate.defaultStream();
  }

  @Override
  public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
    return delegate.launch(launch, stream);
  }

  @Override
  public boolean healthy() {
    return delegate.healthy();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
