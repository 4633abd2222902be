package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;

/**
 * Dropout is the identity only in inference mode: a {@code training_mode} that is not the
 * constant false, with a ratio that is not the constant 0, is refused at binding rather than
 * removed (which answered ONNX's test_training_dropout wrongly).
 */
class DropoutModeTest {
  private static final int BOOL = 9;

  private static TensorProto bool(String name, boolean v) {
    return TensorProto.newBuilder().setName(name).setDataType(BOOL).addInt32Data(v ? 1 : 0).build();
  }

  private static GraphProto dropout(TensorProto ratio, TensorProto mode, boolean modeIsInput) {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, 3L, 4L)).addInitializer(ratio);
    if (modeIsInput) {
      g.addInput(value("t", BOOL));
    } else {
      g.addInitializer(mode);
    }
    return g.addNode(node("Dropout", "drop", in("x", "r", "t"), in("y")))
        .addNode(node("Relu", "relu", in("y"), in("z")))
        .addOutput(value("z", FLOAT, 3L, 4L))
        .build();
  }

  @Test
  void inferenceModeIsTheIdentity() {
    ModelGraph g = load(13, dropout(floats("r", dims(), 0.5f), bool("t", false), false)).bind(3);
    assertEquals(1, g.nodes().size());
    assertEquals("Relu", g.nodes().get(0).opType());
    assertEquals("x", g.nodes().get(0).input(0));
  }

  @Test
  void trainingModeWithRatioZeroIsTheIdentity() {
    ModelGraph g = load(13, dropout(floats("r", dims(), 0f), bool("t", true), false)).bind(3);
    assertEquals(1, g.nodes().size());
  }

  @Test
  void trainingModeWithARatioIsRefused() {
    ModelException e = assertThrows(ModelException.class,
        () -> load(13, dropout(floats("r", dims(), 0.5f), bool("t", true), false)).bind(3));
    assertTrue(e.getMessage().contains("node 'drop' (Dropout): training_mode (input 2, 't') is true with ratio 0.5"),
        e.getMessage());
  }

  @Test
  void trainingModeGivenAtRunTimeIsRefused() {
    ModelException e = assertThrows(ModelException.class,
        () -> load(13, dropout(floats("r", dims(), 0.5f), null, true)).bind(3));
    assertTrue(e.getMessage().contains("training_mode (input 2, 't') must be a constant false"), e.getMessage());
  }
}
