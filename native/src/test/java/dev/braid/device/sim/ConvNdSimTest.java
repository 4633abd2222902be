package dev.braid.device.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceStream;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.ConvNd;
import dev.braid.device.kernel.ConvTranspose2d;
import dev.braid.device.plan.KernelFamily;
import dev.braid.device.plan.KernelGeometry;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.model.DType;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * A 3-D convolution in the plan and on the simulated GPU: one {@link ConvNd} op with its exact
 * FLOPs, the braid_conv_nd_f32 launch geometry and no fusion key (no grouped kernel takes it); on
 * {@link SimulatedDevice} in REAL mode the CPU device's outputs, and a simulated time that grows
 * with the work.
 */
class ConvNdSimTest {
  private static final ConvNd SMALL = new ConvNd(ConvNd.Kind.CONV, 1, 4, 8, List.of(6, 8, 8), List.of(3, 3, 3),
      List.of(1, 1, 1), List.of(1, 1, 1), List.of(1, 1, 1), List.of(6, 8, 8), 1, true);
  private static final ConvNd LARGE = new ConvNd(ConvNd.Kind.CONV, 4, 16, 32, List.of(8, 16, 16), List.of(3, 3, 3),
      List.of(1, 1, 1), List.of(1, 1, 1), List.of(1, 1, 1), List.of(8, 16, 16), 1, true);

  @Test
  void aConv3dModelPlansToOneConvNdWithItsExactFlopsAndNoFusionKey() {
    byte[] onnx = OnnxModelBuilder.singleOp("Conv").opset(11).attr("pads", new long[] {1, 1, 1, 1, 1, 1})
        .attr("strides", new long[] {2, 1, 2}).input("X", DType.FLOAT32, 2, 3, 5, 6, 7)
        .initializer("W", new float[4 * 3 * 27], 4, 3, 3, 3, 3).initializer("B", new float[4], 4)
        .outputOfAnyShape("Y", DType.FLOAT32).toBytes();
    KernelPlan plan = KernelPlanner.plan(OnnxImporter.parse(onnx, "conv3d").bind(2));
    assertEquals(1, plan.size());
    KernelOp op = plan.op(0);
    ConvNd k = (ConvNd) op.kernel();
    assertEquals(List.of(3, 6, 4), k.out());
    // per axis, the (output, tap) pairs inside the input: depth 3 outputs x 3 taps less the 2 that
    // fall in the padding, height 6 x 3 less 2, width 4 x 3 less 2
    assertEquals(List.of(7L, 16L, 10L), List.of(k.validPairs(0), k.validPairs(1), k.validPairs(2)));
    assertEquals(2L * 2 * 4 * 3 * 7 * 16 * 10 + 2 * 4 * 3 * 6 * 4, op.flops());
    assertEquals(op.flops(), KernelGeometry.issuedFlops(k));
    assertEquals(Optional.empty(), op.fusionKey());
    assertEquals(KernelFamily.CONV2D, KernelFamily.of(k));
    assertEquals(64, op.geometry().registersPerThread());
    assertEquals((k.outputElements() + 1023) / 1024, op.geometry().blocks());
    assertEquals(4L * (2 * 3 * 5 * 6 * 7 + 4 * 3 * 27 + 4), op.bytesRead());
    assertEquals(4L * k.outputElements(), op.bytesWritten());
  }

  @Test
  void directConvolutionsHaveNoFusionKeyThoughTheyShareTheConvolutionFamily() {
    ConvTranspose2d t2 = new ConvTranspose2d(1, 4, 5, 6, 6, 3, 3, 2, 2, 1, 0, 1, 1, 2, 10, 13, true);
    assertEquals(KernelFamily.CONV2D, KernelFamily.of(t2));
    assertEquals(Optional.empty(), dev.braid.device.plan.FusionKeys.of(t2));
    assertEquals(Optional.empty(), dev.braid.device.plan.FusionKeys.of(SMALL));
  }

  @Test
  void realModeGivesTheCpuDevicesOutputsAndLargerWorkTakesLonger() {
    float[][] inputs = inputs(SMALL, new SplittableRandom(11));
    float[] want;
    try (CpuDevice cpu = new CpuDevice(1)) {
      want = run(cpu, SMALL, inputs, () -> { });
    }
    SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100, SimulatedDevice.Compute.REAL);
    float[] got = run(sim, SMALL, inputs, sim::runUntilIdle);
    assertArrayEquals(want, got);

    SimulatedDevice timing = new SimulatedDevice(GpuProfiles.H100);
    long small = Sim.makespanOnStreams(timing, List.of(SMALL));
    SimulatedDevice timing2 = new SimulatedDevice(GpuProfiles.H100);
    long large = Sim.makespanOnStreams(timing2, List.of(LARGE));
    assertTrue(small > 0 && large > small, "small " + small + " ns, large " + large + " ns");
    assertTrue(LARGE.flops() > 100 * SMALL.flops());
  }

  private static float[][] inputs(ConvNd k, SplittableRandom rnd) {
    float[][] in = new float[k.argNames().size() - 1][];
    for (int i = 0; i < in.length; i++) {
      in[i] = new float[(int) (k.argBytes(i) / 4)];
      for (int j = 0; j < in[i].length; j++) {
        in[i][j] = (float) (rnd.nextDouble() * 2 - 1);
      }
    }
    return in;
  }

  private static float[] run(Device d, ConvNd k, float[][] inputs, Runnable drive) {
    DeviceStream s = d.defaultStream();
    List<BufferSlice> args = new ArrayList<>();
    for (int i = 0; i < k.argNames().size(); i++) {
      BufferSlice b = d.allocate(k.argBytes(i)).whole();
      if (i < inputs.length) {
        d.upload(inputs[i], b, s);
      }
      args.add(b);
    }
    d.launch(new KernelLaunch(k, args), s);
    CompletionStage<float[]> out = d.download(args.get(args.size() - 1), s);
    drive.run();
    return out.toCompletableFuture().join();
  }
}
