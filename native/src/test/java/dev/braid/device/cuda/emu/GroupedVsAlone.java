package dev.braid.device.cuda.emu;

import static dev.braid.device.FloatBits.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.BufferSlice;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.cuda.LaunchPacker;
import dev.braid.device.kernel.Kernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs kernels on a CUDA device one launch each, then the same problems (on buffers of their own,
 * holding the same inputs) as one grouped launch, and asserts every output equal bit for bit.
 * Outputs start as NaN, so an element a kernel leaves unwritten cannot match by chance.
 */
final class GroupedVsAlone {
  private GroupedVsAlone() {}

  /**
   * Inputs for {@code kernels}: values in [-3, 3), and small integers a quarter of the time, so
   * that arg reductions, Hardmax, TopK and max pools meet ties.
   */
  static List<float[][]> inputs(List<Kernel> kernels, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<float[][]> inputs = new ArrayList<>();
    for (Kernel k : kernels) {
      float[][] in = new float[k.argNames().size() - k.outputCount()][];
      for (int i = 0; i < in.length; i++) {
        in[i] = new float[(int) (k.argBytes(i) / 4)];
        for (int j = 0; j < in[i].length; j++) {
          in[i][j] = rnd.nextInt(4) == 0 ? rnd.nextInt(-2, 3) : (float) (rnd.nextDouble() * 6 - 3);
        }
      }
      inputs.add(in);
    }
    return inputs;
  }

  /** The grouped launch (one table upload, one call) equals the single launches bit for bit. */
  static void assertBitForBit(CudaDevice gpu, List<Kernel> kernels, List<float[][]> inputs) throws Exception {
    DeviceStream s = gpu.createStream(-1);
    List<DeviceBuffer> owned = new ArrayList<>();
    try {
      List<KernelLaunch> alone = new ArrayList<>();
      List<KernelLaunch> grouped = new ArrayList<>();
      for (int p = 0; p < kernels.size(); p++) {
        alone.add(prepare(gpu, kernels.get(p), inputs.get(p), s, owned));
        grouped.add(prepare(gpu, kernels.get(p), inputs.get(p), s, owned));
      }
      for (KernelLaunch l : alone) {
        run(gpu, l, s);
      }
      GroupedLaunch g = new GroupedLaunch(grouped);
      // one table upload and one kernel launch for all the problems
      assertEquals(2, LaunchPacker.driverCalls(g));
      run(gpu, g, s);
      for (int p = 0; p < kernels.size(); p++) {
        int[] want = bits(output(gpu, alone.get(p), s));
        int[] got = bits(output(gpu, grouped.get(p), s));
        assertArrayEquals(want, got, "problem " + p + ": " + kernels.get(p));
      }
      assertTrue(gpu.healthy());
    } finally {
      for (DeviceBuffer b : owned) {
        gpu.free(b);
      }
    }
  }

  private static KernelLaunch prepare(CudaDevice gpu, Kernel k, float[][] in, DeviceStream s, List<DeviceBuffer> owned)
      throws Exception {
    List<BufferSlice> args = new ArrayList<>();
    for (int i = 0; i < k.argNames().size(); i++) {
      DeviceBuffer b = gpu.allocate(Math.max(4, k.argBytes(i)));
      owned.add(b);
      BufferSlice slice = b.slice(0, k.argBytes(i));
      float[] v = i < in.length ? in[i] : nans((int) (k.argBytes(i) / 4));
      gpu.upload(v, slice, s).toCompletableFuture().get(30, TimeUnit.SECONDS);
      args.add(slice);
    }
    return new KernelLaunch(k, args);
  }

  private static void run(CudaDevice gpu, Launch l, DeviceStream s) throws Exception {
    gpu.launch(l, s).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static float[] output(CudaDevice gpu, KernelLaunch l, DeviceStream s) throws Exception {
    return gpu.download(l.args().get(l.args().size() - 1), s).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static float[] nans(int n) {
    float[] a = new float[n];
    Arrays.fill(a, Float.NaN);
    return a;
  }
}
