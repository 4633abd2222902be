package dev.braid.device.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.config.DeviceSpec;
import dev.braid.config.SettingsException;
import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceStream;
import dev.braid.device.Devices;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** The Device contract on the simulated GPU: outputs, order, errors, determinism, opening by name. */
class SimulatedDeviceTest {
  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextFloat() * 2 - 1;
    }
    return a;
  }

  /** Runs Y = relu(A * B) for two problems grouped, then downloads both Ys. */
  private static List<float[]> gemmThenRelu(Device d, Runnable drive) {
    Gemm g = Gemm.of(20, 30, 40);
    Unary relu = Unary.of(UnaryOp.RELU, 20 * 30);
    DeviceStream s = d.createStream(0);
    List<KernelLaunch> problems = new ArrayList<>();
    List<BufferSlice> ys = new ArrayList<>();
    List<CompletionStage<float[]>> out = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      BufferSlice a = d.allocate(4 * 20 * 40).whole();
      BufferSlice b = d.allocate(4 * 40 * 30).whole();
      BufferSlice y = d.allocate(4 * 20 * 30).whole();
      d.upload(random(20 * 40, p), a, s);
      d.upload(random(40 * 30, 10 + p), b, s);
      problems.add(new KernelLaunch(g, List.of(a, b, y)));
      ys.add(y);
    }
    d.launch(new GroupedLaunch(problems), s);
    for (BufferSlice y : ys) {
      BufferSlice r = d.allocate(y.lengthBytes()).whole();
      d.launch(new KernelLaunch(relu, List.of(y, r)), s);
      out.add(d.download(r, s));
    }
    drive.run();
    return out.stream().map(f -> f.toCompletableFuture().join()).toList();
  }

  @Test
  void realComputeGivesTheCpuDevicesOutputs() {
    List<float[]> expected;
    try (CpuDevice cpu = new CpuDevice(1)) {
      expected = gemmThenRelu(cpu, () -> { });
    }
    SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100, SimulatedDevice.Compute.REAL);
    List<float[]> actual = gemmThenRelu(sim, sim::runUntilIdle);
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i));
    }
    assertTrue(actual.get(0)[0] >= 0 && sim.stats().totalNanos() > 0);
  }

  @Test
  void timingDoesNotDependOnComputeMode() {
    SimulatedDevice real = new SimulatedDevice(GpuProfiles.A100_40GB, SimulatedDevice.Compute.REAL);
    real.enableTrace();
    gemmThenRelu(real, real::runUntilIdle);
    SimulatedDevice timing = new SimulatedDevice(GpuProfiles.A100_40GB);
    timing.enableTrace();
    List<float[]> zeros = gemmThenRelu(timing, timing::runUntilIdle);
    assertEquals(real.trace(), timing.trace());
    assertEquals(600, zeros.get(0).length);
  }

  @Test
  void stageStaysPendingUntilVirtualTimeReachesIt() {
    SimulatedDevice d = new SimulatedDevice(GpuProfiles.V100);
    CompletableFuture<Void> f = d.launch(Sim.launchOf(d, Gemm.of(64, 64, 64)), d.defaultStream()).toCompletableFuture();
    assertFalse(f.isDone());
    assertEquals(0, d.clock().nanoTime());
    d.runUntilIdle();
    assertTrue(f.isDone());
    assertEquals(d.estimateNanos(Sim.launchOf(d, Gemm.of(64, 64, 64))), d.clock().nanoTime());
  }

  @Test
  void oneStreamRunsInSubmissionOrderEvenWhenLaterWorkIsShorter() {
    SimulatedDevice d = new SimulatedDevice(GpuProfiles.V100);
    List<String> order = new ArrayList<>();
    d.launch(Sim.launchOf(d, Gemm.of(1024, 1024, 1024)), d.defaultStream()).thenRun(() -> order.add("long"));
    d.launch(Sim.launchOf(d, Unary.of(UnaryOp.RELU, 4)), d.defaultStream()).thenRun(() -> order.add("short"));
    d.runUntilIdle();
    assertEquals(List.of("long", "short"), order);
  }

  @Test
  void callbacksLaunchMoreAtTheSameVirtualTimeAndScheduledActionsRunOnTime() {
    SimulatedDevice d = new SimulatedDevice(GpuProfiles.H100);
    long[] seen = new long[3];
    d.schedule(1_000_000, () -> {
      seen[0] = d.clock().nanoTime();
      d.launch(Sim.launchOf(d, Gemm.of(64, 64, 64)), d.defaultStream()).thenRun(() -> {
        seen[1] = d.clock().nanoTime();
        d.launch(Sim.launchOf(d, Gemm.of(64, 64, 64)), d.defaultStream()).thenRun(() -> seen[2] = d.clock().nanoTime());
      });
    });
    d.runUntilIdle();
    long one = d.estimateNanos(Sim.launchOf(d, Gemm.of(64, 64, 64)));
    assertEquals(1_000_000, seen[0]);
    assertEquals(1_000_000 + one, seen[1]);
    assertEquals(1_000_000 + 2 * one, seen[2]);
    assertThrows(IllegalArgumentException.class, () -> d.schedule(5, () -> { }));
  }

  /** A mixed workload: arrivals that launch on several streams, fused and single kernels, copies. */
  private static List<TraceEvent> workload() {
    SimulatedDevice d = new SimulatedDevice(GpuProfiles.V100);
    d.enableTrace();
    List<DeviceStream> streams = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      streams.add(d.createStream(i % 3 - 1));
    }
    Random r = new Random(7);
    long t = 0;
    for (int i = 0; i < 60; i++) {
      t += r.nextInt(20_000);
      DeviceStream s = streams.get(r.nextInt(streams.size()));
      int m = 1 + r.nextInt(300);
      boolean fuse = r.nextBoolean();
      d.schedule(t, () -> {
        d.launch(fuse ? Sim.grouped(d, Gemm.of(m, 128, 256), 3) : Sim.launchOf(d, Gemm.of(m, 128, 256)), s)
            .thenCompose(x -> d.launch(Sim.launchOf(d, Unary.of(UnaryOp.RELU, 128L * m)), s))
            .thenCompose(x -> d.download(d.allocate(512).whole(), s));
      });
    }
    d.runUntilIdle();
    return d.trace();
  }

  @Test
  void sameWorkloadGivesTheSameTimelineEventForEvent() {
    List<TraceEvent> first = workload();
    List<TraceEvent> second = workload();
    assertTrue(first.size() > 500, "a busy timeline: " + first.size());
    assertEquals(first, second);
  }

  private static DeviceException failure(CompletionStage<?> stage) {
    CompletionException e = assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join());
    return assertInstanceOf(DeviceException.class, e.getCause());
  }

  @Test
  void badLaunchesFailTheirStageAsOnTheCpuDevice() {
    SimulatedDevice d = new SimulatedDevice(GpuProfiles.V100, SimulatedDevice.Compute.REAL);
    Gemm g = Gemm.of(4, 4, 4);
    BufferSlice small = d.allocate(16).whole();
    BufferSlice ok = d.allocate(64).whole();
    assertEquals(DeviceException.Reason.INVALID_ARGUMENT,
        failure(d.launch(new KernelLaunch(g, List.of(ok, ok)), d.defaultStream())).reason());
    assertEquals(DeviceException.Reason.INVALID_ARGUMENT,
        failure(d.launch(new KernelLaunch(g, List.of(ok, small, d.allocate(64).whole())), d.defaultStream())).reason());
    try (CpuDevice cpu = new CpuDevice(1)) {
      BufferSlice foreign = cpu.allocate(64).whole();
      assertEquals(DeviceException.Reason.INVALID_ARGUMENT,
          failure(d.launch(new KernelLaunch(g, List.of(ok, foreign, d.allocate(64).whole())), d.defaultStream())).reason());
      assertEquals(DeviceException.Reason.INVALID_ARGUMENT, failure(d.launch(Sim.launchOf(d, g), cpu.defaultStream())).reason());
    }
    BufferSlice freed = d.allocate(64).whole();
    d.free(freed.buffer());
    assertEquals(DeviceException.Reason.CLOSED,
        failure(d.launch(new KernelLaunch(g, List.of(ok, freed, d.allocate(64).whole())), d.defaultStream())).reason());
    assertThrows(DeviceException.class, () -> d.allocate(d.info().memoryBytes()));
  }

  @Test
  void aKernelThatFailsInRealModeFailsAtItsVirtualCompletionAndTheStreamGoesOn() {
    SimulatedDevice d = new SimulatedDevice(GpuProfiles.V100, SimulatedDevice.Compute.REAL);
    Gather gather = new Gather(Shape.of(4), 0, 1);
    BufferSlice data = d.allocate(16).whole();
    BufferSlice index = d.allocate(4).whole();
    d.upload(new float[] {99}, index, d.defaultStream());
    CompletionStage<Void> bad = d.launch(new KernelLaunch(gather, List.of(data, index, d.allocate(4).whole())), d.defaultStream());
    CompletionStage<Void> after = d.launch(Sim.launchOf(d, Unary.of(UnaryOp.RELU, 4)), d.defaultStream());
    d.runUntilIdle();
    assertEquals(DeviceException.Reason.INVALID_DATA, failure(bad).reason());
    after.toCompletableFuture().join();
  }

  @Test
  void closingFailsPendingWorkAndLaterCalls() {
    SimulatedDevice d = new SimulatedDevice(GpuProfiles.V100);
    CompletionStage<Void> pending = d.launch(Sim.launchOf(d, Gemm.of(64, 64, 64)), d.defaultStream());
    d.close();
    assertEquals(DeviceException.Reason.CLOSED, failure(pending).reason());
    assertEquals(DeviceException.Reason.CLOSED, failure(d.download(new BufferSlice(foreignBuffer(), 0, 4), d.defaultStream())).reason());
    assertThrows(DeviceException.class, () -> d.allocate(4));
  }

  private static dev.braid.device.DeviceBuffer foreignBuffer() {
    return () -> 4;
  }

  @Test
  void devicesOpensSimulatedGpusByName() {
    try (Device d = Devices.open("--device", DeviceSpec.parse("--device", "sim-h100"), 1)) {
      assertInstanceOf(SimulatedDevice.class, d);
      assertEquals(132, d.info().gpu().orElseThrow().smCount());
    }
    SettingsException e = assertThrows(SettingsException.class,
        () -> Devices.open("--device", DeviceSpec.parse("--device", "sim-b200"), 1));
    assertTrue(e.getMessage().contains("--device") && e.getMessage().contains("sim-b200")
        && e.getMessage().contains("sim-v100, sim-a100, sim-a100-80gb, sim-h100, sim-h200"), e.getMessage());
    try (Device cpu = Devices.open("--device", DeviceSpec.auto(), 1)) {
      assertInstanceOf(CpuDevice.class, cpu);
    }
  }
}
