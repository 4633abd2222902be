package dev.braid.device;

import java.util.List;

/**
 * One unit of work a device runs: a single kernel, or a super-kernel grouping several problems
 * of one kind (Gemm or Conv2d) that may come from different models and differ in shape.
 */
public sealed interface Launch permits KernelLaunch, GroupedLaunch {
  /** Total floating-point operations, for the cost model. */
  long flops();

  /**
   * Throws {@link DeviceException} (INVALID_ARGUMENT) naming the kernel, and for a grouped launch
   * the problem, at fault. Devices call it when the launch is submitted.
   */
  void validate();

  /** The kernels this launch runs: the kernel itself, or the grouped launch's problems in order. */
  List<KernelLaunch> problems();
}
