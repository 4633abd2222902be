package dev.braid.bench.gpucheck;

import dev.braid.config.DeviceSpec;
import dev.braid.config.RuntimeSettings;
import dev.braid.device.Device;
import dev.braid.device.Devices;
import dev.braid.device.cpu.CpuDevice;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every {@code gpucheck} command shares: the device under test, the output file, threads, seed. */
final class CheckOptions {
  @Option(names = "--device", required = true, description = "Device under test: cuda, cuda:N, auto, cpu or sim-<gpu>.")
  String device;

  @Option(names = "--out", required = true, description = "JSON file to write (its directory is created if missing).")
  Path out;

  @Option(names = "--threads", description = "Threads of the CPU reference (and of a CPU device under test)"
      + " (default: braid.runtime.cpu-threads).")
  Integer threads;

  @Option(names = "--seed", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
  long seed = 7;

  DeviceSpec spec() {
    return DeviceSpec.parse("--device", device);
  }

  int cpuThreads() {
    int t = threads == null ? RuntimeSettings.load().cpuThreads() : threads;
    if (t < 1) {
      throw new IllegalArgumentException("--threads: expected an integer >= 1, got " + t);
    }
    return t;
  }

  Device openDevice() {
    return Devices.open("--device", spec(), cpuThreads());
  }

  CpuDevice openReference() {
    return new CpuDevice(cpuThreads());
  }

  void createParent() throws java.io.IOException {
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      java.nio.file.Files.createDirectories(parent);
    }
  }
}
