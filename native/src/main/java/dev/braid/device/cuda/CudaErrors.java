package dev.braid.device.cuda;

import jcuda.driver.CUresult;

/**
 * CUDA driver result codes as Braid reports them. Pure: {@link CUresult} is a plain Java class of
 * constants and does not load the native driver binding.
 */
public final class CudaErrors {
  private CudaErrors() {}

  /** The code's name, e.g. {@code CUDA_ERROR_ILLEGAL_ADDRESS}, with its number. */
  public static String name(int code) {
    return CUresult.stringFor(code) + " (" + code + ")";
  }

  /**
   * Whether {@code code} leaves the context unusable: every later call in the process returns an
   * error, so the device must stop taking work. These are the errors the CUDA driver API
   * documentation describes as leaving "the process in an inconsistent state" (faults raised by a
   * running kernel, a hardware error, a destroyed context), plus {@code CUDA_ERROR_UNKNOWN}, whose
   * effect on the context is undefined. Launch-time errors such as
   * {@code CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES} or {@code CUDA_ERROR_INVALID_VALUE} fail one launch only.
   */
  public static boolean isSticky(int code) {
    return switch (code) {
      case CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
          CUresult.CUDA_ERROR_LAUNCH_TIMEOUT,
          CUresult.CUDA_ERROR_CONTEXT_IS_DESTROYED,
          CUresult.CUDA_ERROR_ASSERT,
          CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR,
          CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION,
          CUresult.CUDA_ERROR_MISALIGNED_ADDRESS,
          CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE,
          CUresult.CUDA_ERROR_INVALID_PC,
          CUresult.CUDA_ERROR_LAUNCH_FAILED,
          CUresult.CUDA_ERROR_ECC_UNCORRECTABLE,
          CUresult.CUDA_ERROR_UNKNOWN -> true;
      default -> false;
    };
  }
}
