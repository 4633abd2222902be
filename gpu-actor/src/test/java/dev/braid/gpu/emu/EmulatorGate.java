package dev.braid.gpu.emu;

import static org.junit.jupiter.api.Assertions.fail;

import dev.braid.device.cuda.CudaEmulator;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether the emulated-driver tests run: they skip, saying why, where the emulator was not built
 * because there is no g++; where g++ exists (CI) a missing emulator is a failure, not a skip.
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

  /** Asserts every output of {@code actual} within 1e-4 of {@code expected}'s largest magnitude. */
  static void assertClose(java.util.Map<String, dev.braid.model.Tensor> expected,
      java.util.Map<String, dev.braid.model.Tensor> actual, String what) {
    org.junit.jupiter.api.Assertions.assertEquals(expected.keySet(), actual.keySet(), what + ": output names");
    for (String k : expected.keySet()) {
      float[] e = expected.get(k).toFloats();
      float[] a = actual.get(k).toFloats();
      org.junit.jupiter.api.Assertions.assertEquals(expected.get(k).shape(), actual.get(k).shape(), what + ": shape of " + k);
      double scale = 1e-30;
      for (float v : e) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < e.length; i++) {
        if (!(Math.abs(e[i] - a[i]) <= 1e-4 * Math.max(1, scale))) {
          throw new AssertionError(what + ": output " + k + "[" + i + "] expected " + e[i] + " (CPU, model alone), got " + a[i]);
        }
      }
    }
  }
}
