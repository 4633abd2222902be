package dev.braid.device.cuda.emu;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuGetErrorString;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cuda.CudaEmulator;
import dev.braid.device.cuda.CudaErrors;
import dev.braid.device.cuda.CudaProbe;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A divergent barrier on the emulated driver, seen from Java through the driver API as a GPU's
 * failure would be: the launch is accepted, the kernel fails with a sticky
 * CUDA_ERROR_LAUNCH_FAILED at the next synchronization, and the driver's error string names the
 * kernel, the block and what diverged. Braid's kernels are convergent, so the kernel is one of the
 * emulator's probe kernels (native/src/main/cuda/emu/probe_kernels.cc), reached by a module image
 * that names it; the control, the same barrier reached by every thread, runs.
 */
class EmulatedDivergenceTest {
  static final int THREADS = 64;
  static final int RUNNING = 40; // threads 40..63 leave before the barrier in the divergent kernel

  @BeforeAll
  static void gate() {
    EmulatorGate.require();
    CudaProbe.probe(0); // loads the emulator before JCuda's binding
    assertTrue(CudaEmulator.active(), "the emulated driver is the one this JVM's binding uses");
  }

  @Test
  void aDivergentBarrierFailsTheLaunchWithAnErrorNamingTheKernel() {
    check(cuInit(0), "cuInit");
    CUdevice device = new CUdevice();
    check(cuDeviceGet(device, 0), "cuDeviceGet");
    CUcontext context = new CUcontext();
    check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
    try {
      check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
      CUmodule module = new CUmodule();
      check(cuModuleLoadData(module, image("braid_emu_probe_uniform_barrier", "braid_emu_probe_divergent_barrier")),
          "cuModuleLoadData");
      CUdeviceptr y = new CUdeviceptr();
      check(cuMemAlloc(y, (long) THREADS * Sizeof.FLOAT), "cuMemAlloc");
      check(cuMemsetD32(y, 0, THREADS), "cuMemsetD32");

      assertEquals(CUresult.CUDA_SUCCESS, run(module, "braid_emu_probe_uniform_barrier", y), "the control");
      float[] out = new float[THREADS];
      check(cuMemcpyDtoH(Pointer.to(out), y, (long) THREADS * Sizeof.FLOAT), "cuMemcpyDtoH");
      float[] want = new float[THREADS];
      java.util.Arrays.fill(want, 0, RUNNING, 1f);
      assertArrayEquals(want, out, "the convergent kernel ran");

      int failed = run(module, "braid_emu_probe_divergent_barrier", y);
      assertEquals(CUresult.CUDA_ERROR_LAUNCH_FAILED, failed, CudaErrors.name(failed));
      assertTrue(CudaErrors.isSticky(failed));
      String[] text = new String[1];
      check(cuGetErrorString(failed, text), "cuGetErrorString");
      assertTrue(text[0].contains("barrier divergence in braid_emu_probe_divergent_barrier block (0,0,0)")
          && text[0].contains(RUNNING + " threads wait at __syncthreads")
          && text[0].contains((THREADS - RUNNING) + " threads of the block have exited"), text[0]);
      assertEquals(CUresult.CUDA_ERROR_LAUNCH_FAILED, cuMemFree(y), "sticky: every later call fails alike");
      cuModuleUnload(module);
    } finally {
      check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }

    // The last release ended the lost context: the next one is fresh and says nothing of the failure.
    CUcontext fresh = new CUcontext();
    check(cuDevicePrimaryCtxRetain(fresh, device), "cuDevicePrimaryCtxRetain");
    try {
      check(cuCtxSetCurrent(fresh), "cuCtxSetCurrent");
      check(cuCtxSynchronize(), "cuCtxSynchronize on a fresh context");
      String[] text = new String[1];
      check(cuGetErrorString(CUresult.CUDA_ERROR_LAUNCH_FAILED, text), "cuGetErrorString");
      assertEquals("unspecified launch failure (emulated)", text[0]);
    } finally {
      check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }
  }

  /** Launches {@code kernel} on one block of THREADS threads and synchronizes: the first failure. */
  private static int run(CUmodule module, String kernel, CUdeviceptr y) {
    CUfunction f = new CUfunction();
    check(cuModuleGetFunction(f, module, kernel), "cuModuleGetFunction " + kernel);
    Pointer params = Pointer.to(Pointer.to(y), Pointer.to(new int[] {RUNNING}));
    int launched = cuLaunchKernel(f, 1, 1, 1, THREADS, 1, 1, 0, null, params, null);
    if (launched != CUresult.CUDA_SUCCESS) {
      return launched;
    }
    return cuCtxSynchronize();
  }

  /**
   * A module image as the emulator reads a fatbin: the wrapper's magic and header (magic u32,
   * version u16, header size u16, payload size u64), then a payload with the kernels' names as
   * NUL-delimited strings, where a fatbin's ELF string tables carry them.
   */
  private static byte[] image(String... kernels) {
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    payload.write(0);
    for (String k : kernels) {
      payload.writeBytes(k.getBytes(StandardCharsets.US_ASCII));
      payload.write(0);
    }
    ByteBuffer b = ByteBuffer.allocate(16 + payload.size()).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0xBA55ED50).putShort((short) 1).putShort((short) 16).putLong(payload.size()).put(payload.toByteArray());
    return b.array();
  }

  private static void check(int result, String call) {
    assertEquals(CUresult.CUDA_SUCCESS, result, call + ": " + CudaErrors.name(result));
  }
}
