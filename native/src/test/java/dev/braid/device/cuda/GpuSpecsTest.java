package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.GpuSpec;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

class GpuSpecsTest {
  @Test
  void h100SxmAttributesGiveTheDatasheetPeaks() {
    // cuDeviceGetAttribute on an H100 SXM5: 132 SMs, 2048 threads, 32 blocks, 64K registers,
    // 228 KiB shared per SM, 1980 MHz SM clock, 2619 MHz memory clock, 5120-bit bus.
    GpuSpec s = GpuSpecs.of(9, 0, 132, 2048, 32, 65536, 233472, 1_980_000, 2_619_000, 5120);
    assertEquals(132 * 128 * 2 * 1.98e9, s.peakFp32FlopsPerSecond(), 1e3);
    assertEquals(66.9e12, s.peakFp32FlopsPerSecond(), 0.1e12);
    assertEquals(3.35e12, s.memoryBandwidthBytesPerSecond(), 0.01e12);
    assertEquals(1_980_000_000L, s.clockHz());
    assertEquals(128, s.maxResidentKernels());
    assertEquals(233472, s.maxSharedMemoryPerSmBytes());
  }

  @Test
  void fp32LanesFollowTheComputeCapabilityTable() {
    assertEquals(64, GpuSpecs.fp32LanesPerSm(7, 0), "V100");
    assertEquals(64, GpuSpecs.fp32LanesPerSm(8, 0), "A100");
    assertEquals(128, GpuSpecs.fp32LanesPerSm(8, 6), "A10/RTX 30");
    assertEquals(128, GpuSpecs.fp32LanesPerSm(8, 9), "L4/L40");
    assertEquals(128, GpuSpecs.fp32LanesPerSm(9, 0), "H100/H200");
    assertEquals(128, GpuSpecs.fp32LanesPerSm(10, 0), "B200");
    assertEquals(64, GpuSpecs.fp32LanesPerSm(6, 0), "P100");
  }

  @Test
  void clocksTheDriverDoesNotReportFallBackInsteadOfFailingTheOpen() {
    assertTrue(GpuSpecs.clocksMissing(0, 2_619_000, 5120));
    assertFalse(GpuSpecs.clocksMissing(1_980_000, 2_619_000, 5120));
    GpuSpec s = GpuSpecs.of(9, 0, 132, 2048, 32, 65536, 233472, 0, 0, 5120);
    assertEquals(1_500_000_000L, s.clockHz());
    assertEquals(2.0e12, s.memoryBandwidthBytesPerSecond());
  }

  @Test
  void streamPrioritiesClampIntoTheContextsRange() {
    // An H100 reports least 0, greatest -5.
    assertEquals(0, GpuSpecs.streamPriority(0, 0, -5));
    assertEquals(-3, GpuSpecs.streamPriority(-3, 0, -5));
    assertEquals(-5, GpuSpecs.streamPriority(-100, 0, -5));
    assertEquals(0, GpuSpecs.streamPriority(7, 0, -5));
  }

  @Test
  void kernelFaultsAreStickyLaunchConfigurationErrorsAreNot() {
    assertTrue(CudaErrors.isSticky(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS));
    assertTrue(CudaErrors.isSticky(CUresult.CUDA_ERROR_LAUNCH_FAILED));
    assertTrue(CudaErrors.isSticky(CUresult.CUDA_ERROR_MISALIGNED_ADDRESS));
    assertFalse(CudaErrors.isSticky(CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES));
    assertFalse(CudaErrors.isSticky(CUresult.CUDA_ERROR_INVALID_VALUE));
    assertFalse(CudaErrors.isSticky(CUresult.CUDA_ERROR_OUT_OF_MEMORY));
    assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS (700)", CudaErrors.name(700));
  }
}
