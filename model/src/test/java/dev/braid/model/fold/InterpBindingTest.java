package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.dims;
import static dev.braid.model.onnx.TestOnnx.floats;
import static dev.braid.model.onnx.TestOnnx.in;
import static dev.braid.model.onnx.TestOnnx.intAttr;
import static dev.braid.model.onnx.TestOnnx.intsAttr;
import static dev.braid.model.onnx.TestOnnx.load;
import static dev.braid.model.onnx.TestOnnx.longs;
import static dev.braid.model.onnx.TestOnnx.node;
import static dev.braid.model.onnx.TestOnnx.strAttr;
import static dev.braid.model.onnx.TestOnnx.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;

/**
 * Shape inference of the interpolating operators where ONNX's node tests do not reach: Resize's
 * opset-18 axes and keep_aspect_ratio_policy, the refusal of integer tensors, GridSample's and
 * RoiAlign's output shapes, and opset 10's RoiAlign read as output_half_pixel.
 */
class InterpBindingTest {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final int INT32 = TensorProto.DataType.INT32_VALUE;
  private static final int INT64 = TensorProto.DataType.INT64_VALUE;

  private static GraphProto resize(int elem, String mode, long... sizes) {
    return GraphProto.newBuilder()
        .addInput(value("x", elem, 1L, 3L, 4L, 6L))
        .addInitializer(floats("roi", dims(0)))
        .addInitializer(floats("scales", dims(0)))
        .addInitializer(longs("sizes", dims(sizes.length), sizes))
        .addNode(node("Resize", "r", in("x", "roi", "scales", "sizes"), in("y"), strAttr("mode", mode),
            intsAttr("axes", 2, 3), strAttr("keep_aspect_ratio_policy", "not_smaller")))
        .addOutput(value("y", elem, 1L, 3L, "H", "W"))
        .build();
  }

  @Test
  void keepAspectRatioNotSmallerScalesBothListedAxesByTheLargerRatio() {
    // sizes (8, 9) on (4, 6): ratios 2 and 1.5, the larger 2 for both: (8, 12)
    ModelGraph m = load(18, resize(FLOAT, "cubic", 8, 9)).bind(1);
    assertEquals(Shape.of(1, 3, 8, 12), m.shape("y"));
  }

  @Test
  void anIntegerTensorIsNotInterpolated() {
    ModelException e = assertThrows(ModelException.class, () -> load(18, resize(INT32, "linear", 8, 9)).bind(1));
    assertTrue(e.getMessage().contains("Braid interpolates floating-point tensors only, got INT32"), e.getMessage());
    // nearest copies values, so an integer tensor is fine
    assertEquals(Shape.of(1, 3, 8, 12), load(18, resize(INT32, "nearest", 8, 9)).bind(1).shape("y"));
  }

  @Test
  void aResizeOfAConstantFoldsOnTheHost() {
    // linear half_pixel x2 of (1, 2, 3, 4): the edges clamp, between them quarter steps
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("z", FLOAT, 1L, 8L))
        .addInitializer(floats("c", dims(1, 4), 1, 2, 3, 4))
        .addInitializer(floats("roi", dims(0)))
        .addInitializer(floats("scales", dims(2), 1, 2))
        .addNode(node("Resize", "r", in("c", "roi", "scales"), in("up"), strAttr("mode", "linear")))
        .addNode(node("Add", "add", in("up", "z"), in("y")))
        .addOutput(value("y", FLOAT, 1L, 8L))
        .build();
    ModelGraph m = load(13, g).bind(1);
    assertEquals(1, m.nodes().size());
    float[] folded = m.constant(m.nodes().get(0).input(0)).floats();
    org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1, 1.25f, 1.75f, 2.25f, 2.75f, 3.25f, 3.75f, 4},
        folded, 1e-6f);
  }

  @Test
  void gridSampleAndRoiAlignShapes() {
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L, 5L, 6L))
        .addInput(value("grid", FLOAT, 2L, 7L, 4L, 2L))
        .addInput(value("rois", FLOAT, 9L, 4L))
        .addInput(value("idx", INT64, 9L))
        .addNode(node("GridSample", "gs", in("x", "grid"), in("y"), strAttr("mode", "bicubic")))
        .addNode(node("RoiAlign", "ra", in("x", "rois", "idx"), in("z"), intAttr("output_height", 2),
            intAttr("output_width", 3)))
        .addOutput(value("y", FLOAT, 2L, 3L, 7L, 4L))
        .addOutput(value("z", FLOAT, 9L, 3L, 2L, 3L))
        .build();
    ModelGraph m = load(16, g).bind(2);
    assertEquals(Shape.of(2, 3, 7, 4), m.shape("y"));
    assertEquals(Shape.of(9, 3, 2, 3), m.shape("z"));
    // opset 16's default is half_pixel; an opset-10 node has no attribute and means output_half_pixel
    assertTrue(!m.nodes().stream().filter(n -> n.opType().equals("RoiAlign")).findFirst().orElseThrow().attributes()
        .has("coordinate_transformation_mode"));
    GraphProto g10 = g.toBuilder().removeNode(0).removeOutput(0).build();
    ModelGraph m10 = load(10, g10).bind(2);
    assertEquals("output_half_pixel", m10.nodes().get(0).attributes().getString("coordinate_transformation_mode", ""));
  }
}
