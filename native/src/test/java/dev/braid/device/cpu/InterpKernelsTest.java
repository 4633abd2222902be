package dev.braid.device.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.GridSample;
import dev.braid.device.kernel.Resample;
import dev.braid.device.kernel.RoiAlign;
import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.fold.ResampleTables;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The interpolation kernels' CPU references against values worked out by hand from ONNX's
 * definitions: Resize linear and cubic through the tables {@link ResampleTables} builds (half_pixel,
 * asymmetric, exclude_outside, tf_crop_and_resize's extrapolation, axes), and GridSample's modes
 * and paddings on a 2x2 image.
 */
class InterpKernelsTest {
  private static final CpuDevice DEVICE = new CpuDevice(2);
  private static final float[] RAMP = {1, 2, 4, 8};

  @AfterAll
  static void close() {
    DEVICE.close();
  }

  /** A Resize (opset 11+ form) of X [1, 4] with the given constants and attributes, run on the CPU. */
  private static float[] resize(float[] x, Shape shape, Map<String, Attribute> attrs, float[] roi, float[] scales,
      long[] sizes) {
    Map<String, Tensor> constants = new HashMap<>();
    List<String> inputs = new ArrayList<>(List.of("X", "roi", "scales", "sizes"));
    constants.put("roi", Tensor.ofFloats(Shape.of(roi == null ? 0 : roi.length), roi == null ? new float[0] : roi));
    constants.put("scales", Tensor.ofFloats(Shape.of(scales == null ? 0 : scales.length),
        scales == null ? new float[0] : scales));
    if (sizes == null) {
      inputs.remove(3);
    } else {
      constants.put("sizes", Tensor.ofLongs(Shape.of(sizes.length), sizes));
    }
    Node n = new Node("r", "Resize", inputs, List.of("Y"), Attributes.of(attrs));
    ResampleTables t = ResampleTables.of(n, shape, constants::get);
    List<Integer> taps = new ArrayList<>();
    for (int tap : t.taps()) {
      taps.add(tap);
    }
    return Harness.run(DEVICE, new Resample(shape, t.output(), taps, t.fill()), x, t.table());
  }

  private static Map<String, Attribute> attrs(Object... kv) {
    Map<String, Attribute> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      Object v = kv[i + 1];
      m.put((String) kv[i], v instanceof String s ? new Attribute.Str(s) : v instanceof Float f
          ? new Attribute.Float(f) : v instanceof long[] l ? new Attribute.Ints(l) : new Attribute.Int((Integer) v));
    }
    return m;
  }

  @Test
  void linearHalfPixelUpsamplingClampsAtTheEdges() {
    // x_ori = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, ..., 3.25; the taps beyond the input read the edge
    float[] y = resize(new float[] {1, 2, 3, 4}, Shape.of(1, 4), attrs("mode", "linear"), null,
        new float[] {1, 2}, null);
    assertArrayEquals(new float[] {1, 1.25f, 1.75f, 2.25f, 2.75f, 3.25f, 3.75f, 4}, y, 1e-6f);
  }

  @Test
  void cubicAsymmetricWeighsFourTapsAndExcludeOutsideRenormalizes() {
    // output 1 at x_ori = 0.5: Keys A = -0.75 at ratio 1/2 gives [-3/32, 19/32, 19/32, -3/32] on
    // taps -1, 0, 1, 2 (tap -1 reads x[0]): (-3 + 19 + 38 - 12) / 32 = 1.3125
    Map<String, Attribute> a = attrs("mode", "cubic", "coordinate_transformation_mode", "asymmetric");
    float[] y = resize(RAMP, Shape.of(1, 4), a, null, new float[] {1, 2}, null);
    assertEquals(8, y.length);
    assertEquals(1, y[0], 1e-6f);
    assertEquals(1.3125f, y[1], 1e-6f);
    assertEquals(2, y[2], 1e-6f);
    // exclude_outside: tap -1 gets weight 0, the rest divide by 35/32: (19 + 38 - 12) / 35 = 9/7
    a.put("exclude_outside", new Attribute.Int(1));
    assertEquals(9f / 7, resize(RAMP, Shape.of(1, 4), a, null, new float[] {1, 2}, null)[1], 1e-6f);
    // cubic_coeff_a = -0.5 at ratio 1/2: [-1/16, 9/16, 9/16, -1/16]: (-1 + 9 + 18 - 4) / 16 = 1.375
    Map<String, Attribute> half = attrs("mode", "cubic", "coordinate_transformation_mode", "asymmetric",
        "cubic_coeff_a", -0.5f);
    assertEquals(1.375f, resize(RAMP, Shape.of(1, 4), half, null, new float[] {1, 2}, null)[1], 1e-6f);
  }

  @Test
  void tfCropAndResizeExtrapolatesOutsideTheInput() {
    // x_ori = i * (1.5 - 0.5) * 3 / 2 + 0.5 * 3 = 1.5, 3, 4.5: the last lies beyond x[3]
    Map<String, Attribute> a = attrs("mode", "linear", "coordinate_transformation_mode", "tf_crop_and_resize",
        "extrapolation_value", 10f);
    float[] y = resize(new float[] {1, 2, 3, 4}, Shape.of(1, 4), a, new float[] {0, 0.5f, 1, 1.5f}, null,
        new long[] {1, 3});
    assertArrayEquals(new float[] {2.5f, 4, 10}, y, 1e-6f);
  }

  @Test
  void alignCornersDividesByTheRealValuedOutputLength() {
    // scales 0.6 on 4 elements: 2 outputs, x_ori = i * 3 / (2.4 - 1): 0 and 2.142857 (ONNX's own case)
    Map<String, Attribute> a = attrs("mode", "linear", "coordinate_transformation_mode", "align_corners");
    float[] y = resize(new float[] {1, 2, 3, 4}, Shape.of(1, 4), a, null, new float[] {1, 0.6f}, null);
    assertArrayEquals(new float[] {1, 3.142857f}, y, 1e-5f);
  }

  @Test
  void axesAndKeepAspectRatioScaleOnlyTheListedAxes() {
    // sizes (3, 8) over axes (0, 1) of a 2x4 input with not_larger: scale min(1.5, 2) = 1.5 on both
    Map<String, Attribute> a = attrs("mode", "linear", "axes", new long[] {0, 1}, "keep_aspect_ratio_policy",
        "not_larger");
    Map<String, Tensor> none = new HashMap<>();
    none.put("roi", Tensor.ofFloats(Shape.of(0), new float[0]));
    none.put("scales", Tensor.ofFloats(Shape.of(0), new float[0]));
    none.put("sizes", Tensor.ofLongs(Shape.of(2), new long[] {3, 8}));
    Node n = new Node("r", "Resize", List.of("X", "roi", "scales", "sizes"), List.of("Y"), Attributes.of(a));
    assertEquals(Shape.of(3, 6), ResampleTables.of(n, Shape.of(2, 4), none::get).output());
    // axes = (1) with scales (2): the first axis keeps scale 1 and costs one tap
    Map<String, Attribute> b = attrs("mode", "linear", "axes", new long[] {-1});
    none.put("scales", Tensor.ofFloats(Shape.of(1), new float[] {2}));
    none.remove("sizes");
    Node m = new Node("r", "Resize", List.of("X", "roi", "scales"), List.of("Y"), Attributes.of(b));
    ResampleTables t = ResampleTables.of(m, Shape.of(3, 4), none::get);
    assertEquals(Shape.of(3, 8), t.output());
    assertArrayEquals(new int[] {1, 2}, t.taps());
  }

  @Test
  void antialiasStretchesTheLinearKernelWhenDownsampling() {
    // scale 1/2, half_pixel: x_ori = 0.5, 2.5; the triangle of width 2 / scale covers taps -1..2
    // relative to the one below, weights (0.25, 0.75, 0.75, 0.25) / 2
    Map<String, Attribute> a = attrs("mode", "linear", "antialias", 1);
    float[] y = resize(RAMP, Shape.of(1, 4), a, null, new float[] {1, 0.5f}, null);
    assertArrayEquals(new float[] {1.75f, 5.75f}, y, 1e-6f);
  }

  @Test
  void upsampleLinearIsAsymmetric() {
    // Upsample (opset 7: scales as an attribute): x_ori = i / 2, the last clamped to x[3]
    Node n = new Node("u", "Upsample", List.of("X"), List.of("Y"), Attributes.of(Map.of("mode",
        new Attribute.Str("linear"), "scales", new Attribute.Floats(new float[] {1, 2}))));
    ResampleTables t = ResampleTables.of(n, Shape.of(1, 4), v -> null);
    float[] y = Harness.run(DEVICE, new Resample(Shape.of(1, 4), t.output(), List.of(t.taps()[0], t.taps()[1]), 0f),
        new float[] {1, 2, 3, 4}, t.table());
    assertArrayEquals(new float[] {1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4}, y, 1e-6f);
  }

  @Test
  void runTimeScalesAreRefusedNamingTheInput() {
    Node n = new Node("r", "Resize", List.of("X", "roi", "scales"), List.of("Y"), Attributes.of(attrs("mode", "cubic")));
    ModelException e = assertThrows(ModelException.class, () -> ResampleTables.of(n, Shape.of(1, 4), v -> null));
    assertTrue(e.getMessage().contains("scales (input 2, 'scales') must be a constant"), e.getMessage());
  }

  @Test
  void aTableIndexOutsideTheInputFailsTheLaunch() {
    Resample r = new Resample(Shape.of(4), Shape.of(2), List.of(1), 0f);
    assertArrayEquals(new float[] {2, 1}, Harness.run(DEVICE, r, RAMP, new float[] {2, 0.5f, 0, 1}), 1e-6f);
    CompletionException e = assertThrows(CompletionException.class,
        () -> Harness.run(DEVICE, r, RAMP, new float[] {4, 1, 0, 1}));
    assertTrue(e.getCause().getMessage().contains("table index 4.0"), e.getCause().getMessage());
  }

  @Test
  void resampleCostCountsTapsAndTheTable() {
    Resample r = new Resample(Shape.of(2, 3, 4, 4), Shape.of(2, 3, 8, 8), List.of(1, 1, 4, 4), 0f);
    assertEquals(2L * (8 * 4 + 8 * 4 + 2 * 1 + 3 * 1), r.tableElements());
    assertEquals(384L * 16 * 5, r.flops());
    assertEquals(4L * (96 + r.tableElements()), r.bytesRead());
    assertEquals(4L * 384, r.bytesWritten());
  }

  @Test
  void roiAlignAveragesAndMaximizesBilinearSamples() {
    // X 1x1x3x3 = 0..8 (value = 3y + x, linear, so a bilinear sample is 3y + x at its position)
    float[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    // output_half_pixel, region (0, 0)-(2, 2), one 1x1 bin, 2x2 samples at 0.5 and 1.5: mean 3 * 1 + 1 = 4
    RoiAlign avg = new RoiAlign(1, 1, 3, 3, 1, 1, 1, 2, 1f, false, false);
    assertEquals(4f, Harness.run(DEVICE, avg, x, new float[] {0, 0, 2, 2}, new float[] {0})[0], 1e-6f);
    // half_pixel shifts by -0.5: samples at 0 and 1 on both axes, mean 3 * 0.5 + 0.5 = 2
    RoiAlign half = new RoiAlign(1, 1, 3, 3, 1, 1, 1, 2, 1f, true, false);
    assertEquals(2f, Harness.run(DEVICE, half, x, new float[] {0, 0, 2, 2}, new float[] {0})[0], 1e-6f);
    // max takes, per sample, the largest weighted corner: at (1.5, 1.5) each corner weighs 1/4, the
    // largest 8/4 = 2; the samples at 0.5 give at most 4/4 = 1... so 2
    RoiAlign max = new RoiAlign(1, 1, 3, 3, 1, 1, 1, 2, 1f, false, true);
    assertEquals(2f, Harness.run(DEVICE, max, x, new float[] {0, 0, 2, 2}, new float[] {0})[0], 1e-6f);
    // a batch index outside [0, n) fails the launch
    CompletionException e = assertThrows(CompletionException.class,
        () -> Harness.run(DEVICE, avg, x, new float[] {0, 0, 2, 2}, new float[] {1}));
    assertTrue(e.getCause().getMessage().contains("batch index 1.0"), e.getCause().getMessage());
  }

  private static float gridSample(GridSample.Mode mode, GridSample.Padding padding, boolean align, float gx, float gy) {
    GridSample k = new GridSample(1, 1, 2, 2, 1, 1, mode, padding, align);
    return Harness.run(DEVICE, k, new float[] {1, 2, 3, 4}, new float[] {gx, gy})[0];
  }

  @Test
  void gridSampleModesAndPaddingsOnATwoByTwoImage() {
    GridSample.Mode bilinear = GridSample.Mode.BILINEAR, nearest = GridSample.Mode.NEAREST;
    // the centre: x = y = 0.5, the mean of the four pixels
    assertEquals(2.5f, gridSample(bilinear, GridSample.Padding.ZEROS, false, 0, 0), 1e-6f);
    // the top-left corner (-0.5, -0.5): a quarter of pixel (0, 0) with zeros around, all of it at the border
    assertEquals(0.25f, gridSample(bilinear, GridSample.Padding.ZEROS, false, -1, -1), 1e-6f);
    assertEquals(1f, gridSample(bilinear, GridSample.Padding.BORDER, false, -1, -1), 1e-6f);
    // nearest at x = 1.0, y = 0.0 (normalized 0.5, -0.5): pixel (0, 1)
    assertEquals(2f, gridSample(nearest, GridSample.Padding.ZEROS, false, 0.5f, -0.5f), 1e-6f);
    // align_corners, x = 1.25 beyond max 1 reflects to 0.75; y = 0: 1 * 0.25 + 2 * 0.75
    assertEquals(1.75f, gridSample(bilinear, GridSample.Padding.REFLECTION, true, 1.5f, -1), 1e-6f);
    // border clamps x = 1.25 to 1: pixel (0, 1)
    assertEquals(2f, gridSample(bilinear, GridSample.Padding.BORDER, true, 1.5f, -1), 1e-6f);
    // bicubic on a constant image stays the constant inside; at the centre of the ramp, the mean
    GridSample k = new GridSample(1, 1, 2, 2, 1, 1, GridSample.Mode.BICUBIC, GridSample.Padding.BORDER, false);
    assertEquals(5f, Harness.run(DEVICE, k, new float[] {5, 5, 5, 5}, new float[] {0.3f, -0.7f})[0], 1e-5f);
    assertEquals(2.5f, Harness.run(DEVICE, k, new float[] {1, 2, 3, 4}, new float[] {0, 0})[0], 1e-5f);
  }
}
