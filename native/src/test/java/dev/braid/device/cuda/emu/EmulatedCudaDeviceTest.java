package dev.braid.device.cuda.emu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceChoice;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceKind;
import dev.braid.device.DeviceStream;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.cuda.CudaEmulator;
import dev.braid.device.cuda.CudaProbe;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.model.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CudaDevice over the emulated CUDA driver: how the device is named, and what a device fault does
 * to it, injected through the driver's fault file (BRAID_CUDA_EMU_FAULTS_FILE, read when a primary
 * context is created, so each case opens a device of its own): a kernel fault fails the launch
 * that met it, is sticky (the device turns unhealthy and refuses later work at once) and a device
 * opened afterwards on a fresh context works again; an allocation failure fails the open naming
 * the CUDA error, and a pinned staging allocation failure fails that transfer alone; a hung kernel
 * leaves its launch pending until close fails it.
 */
class EmulatedCudaDeviceTest {
  static final int N = 4096;
  static Path faults;

  @BeforeAll
  static void gate() {
    EmulatorGate.require();
    String file = System.getenv("BRAID_CUDA_EMU_FAULTS_FILE");
    faults = file == null ? null : Path.of(file);
  }

  @AfterEach
  void noFaults() throws IOException {
    if (faults != null) {
      Files.deleteIfExists(faults);
    }
  }

