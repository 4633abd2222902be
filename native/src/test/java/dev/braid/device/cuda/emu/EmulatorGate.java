package dev.braid.device.cuda.emu;

import static org.junit.jupiter.api.Assertions.fail;

import dev.braid.device.cuda.CudaEmulator;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether the emulated-driver tests run: they skip, saying why, where the emulator was not built
 * because there is no g++; where g++ exists (CI) a missing emulator is a failure, not a skip.
 */
public final class EmulatorGate {
  private EmulatorGate() {}

  /** Skips or fails the calling test unless the emulated driver can be loaded; asks for it in this JVM. */
  public static void require() {
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
