package dev.braid.coordinator.emu;

import static org.junit.jupiter.api.Assertions.fail;

import dev.braid.device.cuda.CudaEmulator;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether the emulated-driver tests run: they skip, saying why, where the emulator was not built
 * because there is no g++; where g++ exists (CI) a missing emulator is a failure, not a skip. (The
 * same gate as native's and gpu-actor's, which are in their modules' test sources.)
 */
final class EmulatorGate {
  private EmulatorGate() {}

  static void require() {
    String missing = CudaEmulator.missing();
    if (missing != null) {
      if (CudaEmulator.compilerOnPath()) {
        fail("g++ is on the PATH, so the build should have made the emulated CUDA driver, but " + missing);
      }
      Assumptions.abort("skipping the emulated CUDA driver's tests: " + missing);
    }
    CudaEmulator.request();
  }
}