  private static void inject(String spec) throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(faults != null,
        "BRAID_CUDA_EMU_FAULTS_FILE is not set (native/pom.xml's cuda-emulator execution sets it)");
    Files.writeString(faults, spec);
  }

  /** Uploads a ramp, copies it on the device, downloads the copy. */
  private static CompletableFuture<float[]> copyRoundTrip(CudaDevice d, DeviceStream s) {
    float[] x = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] = i * 0.5f;
    }
    DeviceBuffer in = d.allocate(4L * N);
    DeviceBuffer out = d.allocate(4L * N);
    d.upload(x, in.whole(), s);
    d.launch(new KernelLaunch(new Copy(N), List.of(in.whole(), out.whole())), s);
    return d.download(out.whole(), s).toCompletableFuture();
  }

  private static float[] ramp() {
    float[] x = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] = i * 0.5f;
    }
    return x;
  }

  @Test
  void theDeviceIsNamedAsEmulatedWhereverItIsNamed() throws Exception {
    try (CudaDevice d = CudaDevice.open(0)) {
      assertTrue(CudaEmulator.active());
      assertEquals(DeviceKind.CUDA, d.info().kind());
      assertTrue(d.info().name().startsWith(CudaEmulator.DEVICE_NAME + " (cuda:0, sm_90, emulated on the CPU"),
          d.info().name());
      assertEquals(132, d.info().gpu().orElseThrow().smCount(), "the default SM count (BRAID_CUDA_EMU_SM_COUNT unset)");
      CudaProbe.Result probe = CudaProbe.probe(0);
      assertEquals(CudaEmulator.DEVICE_NAME, probe.gpuName());
      String line = DeviceChoice.auto(probe, 2).logLine();
      assertTrue(line.contains("emulated CUDA driver") && line.contains(CudaEmulator.DEVICE_NAME), line);
      assertArrayEquals(ramp(), copyRoundTrip(d, d.defaultStream()).get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aBadIndexInTheDataFailsItsLaunchAsInvalidDataAndTheDeviceStaysHealthy() throws Exception {
    try (CudaDevice d = CudaDevice.open(0)) {
      Gather g = new Gather(Shape.of(4, 10, 3), 1, 2);
      DeviceBuffer data = d.allocate(g.argBytes(0));
      DeviceBuffer idx = d.allocate(g.argBytes(1));
      DeviceBuffer y = d.allocate(g.argBytes(2));
      d.upload(new float[] {1, 10}, idx.whole(), d.defaultStream());
      ExecutionException e = assertThrows(ExecutionException.class, () -> d.launch(new KernelLaunch(g,
          List.of(data.whole(), idx.whole(), y.whole())), d.defaultStream()).toCompletableFuture().get(30, TimeUnit.SECONDS));
      DeviceException de = assertInstanceOf(DeviceException.class, e.getCause());
      // The kernel's status word, not a CUDA error: the request's data is at fault, not the device.
      assertEquals(DeviceException.Reason.INVALID_DATA, de.reason(), de.getMessage());
      assertTrue(de.getMessage().contains("index position 1"), de.getMessage());
      assertTrue(d.healthy());
      assertArrayEquals(ramp(), copyRoundTrip(d, d.defaultStream()).get(30, TimeUnit.SECONDS), "the next launch runs");
    }
  }

  @Test
  void anIllegalAddressFailsTheLaunchThatMetItAndLeavesTheDeviceUnhealthy() throws Exception {
    stickyFault("illegal_address", "CUDA_ERROR_ILLEGAL_ADDRESS (700)");
  }

  @Test
  void aLaunchFailureIsStickyToo() throws Exception {
    stickyFault("launch_failed", "CUDA_ERROR_LAUNCH_FAILED (719)");
  }

  private void stickyFault(String code, String name) throws Exception {
    inject("launch=2:" + code);
    try (CudaDevice d = CudaDevice.open(0)) {
      DeviceStream s = d.createStream(0);
      assertArrayEquals(ramp(), copyRoundTrip(d, s).get(30, TimeUnit.SECONDS), "launch 1 runs");
      ExecutionException e = assertThrows(ExecutionException.class, () -> copyRoundTrip(d, s).get(30, TimeUnit.SECONDS));
      DeviceException de = assertInstanceOf(DeviceException.class, e.getCause());
      assertEquals(DeviceException.Reason.KERNEL_FAILED, de.reason());
      assertTrue(de.getMessage().contains(name), de.getMessage());
      assertFalse(d.healthy());
      DeviceException refused = assertThrows(DeviceException.class, () -> d.allocate(4));
      assertTrue(refused.getMessage().contains("unhealthy") && refused.getMessage().contains(name), refused.getMessage());
    }
    Files.delete(faults);
    try (CudaDevice d = CudaDevice.open(0)) {
      assertTrue(d.healthy(), "a fresh primary context after the lost one was released");
      assertArrayEquals(ramp(), copyRoundTrip(d, d.defaultStream()).get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void anAllocationFailureFailsTheOpenNamingTheError() throws Exception {
    inject("alloc=1");
    DeviceException e = assertThrows(DeviceException.class, () -> CudaDevice.open(0));
    assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY") && e.getMessage().contains("cuMemAlloc"),
        e.getMessage());
  }

  @Test
  void aPinnedAllocationFailureFailsThatTransferAloneAndTheDeviceStaysHealthy() throws Exception {
    try (CudaDevice d = CudaDevice.open(0)) {
      inject("host_alloc=1"); // counted from now: the first staging buffer the next transfer needs
      DeviceBuffer in = d.allocate(4L * N);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> d.upload(ramp(), in.whole(), d.defaultStream()).toCompletableFuture().get(30, TimeUnit.SECONDS));
      DeviceException de = assertInstanceOf(DeviceException.class, e.getCause());
      assertEquals(DeviceException.Reason.OUT_OF_MEMORY, de.reason(), de.getMessage());
      assertTrue(de.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY") && de.getMessage().contains("cuMemHostAlloc"),
          de.getMessage());
      assertTrue(d.healthy(), "an allocation failure is not sticky");
      assertArrayEquals(ramp(), copyRoundTrip(d, d.defaultStream()).get(30, TimeUnit.SECONDS), "the next transfer");
    }
  }

  @Test
  void aHungKernelLeavesItsLaunchPendingUntilCloseFailsIt() throws Exception {
    inject("hang=1");
    CompletableFuture<float[]> pending;
    CudaDevice d = CudaDevice.open(0);
    try {
      pending = copyRoundTrip(d, d.createStream(0));
      Thread.sleep(300);
      assertFalse(pending.isDone(), "the hung kernel's download completed");
    } finally {
      d.close();
    }
    ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(30, TimeUnit.SECONDS));
    assertEquals(DeviceException.Reason.CLOSED, assertInstanceOf(DeviceException.class, e.getCause()).reason());
  }
}
