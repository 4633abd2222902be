package dev.braid.bench.gpucheck;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench gpucheck ...}: the Java steps of {@code bench/gpu/check.sh}, each writing one
 * JSON file. They reach the device through the Device SPI and {@code Devices.open} alone, so they
 * run unchanged on {@code cpu} (the smoke test), {@code sim-<gpu>} and {@code cuda}. Nothing here
 * loads ONNX Runtime: the GPU bundle leaves it out.
 */
@Command(
    name = "gpucheck",
    mixinStandardHelpOptions = true,
    description = "The GPU check's steps: device info, kernels and models against the CPU, calibration.",
    subcommands = {InfoCommand.class, KernelsCommand.class, ModelsCommand.class, CalibrateCommand.class})
public final class GpuCheckCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
