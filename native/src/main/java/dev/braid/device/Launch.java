package dev.braid.device;

/**
 * One unit of work a device runs: a single kernel, or a super-kernel grouping several problems
 * of one kind (Gemm or Conv2d) that may come from different models and differ in shape.
 */
public sealed interface Launch permits KernelLaunch, GroupedLaunch {
  /** Total floating-point operations, for the cost model. */
  long flops();
}
