package dev.braid.model.fold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.OnnxModelBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecializationTest {
  private static ImportedModel reshapeBy(DType dtype, int shapeElements, boolean throughAdd) {
    OnnxModelBuilder b = new OnnxModelBuilder("reshape");
    b.input("x", DType.FLOAT32, 2, 6);
    b.input("shape", dtype, shapeElements);
    String target = "shape";
    if (throughAdd) {
      b.input("offset", DType.INT64, shapeElements);
      target = b.node("Add", "shape", "offset");
    }
    b.node("Reshape", List.of("x", target), List.of("y"), Map.of());
    b.outputOfAnyShape("y", DType.FLOAT32);
    return OnnxImporter.parse(b.toBytes(), "reshape.onnx");
  }

  private static Tensor longs(long... v) {
    return Tensor.ofLongs(DType.INT64, Shape.of(v.length), v);
  }

  @Test
  void theInputsAShapeIsComputedFromAreSpecializationInputsAndDataIsNot() {
    Specialization s = Specialization.of(reshapeBy(DType.INT64, 2, true), 64);
    assertEquals(List.of("shape", "offset"), s.names());
    assertTrue(Specialization.of(reshapeBy(DType.INT64, 2, false), 64).names().equals(List.of("shape")));
  }

  @Test
  void aShapeReadThroughShapeOfADataInputDoesNotMakeThatInputASpecializationInput() {
    OnnxModelBuilder b = new OnnxModelBuilder("flatten");
    b.input("x", DType.FLOAT32, 2, 6);
    String shape = b.node("Shape", "x");
    b.node("Reshape", List.of("x", shape), List.of("y"), Map.of());
    b.output("y", DType.FLOAT32, 2, 6);
    assertTrue(Specialization.of(OnnxImporter.parse(b.toBytes(), "f.onnx"), 64).isEmpty());
  }

  @Test
  void anInputOverTheBoundLeavesTheModelUnspecializedSoItIsRefusedAsBefore() {
    ImportedModel m = reshapeBy(DType.INT64, 65, false);
    assertTrue(Specialization.of(m, 64).isEmpty());
    ModelException e = assertThrows(ModelException.class, () -> m.bindDeclared(Map.of()));
    assertTrue(e.getMessage().contains("must be a constant"), e.getMessage());
  }

  @Test
  void theKeyIsTheValuesAndTheModelBindsAtThem() {
    ImportedModel m = reshapeBy(DType.INT64, 2, false);
    Specialization s = Specialization.of(m, 64);
    Specialization.Key k = s.key(Map.of("x", Tensor.ofFloats(Shape.of(2, 6), new float[12]), "shape", longs(3, 4)));
    assertEquals("shape=[3, 4]", k.text());
    assertEquals(k, s.key(Map.of("shape", longs(3, 4))));
    assertNotEquals(k, s.key(Map.of("shape", longs(4, 3))));
    ModelGraph g = s.apply(m, k).bindDeclared(Map.of());
    assertEquals(List.of("x"), g.inputs().stream().map(v -> v.name()).toList());
    assertEquals(Shape.of(3, 4), g.outputs().get(0).shape());
  }

  @Test
  void aMalformedKeyIsRefusedNamingTheInputAndWhatWasExpected() {
    Specialization s = Specialization.of(reshapeBy(DType.INT64, 2, false), 64);
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> s.key(Map.of()));
    assertTrue(missing.getMessage().contains("input 'shape' is missing"), missing.getMessage());
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> s.key(Map.of("shape", longs(1, 2, 6))));
    assertTrue(shape.getMessage().contains("input 'shape' (a specialization input) expected shape [2], received [3]"),
        shape.getMessage());
    IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
        () -> s.key(Map.of("shape", Tensor.ofLongs(DType.INT32, Shape.of(2), new long[] {3, 4}))));
    assertTrue(dtype.getMessage().contains("expected dtype INT64, received INT32"), dtype.getMessage());
  }
}
