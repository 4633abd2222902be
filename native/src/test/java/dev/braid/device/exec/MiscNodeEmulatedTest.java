package dev.braid.device.exec;

import dev.braid.device.Device;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.cuda.emu.EmulatorGate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link MiscNodeTest}'s cases through {@link CudaDevice} over the emulated CUDA driver, which runs
 * Braid's own CUDA kernels on the CPU: the rewritten operators (Shrink, LRN, ReverseSequence,
 * MaxUnpool, Det, DFT, STFT) checked on the CUDA kernels they lower to, against ONNX's outputs.
 * Skipped, saying why, where the emulator could not be built (no g++).
 */
class MiscNodeEmulatedTest extends MiscNodeTest {
  private static CudaDevice gpu;

  @BeforeAll
  static void open() {
    EmulatorGate.require();
    gpu = CudaDevice.open(0);
  }

  @AfterAll
  static void closeGpu() {
    if (gpu != null) {
      gpu.close();
    }
  }

  @Override
  Device device() {
    return gpu;
  }
}
