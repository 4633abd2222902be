package dev.braid.device.cuda;

/**
 * A CUDA driver call that returned an error, inside the context thread: the code and the call.
 * Turned into a {@link dev.braid.device.DeviceException} naming the kernel before it leaves
 * the device.
 */
final class CudaFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int code;

  CudaFailure(int code, String call) {
    super(call + " failed: " + CudaErrors.name(code));
    this.code = code;
  }
}
