package dev.braid.device.cuda.emu;

import dev.braid.device.Device;
import dev.braid.device.exec.LossNodeTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link LossNodeTest}'s cases on CudaDevice over the emulated CUDA driver: the loss
 * decompositions run by the CUDA kernels (LogSoftmax, GatherElements, Gather, the comparisons,
 * Where and the reductions), compared with the same direct evaluation of ONNX's definition.
 */
class LossNodeEmulatedTest extends LossNodeTest {
  @RegisterExtension static final EmulatedGpu GPU = new EmulatedGpu();

  @Override
  protected Device device() {
    return GPU.device();
  }
}
