package dev.braid.device.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import java.nio.charset.StandardCharsets;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;

/**
 * Asks, without crashing the JVM, whether a CUDA GPU is usable: JCuda's driver binding must load
 * (it links against the NVIDIA driver's {@code libcuda.so.1}), {@code cuInit} must succeed and the
 * ordinal must exist. Every failure, including the {@link UnsatisfiedLinkError} of a host without
 * a driver, becomes a {@link Result} with a reason; {@link #probe} never throws.
 *
 * <p>JCuda loads its native library once per JVM (a failed class initialisation is final), so the
 * binding's outcome is cached; {@code cuInit} and the device query are repeated per call.
 */
public final class CudaProbe {
  private static volatile String bindingFailure;
  private static volatile boolean bindingTried;

  /**
   * The outcome of a probe.
   *
   * @param available a GPU answered at the ordinal
   * @param reason why not (empty when available), e.g. "no CUDA driver (libcuda.so.1 not found)"
   * @param gpuName the GPU's name when available, else empty
   * @param deviceCount GPUs the driver reports (0 when the driver did not answer)
   * @param driverVersion the driver's CUDA version as the driver reports it (e.g. 13000), 0 if unknown
   */
  public record Result(boolean available, String reason, String gpuName, int deviceCount, int driverVersion) {
    static Result unavailable(String reason, int count, int version) {
      return new Result(false, reason, "", count, version);
    }
  }

  private CudaProbe() {}

  /** Probes GPU {@code ordinal}. Never throws. */
  public static Result probe(int ordinal) {
    try {
      String failure = loadBinding();
      if (failure != null) {
        return Result.unavailable(failure, 0, 0);
      }
      if (CudaEmulator.requested() && !CudaEmulator.active()) {
        return Result.unavailable("the emulated CUDA driver was requested after this JVM's CUDA binding had loaded "
            + "another driver (the emulator must be asked for before the first CUDA use)", 0, 0);
      }
      int r = cuInit(0);
      if (r != CUresult.CUDA_SUCCESS) {
        return Result.unavailable("cuInit failed: " + CudaErrors.name(r)
            + (r == CUresult.CUDA_ERROR_NO_DEVICE ? " (the driver sees no GPU)" : ""), 0, 0);
      }
      int[] version = new int[1];
      cuDriverGetVersion(version);
      int[] count = new int[1];
      r = cuDeviceGetCount(count);
      if (r != CUresult.CUDA_SUCCESS) {
        return Result.unavailable("cuDeviceGetCount failed: " + CudaErrors.name(r), 0, version[0]);
      }
      if (count[0] == 0) {
        return Result.unavailable("no CUDA GPU (the driver reports 0 devices)", 0, version[0]);
      }
      if (ordinal >= count[0]) {
        return Result.unavailable("no GPU with ordinal " + ordinal + " (the driver reports " + count[0] + ")",
            count[0], version[0]);
      }
      CUdevice d = new CUdevice();
      r = cuDeviceGet(d, ordinal);
      if (r != CUresult.CUDA_SUCCESS) {
        return Result.unavailable("cuDeviceGet(" + ordinal + ") failed: " + CudaErrors.name(r), count[0], version[0]);
      }
      byte[] name = new byte[256];
      cuDeviceGetName(name, name.length, d);
      return new Result(true, "", new String(name, StandardCharsets.US_ASCII).replace("\0", "").trim(), count[0],
          version[0]);
    } catch (Throwable e) {
      return Result.unavailable("probing CUDA failed: " + e, 0, 0);
    }
  }

  /**
   * Loads JCuda's driver binding once; null on success, else the reason. When the emulated driver
   * was requested ({@link CudaEmulator}), it is loaded first and the binding binds to it.
   */
  private static synchronized String loadBinding() {
    if (!bindingTried) {
      bindingTried = true;
      if (CudaEmulator.requested()) {
        String failure = CudaEmulator.load();
        if (failure != null) {
          bindingFailure = failure;
          return bindingFailure;
        }
      }
      try {
        jcuda.driver.JCudaDriver.setLogLevel(jcuda.LogLevel.LOG_QUIET);
      } catch (LinkageError e) {
        bindingFailure = reasonFor(e);
      } catch (RuntimeException e) {
        bindingFailure = "JCuda's driver binding failed to load: " + e;
      }
    }
    return bindingFailure;
  }

  /** A one-line reason for a native-library failure: names libcuda.so.1 when that is what is missing. */
  static String reasonFor(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    String text = all.toString();
    if (text.contains("libcuda.so")) {
      return "no CUDA driver (libcuda.so.1 not found)";
    }
    String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
    return "JCuda's driver binding failed to load: " + e.getClass().getSimpleName() + ": " + first;
  }
}
