package dev.braid.device.cuda.emu;

import dev.braid.device.Device;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.exec.MiscNodeTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link MiscNodeTest}'s cases through {@link CudaDevice} over the emulated CUDA driver, which runs
 * Braid's own CUDA kernels on the CPU: the rewritten operators (Shrink, LRN, ReverseSequence,
 * MaxUnpool, Det, DFT, STFT) checked on the CUDA kernels they lower to, against ONNX's outputs.
 * Skipped, saying why, where the emulator could not be built (no g++). In this package so that it
 * runs in the emulator's own surefire execution: a JVM's CUDA binding is fixed at its first use.
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
  protected Device device() {
    return gpu;
  }
}
