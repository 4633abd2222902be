package dev.braid.device.cuda.emu;

import dev.braid.device.Device;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.exec.MiscNodeTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link MiscNodeTest}'s cases through {@link CudaDevice} over the emulated CUDA driver, which runs
 * Braid's own CUDA kernels on the CPU: the rewritten operators (Shrink, LRN, ReverseSequence,
 * MaxUnpool, Det, DFT, STFT) checked on the CUDA kernels they lower to, against ONNX's outputs.
 * Skipped, saying why, where the emulator could not be built (no g++). In this package so that it
 * runs in the emulator's own surefire execution: a JVM's CUDA binding is fixed at its first use.
 */
class MiscNodeEmulatedTest extends MiscNodeTest {
  @RegisterExtension static final EmulatedGpu GPU = new EmulatedGpu();

  @Override
  protected Device device() {
    return GPU.device();
  }
}
