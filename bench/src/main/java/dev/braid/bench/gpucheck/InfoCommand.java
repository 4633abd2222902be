package dev.braid.bench.gpucheck;

import dev.braid.bench.Json;
import dev.braid.device.Device;
import dev.braid.device.DeviceInfo;
import dev.braid.device.GpuSpec;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code braid bench gpucheck info}: what the device under test reports through {@link DeviceInfo}. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "The device's name, SMs, memory and clock as Braid sees them.")
public final class InfoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CheckOptions options;

  @Override
  public Integer call() throws Exception {
    options.createParent();
    PrintWriter w = spec.commandLine().getOut();
    String json;
    try (Device dev = options.openDevice()) {
      DeviceInfo i = dev.info();
      StringBuilder j = new StringBuilder("{\n  \"check\": \"info\",\n");
      j.append("  \"device\": ").append(Json.quote(options.spec().toString())).append(",\n");
      j.append("  \"name\": ").append(Json.quote(i.name())).append(",\n");
      j.append("  \"kind\": ").append(Json.quote(i.kind().toString())).append(",\n");
      j.append("  \"memory_bytes\": ").append(i.memoryBytes());
      w.printf(Locale.ROOT, "device %s: %s (%s), %.1f GiB%n", options.spec(), i.name(), i.kind(),
          i.memoryBytes() / (double) (1L << 30));
      if (i.gpu().isPresent()) {
        GpuSpec g = i.gpu().get();
        j.append(",\n  \"gpu\": {\"sm_count\": ").append(g.smCount())
            .append(", \"max_threads_per_sm\": ").append(g.maxThreadsPerSm())
            .append(", \"max_blocks_per_sm\": ").append(g.maxBlocksPerSm())
            .append(", \"max_registers_per_sm\": ").append(g.maxRegistersPerSm())
            .append(", \"max_shared_memory_per_sm_bytes\": ").append(g.maxSharedMemoryPerSmBytes())
            .append(", \"peak_fp32_flops_per_second\": ").append(Json.num(g.peakFp32FlopsPerSecond()))
            .append(", \"memory_bandwidth_bytes_per_second\": ").append(Json.num(g.memoryBandwidthBytesPerSecond()))
            .append(", \"max_resident_kernels\": ").append(g.maxResidentKernels())
            .append(", \"clock_hz\": ").append(g.clockHz()).append('}');
        w.printf(Locale.ROOT, "  %d SMs, %.2f GHz, %.1f TFLOP/s fp32, %.0f GB/s%n", g.smCount(), g.clockHz() / 1e9,
            g.peakFp32FlopsPerSecond() / 1e12, g.memoryBandwidthBytesPerSecond() / 1e9);
      } else {
        j.append(",\n  \"gpu\": null");
      }
      json = j.append("\n}\n").toString();
    }
    Files.writeString(options.out, json, StandardCharsets.UTF_8);
    w.println("wrote " + options.out);
    return 0;
  }
}
