package dev.braid.device.cuda.emu;

import dev.braid.device.Device;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.exec.LossNodeTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link LossNodeTest}'s cases on CudaDevice over the emulated CUDA driver: the loss
 * decompositions run by the CUDA kernels (LogSoftmax, GatherElements, Gather, the comparisons,
 * Where and the reductions), compared with the same direct evaluation of ONNX's definition.
 */
class LossNodeEmulatedTest extends LossNodeTest {
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
