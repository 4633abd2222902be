package dev.braid.device.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceException;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.ScatterReduction;
import dev.braid.device.kernel.TopK;
import dev.braid.device.plan.FusionKeys;
import dev.braid.model.Shape;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's CPU kernels where the ONNX node tests do not reach: integers beyond float32's exact
 * range fail instead of rounding, bad run-time indices fail naming the position, duplicate scatter
 * indices apply in order, and the cost model's byte and FLOP counts.
 */
class TensorKernelsTest {
  private static final CpuDevice DEVICE = new CpuDevice(2);

  @AfterAll
  static void close() {
    DEVICE.close();
  }

  private static String failure(Kernel k, float[]... inputs) {
    CompletionException e = assertThrows(CompletionException.class, () -> Harness.run(DEVICE, k, inputs));
    DeviceException d = assertInstanceOf(DeviceException.class, e.getCause());
    assertEquals(DeviceException.Reason.INVALID_DATA, d.reason());
    return d.getMessage();
  }

  @Test
  void anIntegerSumBeyondTwoToThe24FailsInsteadOfRounding() {
    float big = 1 << 24;
    Reduce sum = new Reduce(ReduceOp.SUM, Shape.of(2, 2), List.of(1), true);
    assertArrayEquals(new float[] {big, 3}, Harness.run(DEVICE, sum, new float[] {big - 1, 1, 1, 2}));
    assertTrue(failure(sum, new float[] {big, 1, 1, 2}).contains("beyond 2^24"));
    AlongAxis cum = new AlongAxis(AxisOp.CUMSUM, 1, 3, 1, true);
    assertTrue(failure(cum, new float[] {big, 1, 1}).contains("beyond 2^24"));
    // the same sums of a float tensor are plain float arithmetic
    assertEquals(big + 2, Harness.run(DEVICE, new Reduce(ReduceOp.SUM, Shape.of(3), List.of(0), false),
        new float[] {big, 1, 1})[0]);
  }

  @Test
  void badIndicesFailTheLaunchNamingThePosition() {
    Remap r = new Remap(4, 3, 0f);
    assertArrayEquals(new float[] {3, 0, 1}, Harness.run(DEVICE, r, new float[] {1, 2, 3, 4}, new float[] {2, -1, 0}));
    assertTrue(failure(r, new float[] {1, 2, 3, 4}, new float[] {2, 4, 0}).contains("map entry 1 is 4.0"));
    GatherElements g = new GatherElements(Shape.of(2, 3), Shape.of(2, 2), 1);
    assertArrayEquals(new float[] {12, 10, 21, 22}, Harness.run(DEVICE, g, new float[] {10, 11, 12, 20, 21, 22},
        new float[] {-1, 0, 1, 2}));
    assertTrue(failure(g, new float[6], new float[] {0, 0, 3, 0}).contains("index 3.0 at position 2"));
    assertTrue(failure(g, new float[6], new float[] {0, 0.5f, 0, 0}).contains("index 0.5 at position 1"));
  }

  @Test
  void duplicateScatterIndicesApplyInIndexOrder() {
    Scatter none = new Scatter(false, Shape.of(1, 3), Shape.of(1, 3), 1, ScatterReduction.NONE);
    assertArrayEquals(new float[] {0, 7, 0}, Harness.run(DEVICE, none, new float[3], new float[] {1, 1, 1},
        new float[] {5, 6, 7}));
    Scatter add = new Scatter(false, Shape.of(1, 3), Shape.of(1, 3), 1, ScatterReduction.ADD);
    assertArrayEquals(new float[] {1, 19, 1}, Harness.run(DEVICE, add, new float[] {1, 1, 1}, new float[] {1, 1, 1},
        new float[] {5, 6, 7}));
  }

  @Test
  void topKBreaksTiesByTheLowerIndex() {
    TopK values = new TopK(1, 5, 1, 3, true, false), indices = new TopK(1, 5, 1, 3, true, true);
    float[] x = {1, 3, 2, 3, 0};
    assertArrayEquals(new float[] {3, 3, 2}, Harness.run(DEVICE, values, x));
    assertArrayEquals(new float[] {1, 3, 2}, Harness.run(DEVICE, indices, x));
  }

  @Test
  void costsAreWhatTheKernelsTouch() {
    // a slice reads only what it keeps, plus its map
    Remap slice = new Remap(1000, 10, 0f);
    assertEquals(4L * (10 + 10), slice.bytesRead());
    assertEquals(40, slice.bytesWritten());
    Reduce lse = new Reduce(ReduceOp.LOG_SUM_EXP, Shape.of(4, 8), List.of(1), false);
    assertEquals(4 * 32, lse.flops());
    assertEquals(4L * 4, lse.bytesWritten());
    // a float reduction fuses in the rows class; an integral one and a slice (layout) launch alone
    assertEquals(Optional.of(FusionKeys.ROWS), FusionKeys.of(lse));
    assertTrue(FusionKeys.of(new Reduce(ReduceOp.SUM, Shape.of(4, 8), List.of(1), true)).isEmpty());
    assertTrue(FusionKeys.of(slice).isEmpty());
  }
}
