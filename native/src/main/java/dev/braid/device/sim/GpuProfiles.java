package dev.braid.device.sim;

import dev.braid.device.GpuSpec;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The GPUs Braid can simulate, with the source of every figure.
 *
 * <p>Sources: [V100-WP] NVIDIA Tesla V100 GPU Architecture whitepaper (2017), table 1, and the
 * V100 datasheet (SXM2: 15.7 TFLOP/s FP32, 900 GB/s, 16 GB); [A100-WP] NVIDIA A100 Tensor Core GPU
 * Architecture whitepaper (2020), table 3, and the A100 datasheet (SXM4: 19.5 TFLOP/s FP32,
 * 1,555 GB/s at 40 GB, 2,039 GB/s at 80 GB); [H100-WP] NVIDIA H100 Tensor Core GPU Architecture
 * whitepaper (2022) and the H100 datasheet (SXM5: 132 SMs, 67 TFLOP/s FP32, 3.35 TB/s, 80 GB,
 * 50 MB L2, 228 KB shared memory per SM); [H200-DS] NVIDIA H200 datasheet (same GH100 chip as
 * H100 SXM, 141 GB HBM3e at 4.8 TB/s); [CC] CUDA C++ Programming Guide, table "Technical
 * Specifications per Compute Capability" (7.0, 8.0, 9.0: 2048 threads, 32 blocks, 64 Ki 32-bit
 * registers per SM; 96 / 164 / 228 KB shared memory per SM; 128 resident grids per device);
 * [PCIe] PCI-SIG link rates per direction for x16: Gen3 15.75 GB/s, Gen4 31.5 GB/s, Gen5 63 GB/s.
 * Every FP32 peak equals SMs x FP32 lanes per SM (64 on V100 and A100, 128 on H100) x 2 x boost
 * clock, which cross-checks the clock.
 *
 * <p>Timing parameters, shared by all four (each an estimate the GPU check will measure):
 * <ul>
 *   <li>host launch overhead 3.8 us: NVIDIA's "Getting Started with CUDA Graphs" (2019) issued
 *       2.9 us kernels back to back on a V100-era system and saw 3.8 us per kernel, i.e. the
 *       launch path, not the GPU, set the rate. It is a host and driver cost, so the same for all.
 *   <li>achieved FLOP fraction 0.7: a 4 x 4 register tile issues 16 FFMAs per two 16-byte
 *       shared-memory loads, plus address, loop and stage-barrier instructions; SIMT SGEMMs with
 *       64 x 64 tiles reach about two thirds to three quarters of peak (cuBLAS's larger tiles ~90%).
 *   <li>achieved bandwidth fraction 0.85: streaming (STREAM-like) kernels on HBM2/HBM3 reach
 *       80-90% of the datasheet peak (refresh, bank and read/write turnaround losses).
 *   <li>memory latency 500 ns: DRAM loads on these GPUs take several hundred core cycles
 *       (pointer-chasing microbenchmarks report 400-700 cycles at 1.4-2 GHz).
 *   <li>32 bytes in flight per thread: two independent 16-byte loads (a GEMM stage loads one A
 *       and one B vector per thread; elementwise kernels load 4 floats per thread per operand).
 *   <li>256 threads saturate an SM: 4 schedulers x 2 warps with independent FFMAs cover the
 *       4-cycle dependent-issue latency of FP32 arithmetic.
 *   <li>block fixed cost 500 ns: one memory latency before the block's first arithmetic.
 *   <li>8 hardware queues: CUDA_DEVICE_MAX_CONNECTIONS defaults to 8 (the hardware has 32).
 *   <li>completion event 1.0 us of host time per launch or copy (estimate): Braid's CUDA device
 *       records one {@code cuEventRecord} after every operation (CudaContext) and polls it; an
 *       event record is a second driver call that writes a semaphore release into the same
 *       pushbuffer, cheaper than the launch (which also marshals parameters), so about a quarter
 *       of it. Host and driver cost, so the same on every GPU.
 *   <li>front end 0.5 us per grid (derived from a published measurement): NVIDIA's "Getting Started
 *       with CUDA Graphs" (Alan Gray, 2019) ran 2.9 us kernels back to back on a V100 and measured
 *       3.4 us per kernel once a CUDA graph removed the host from the loop, so the device itself
 *       spends about 0.5 us between one kernel's end and the next one's blocks. The work
 *       distributor dispatches one grid's blocks after another's ("only when all of the thread
 *       blocks from the first grid have been dispatched will CWD dispatch thread blocks from the
 *       second grid", NVIDIA's answer on concurrent kernels; Gilman et al., "Demystifying the
 *       Placement Policies of the NVIDIA GPU Thread Block Scheduler for Concurrent Kernels",
 *       SIGMETRICS PER 2020, found Volta places blocks by the SMs' free resources), which the
 *       model's in-order placement already follows; the 0.5 us is charged per grid, one grid at a
 *       time. No figure for A100, H100 or H200 is published: the same 0.5 us is an estimate there.
 * </ul>
 *
 * <p>What the V100 calibration (bench table1, Table1CalibrationTest) showed: with these
 * physical figures the simulator reproduces one of the seed paper's nine Table 1 cells within
 * 25% (conv2_2 at R=10). The rest differ because the paper measured cuBLAS's kernels and its own
 * host path, not Braid's: its batched matrix-vector product ran on cuBLAS's batched SGEMM (tiles
 * padded along N=1), far slower than Braid's skinny grouped kernel, and its streams stayed far
 * below the batched launch at large R, which no V100 figure above explains (a uniform host cost
 * of 8-20 us per call, as a Python framework's, comes closer for square and conv2_2 and further
 * for matvec). Those residuals are reported in the README, not fitted away.
 */
public final class GpuProfiles {
  private static final long GIB = 1L << 30;
  private static final long MIB = 1L << 20;

  /** The timing parameters every profile starts from; see the class comment for each figure. */
  public static final TimingParameters DEFAULT_TIMING = new TimingParameters(
      3_800, 0.7, 0.85, 500, 32, 256, 500, 8, 1_000, 500);

  /** Tesla V100 SXM2 16 GB, the paper's GPU (AWS p3): compute capability 7.0, PCIe Gen3 host link. */
  public static final GpuProfile V100 = new GpuProfile("v100", "Tesla V100-SXM2-16GB",
      // [V100-WP] 80 SMs, 15.7 TFLOP/s, 900 GB/s, 1530 MHz boost; [CC] 7.0 limits, 96 KB shared
      new GpuSpec(80, 2048, 32, 65536, 96 * 1024, 15.7e12, 900e9, 128, 1_530_000_000L),
      16 * GIB, 6 * MIB, 12e9, DEFAULT_TIMING); // [V100-WP] 6 MB L2; [PCIe] Gen3 at ~76% achieved

  /** A100 SXM4 40 GB: compute capability 8.0, PCIe Gen4 host link. */
  public static final GpuProfile A100_40GB = new GpuProfile("a100", "NVIDIA A100-SXM4-40GB",
      // [A100-WP] 108 SMs, 19.5 TFLOP/s, 1555 GB/s, 1410 MHz boost; [CC] 8.0 limits, 164 KB shared
      new GpuSpec(108, 2048, 32, 65536, 164 * 1024, 19.5e12, 1555e9, 128, 1_410_000_000L),
      40 * GIB, 40 * MIB, 25e9, DEFAULT_TIMING); // [A100-WP] 40 MB L2; [PCIe] Gen4 at ~80%

  /** A100 SXM4 80 GB: as the 40 GB part with HBM2e at 2,039 GB/s. */
  public static final GpuProfile A100_80GB = new GpuProfile("a100-80gb", "NVIDIA A100-SXM4-80GB",
      new GpuSpec(108, 2048, 32, 65536, 164 * 1024, 19.5e12, 2039e9, 128, 1_410_000_000L),
      80 * GIB, 40 * MIB, 25e9, DEFAULT_TIMING); // [A100 datasheet] 2,039 GB/s

  /** H100 SXM5 80 GB: compute capability 9.0, PCIe Gen5 host link. */
  public static final GpuProfile H100 = new GpuProfile("h100", "NVIDIA H100 80GB HBM3",
      // [H100-WP] 132 SMs, 67 TFLOP/s (66.9 = 132 x 128 x 2 x 1.98 GHz), 3.35 TB/s; [CC] 9.0, 228 KB shared
      new GpuSpec(132, 2048, 32, 65536, 228 * 1024, 66.9e12, 3350e9, 128, 1_980_000_000L),
      80 * GIB, 50 * MIB, 50e9, DEFAULT_TIMING); // [H100-WP] 50 MB L2; [PCIe] Gen5 at ~80%

  /** H200 SXM 141 GB: the H100 SXM chip with HBM3e. */
  public static final GpuProfile H200 = new GpuProfile("h200", "NVIDIA H200",
      // [H200-DS] 67 TFLOP/s FP32, 4.8 TB/s, 141 GB; chip limits as H100 SXM
      new GpuSpec(132, 2048, 32, 65536, 228 * 1024, 66.9e12, 4800e9, 128, 1_980_000_000L),
      141_000_000_000L, 50 * MIB, 50e9, DEFAULT_TIMING);

  /** All profiles, in the order error messages list them. */
  public static final List<GpuProfile> ALL = List.of(V100, A100_40GB, A100_80GB, H100, H200);

  private GpuProfiles() {}

  /** The profile called {@code name} (case-insensitive), if any. */
  public static Optional<GpuProfile> find(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return ALL.stream().filter(p -> p.name().equals(n)).findFirst();
  }

  /** The profile called {@code name}; IllegalArgumentException listing the known names otherwise. */
  public static GpuProfile byName(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException(
        "unknown GPU profile '" + name + "'; known: " + String.join(", ", names())));
  }

  /** The known profile names. */
  public static List<String> names() {
    return ALL.stream().map(GpuProfile::name).toList();
  }
}
