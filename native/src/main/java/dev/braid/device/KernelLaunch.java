package dev.braid.device;

import dev.braid.device.kernel.Kernel;
import java.util.List;
import java.util.Objects;

/**
 * One kernel with its arguments: slices in the order of {@link Kernel#argNames()} (inputs, then
 * outputs). Sizes are checked against the kernel by {@link #validate()}, which devices call when
 * the launch is submitted so that a bad launch fails its stage rather than its constructor.
 */
public record KernelLaunch(Kernel kernel, List<BufferSlice> args) implements Launch {
  public KernelLaunch {
    Objects.requireNonNull(kernel, "kernel");
    args = List.copyOf(args);
  }

  @Override
  public long flops() {
    return kernel.flops();
  }

  /** This kernel alone. */
  @Override
  public List<KernelLaunch> problems() {
    return List.of(this);
  }

  /** Throws {@link DeviceException} (INVALID_ARGUMENT) naming the kernel and the argument at fault. */
  @Override
  public void validate() {
    List<String> names = kernel.argNames();
    if (args.size() != names.size()) {
      throw new DeviceException(
          DeviceException.Reason.INVALID_ARGUMENT,
          kernel + " takes " + names.size() + " arguments " + names + ", got " + args.size());
    }
    for (int i = 0; i < args.size(); i++) {
      long need = kernel.argBytes(i);
      long have = args.get(i).lengthBytes();
      if (have < need) {
        throw new DeviceException(
            DeviceException.Reason.INVALID_ARGUMENT,
            kernel + ": argument " + i + " (" + names.get(i) + ") needs " + need
                + " bytes, slice has " + have);
      }
    }
  }
}
