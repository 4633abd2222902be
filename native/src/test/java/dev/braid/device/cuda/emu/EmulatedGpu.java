package dev.braid.device.cuda.emu;

import dev.braid.device.cuda.CudaDevice;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Device 0 of the emulated CUDA driver for one test class: opened before its tests (skipping or
 * failing them as {@link EmulatorGate} decides) and closed after them. Register it as
 * {@code @RegisterExtension static final EmulatedGpu GPU = new EmulatedGpu();}.
 */
final class EmulatedGpu implements BeforeAllCallback, AfterAllCallback {
  private CudaDevice device;

  @Override
  public void beforeAll(ExtensionContext context) {
    EmulatorGate.require();
    device = CudaDevice.open(0);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (device != null) {
      device.close();
      device = null;
    }
  }

  /** The open device; only between the class's first and last test. */
  CudaDevice device() {
    if (device == null) {
      throw new IllegalStateException("the emulated GPU is open only while the test class runs");
    }
    return device;
  }
}
