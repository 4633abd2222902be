package dev.braid.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Kernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Runs one kernel on a device from host arrays, and compares results. */
final class Harness {
  private Harness() {}

  /** Uploads {@code inputs} (one per input argument), runs {@code kernel}, returns the output. */
  static float[] run(Device device, Kernel kernel, float[]... inputs) {
    return device.download(launchOn(device, kernel, new ArrayList<>(), inputs).args().get(inputs.length),
        device.defaultStream()).toCompletableFuture().join();
  }

  /** Builds (and launches) a KernelLaunch with fresh buffers holding {@code inputs}. */
  static KernelLaunch launchOn(Device device, Kernel kernel, List<DeviceBuffer> owned, float[]... inputs) {
    KernelLaunch launch = prepare(device, kernel, owned, inputs);
    device.launch(launch, device.defaultStream()).toCompletableFuture().join();
    return launch;
  }

  /** Allocates and uploads inputs and an output buffer, without launching. */
  static KernelLaunch prepare(Device device, Kernel kernel, List<DeviceBuffer> owned, float[]... inputs) {
    List<BufferSlice> slices = new ArrayList<>();
    for (float[] in : inputs) {
      DeviceBuffer b = device.allocate(Math.max(4, 4L * in.length));
      owned.add(b);
      BufferSlice s = b.slice(0, 4L * in.length);
      device.upload(in, s, device.defaultStream()).toCompletableFuture().join();
      slices.add(s);
    }
    long outBytes = kernel.argBytes(inputs.length);
    DeviceBuffer out = device.allocate(Math.max(4, outBytes));
    owned.add(out);
    slices.add(out.slice(0, outBytes));
    return new KernelLaunch(kernel, slices);
  }

  static float[] random(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextFloat() * 2f - 1f;
    }
    return a;
  }

  /** Asserts |a - e| <= abs + rel * |e| elementwise. */
  static void assertClose(float[] expected, float[] actual, double rel, double abs, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i], a = actual[i];
      if (Double.isNaN(e) && Double.isNaN(a)) {
        continue;
      }
      if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
        fail(what + ": element " + i + " expected " + e + " got " + a);
      }
    }
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertClose(expected, actual, 1e-4, 1e-5, what);
  }
}
