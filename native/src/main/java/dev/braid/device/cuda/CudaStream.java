package dev.braid.device.cuda;

import dev.braid.device.DeviceStream;
import jcuda.driver.CUstream;

/**
 * A non-blocking CUDA stream of one {@link CudaDevice}. {@link #priority()} is what the caller
 * asked for; {@link #cudaPriority()} what the context's range allowed (see
 * {@link GpuSpecs#streamPriority}). The handle is only used on the device's context thread.
 */
final class CudaStream implements DeviceStream {
  private final CudaDevice owner;
  private final int priority;
  private final int cudaPriority;
  final CUstream handle;

  CudaStream(CudaDevice owner, int priority, int cudaPriority, CUstream handle) {
    this.owner = owner;
    this.priority = priority;
    this.cudaPriority = cudaPriority;
    this.handle = handle;
  }

  CudaDevice owner() {
    return owner;
  }

  @Override
  public int priority() {
    return priority;
  }

  int cudaPriority() {
    return cudaPriority;
  }

  @Override
  public String toString() {
    return "CudaStream[priority " + priority + " -> CUDA " + cudaPriority + "]";
  }
}
