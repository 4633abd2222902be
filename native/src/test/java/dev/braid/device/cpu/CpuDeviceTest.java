package dev.braid.device.cpu;

import static dev.braid.device.cpu.Harness.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.BufferSlice;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CpuDeviceTest {
  private final CpuDevice device = new CpuDevice(2, 1 << 26);

  @AfterEach
  void close() {
    device.close();
  }

  @Test
  void groupedGemmOverDifferentShapesEqualsSeparateLaunches() {
    Random rnd = new Random(11);
    Gemm[] gemms = {Gemm.of(512, 17, 512), Gemm.of(256, 128, 1152 / 4), Gemm.of(30, 70, 9, true, true, 1f, 1f, GemmBias.PER_COLUMN)};
    List<KernelLaunch> problems = new ArrayList<>();
    List<float[]> separate = new ArrayList<>();
    for (Gemm g : gemms) {
      float[] a = random(rnd, g.m() * g.k()), b = random(rnd, g.k() * g.n()), c = random(rnd, g.n());
      float[][] ins = g.bias() == GemmBias.NONE ? new float[][] {a, b} : new float[][] {a, b, c};
      separate.add(Harness.run(device, g, ins));
      problems.add(Harness.prepare(device, g, new ArrayList<>(), ins));
    }
    device.launch(new GroupedLaunch(problems), device.defaultStream()).toCompletableFuture().join();
    for (int i = 0; i < gemms.length; i++) {
      KernelLaunch p = problems.get(i);
      float[] got = device.download(p.args().get(p.args().size() - 1), device.defaultStream()).toCompletableFuture().join();
      assertArrayEquals(separate.get(i), got, "problem " + i);
    }
  }

  @Test
  void groupedConvOverDifferentShapesEqualsSeparateLaunches() {
    Random rnd = new Random(12);
    Conv2d[] convs = {
        Conv2d.simple(1, 8, 14, 14, 16, 3, 1, 1, 1),
        Conv2d.simple(2, 4, 9, 9, 4, 3, 2, 1, 1),
        new Conv2d(1, 6, 7, 7, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, true, Activation.RELU)};
    List<KernelLaunch> problems = new ArrayList<>();
    List<float[]> separate = new ArrayList<>();
    for (Conv2d c : convs) {
      float[] x = random(rnd, c.n() * c.c() * c.h() * c.w());
      float[] w = random(rnd, c.k() * c.channelsPerGroup() * c.kernelH() * c.kernelW());
      float[][] ins = c.hasBias() ? new float[][] {x, w, random(rnd, c.k())} : new float[][] {x, w};
      separate.add(Harness.run(device, c, ins));
      problems.add(Harness.prepare(device, c, new ArrayList<>(), ins));
    }
    device.launch(new GroupedLaunch(problems), device.defaultStream()).toCompletableFuture().join();
    for (int i = 0; i < convs.length; i++) {
      KernelLaunch p = problems.get(i);
      float[] got = device.download(p.args().get(p.args().size() - 1), device.defaultStream()).toCompletableFuture().join();
      assertArrayEquals(separate.get(i), got, "problem " + i);
    }
  }

  @Test
  void groupedLaunchRejectsMixedKinds() {
    DeviceBuffer b = device.allocate(1 << 12);
    KernelLaunch gemm = new KernelLaunch(Gemm.of(2, 2, 2), List.of(b.whole(), b.whole(), b.whole()));
    KernelLaunch relu = new KernelLaunch(Unary.of(UnaryOp.RELU, 4), List.of(b.whole(), b.whole()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GroupedLaunch(List.of(gemm, relu)));
    assertTrue(e.getMessage().contains("Gemm") && e.getMessage().contains("Unary"), e.getMessage());
  }

  @Test
  void streamRunsWorkInSubmissionOrder() {
    DeviceStream s = device.createStream(-1);
    DeviceBuffer buf = device.allocate(4L * 100_000 * 3);
    BufferSlice a = buf.slice(0, 400_000), b = buf.slice(400_000, 400_000), c = buf.slice(800_000, 400_000);
    float[] src = new float[100_000];
    java.util.Arrays.fill(src, -3f);
    // upload -> relu into b -> clip b into c: each step reads what the previous one wrote.
    device.upload(src, a, s);
    device.launch(new KernelLaunch(Unary.of(UnaryOp.SQRT, 100_000), List.of(a, b)), s);
    device.launch(new KernelLaunch(Unary.of(UnaryOp.RELU, 100_000), List.of(a, b)), s);
    device.launch(new KernelLaunch(Unary.clip(100_000, 1f, 2f), List.of(b, c)), s);
    float[] out = device.download(c, s).toCompletableFuture().join();
    for (float v : out) {
      assertEquals(1f, v);
    }
    assertEquals(-1, s.priority());
  }

  @Test
  void tinyWorkOnAnIdleStreamIsDoneOnReturnAndStillWaitsBehindEarlierWork() {
    DeviceStream s = device.createStream(0);
    int n = (int) CpuDevice.INLINE_MAX_ELEMENTS / 2; // a launch's input and output together: the limit
    DeviceBuffer buf = device.allocate(4L * n * 2);
    BufferSlice a = buf.slice(0, 4L * n), b = buf.slice(4L * n, 4L * n);
    float[] src = new float[n];
    java.util.Arrays.fill(src, -3f);
    assertTrue(device.upload(src, a, s).toCompletableFuture().isDone(), "tiny upload ran on this thread");
    assertTrue(device.launch(new KernelLaunch(Unary.of(UnaryOp.RELU, n), List.of(a, b)), s)
        .toCompletableFuture().isDone(), "tiny launch ran on this thread");
    assertArrayEquals(new float[n], device.download(b, s).toCompletableFuture().join());

    // Behind a large item still queued or running, a tiny one waits its turn on the pool.
    DeviceBuffer big = device.allocate(4L * 1_000_000 * 2);
    BufferSlice x = big.slice(0, 4_000_000), y = big.slice(4_000_000, 4_000_000);
    float[] large = new float[1_000_000];
    java.util.Arrays.fill(large, 4f);
    CompletableFuture<Void> first = device.upload(large, x, s).toCompletableFuture();
    device.launch(new KernelLaunch(Unary.of(UnaryOp.SQRT, 1_000_000), List.of(x, y)), s);
    CompletableFuture<float[]> tiny = device.download(big.slice(4_000_000, 16), s).toCompletableFuture();
    assertArrayEquals(new float[] {2f, 2f, 2f, 2f}, tiny.join(), "read after the launch before it wrote");
    assertTrue(first.isDone());
  }

  @Test
  void launchWithTooSmallSliceFailsNamingKernelAndArgument() {
    DeviceBuffer buf = device.allocate(4 * 64);
    Gemm g = Gemm.of(4, 4, 4);
    KernelLaunch bad = new KernelLaunch(g, List.of(buf.slice(0, 64), buf.slice(64, 32), buf.slice(128, 64)));
    CompletableFuture<Void> f = device.launch(bad, device.defaultStream()).toCompletableFuture();
    CompletionException e = assertThrows(CompletionException.class, () -> f.orTimeout(5, TimeUnit.SECONDS).join());
    DeviceException de = assertInstanceOf(DeviceException.class, e.getCause());
    assertEquals(DeviceException.Reason.INVALID_ARGUMENT, de.reason());
    assertTrue(de.getMessage().contains("Gemm") && de.getMessage().contains("argument 1 (B)")
        && de.getMessage().contains("needs 64 bytes"), de.getMessage());
  }

  @Test
  void launchWithWrongArgCountFailsItsStage() {
    DeviceBuffer buf = device.allocate(64);
    CompletableFuture<Void> f = device.launch(
        new KernelLaunch(Unary.of(UnaryOp.RELU, 4), List.of(buf.whole())), device.defaultStream()).toCompletableFuture();
    CompletionException e = assertThrows(CompletionException.class, f::join);
    assertTrue(e.getCause().getMessage().contains("takes 2 arguments [X, Y], got 1"), e.getCause().getMessage());
  }

  @Test
  void failingKernelFailsItsStageAndTheStreamGoesOn() {
    DeviceBuffer buf = device.allocate(64);
    float[] idx = {7};
    device.upload(idx, buf.slice(0, 4), device.defaultStream());
    var gather = new dev.braid.device.kernel.Gather(dev.braid.model.Shape.of(2, 2), 0, 1);
    CompletableFuture<Void> f = device.launch(new KernelLaunch(gather,
        List.of(buf.slice(16, 16), buf.slice(0, 4), buf.slice(32, 8))), device.defaultStream()).toCompletableFuture();
    CompletionException e = assertThrows(CompletionException.class, f::join);
    assertEquals(DeviceException.Reason.INVALID_DATA, ((DeviceException) e.getCause()).reason());
    assertTrue(e.getCause().getMessage().contains("index 7.0"), e.getCause().getMessage());
    float[] after = device.download(buf.slice(0, 4), device.defaultStream()).toCompletableFuture().join();
    assertEquals(7f, after[0]);
  }

  @Test
  void allocationBeyondCapacityIsOutOfMemoryAndFreeReturnsIt() {
    DeviceBuffer a = device.allocate(1 << 25);
    DeviceException e = assertThrows(DeviceException.class, () -> device.allocate((1 << 25) + 4));
    assertEquals(DeviceException.Reason.OUT_OF_MEMORY, e.reason());
    device.free(a);
    assertEquals(0, device.allocatedBytes());
    assertThrows(DeviceException.class, () -> device.free(a));
    assertThrows(DeviceException.class, () -> device.allocate(6));
  }

  @Test
  void closedDeviceFailsStagesInsteadOfHanging() {
    DeviceBuffer a = device.allocate(16);
    device.close();
    CompletableFuture<float[]> f = device.download(a.whole(), device.defaultStream()).toCompletableFuture();
    CompletionException e = assertThrows(CompletionException.class, f::join);
    assertEquals(DeviceException.Reason.CLOSED, ((DeviceException) e.getCause()).reason());
  }
}
