package dev.braid.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.braid.model.ModelException;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** DOUBLE tensors become float32: narrower, never a different value such as an infinity. */
class TensorDecoderTest {
  static TensorProto typed(double... v) {
    TensorProto.Builder b = TensorProto.newBuilder().setDataType(TensorProto.DataType.DOUBLE_VALUE).addDims(v.length);
    for (double d : v) {
      b.addDoubleData(d);
    }
    return b.build();
  }

  static TensorProto raw(double... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double d : v) {
      b.putDouble(d);
    }
    return TensorProto.newBuilder().setDataType(TensorProto.DataType.DOUBLE_VALUE).addDims(v.length)
        .setRawData(ByteString.copyFrom(b.array())).build();
  }

  @Test
  void doublesWithinFloat32sRangeNarrowAndInfinitiesStay() {
    for (TensorProto t : new TensorProto[] {typed(1.5, -2.25, Double.POSITIVE_INFINITY, 3e38),
        raw(1.5, -2.25, Double.POSITIVE_INFINITY, 3e38)}) {
      assertArrayEquals(new float[] {1.5f, -2.25f, Float.POSITIVE_INFINITY, 3e38f},
          TensorDecoder.decode(t, "m.onnx", "initializer 'w'").floats());
    }
  }

  @Test
  void aFiniteDoubleBeyondFloat32sRangeIsRefusedNamingTheElement() {
    for (TensorProto t : new TensorProto[] {typed(1, 2, -9.0e223), raw(1, 2, -9.0e223)}) {
      ModelException e = assertThrows(ModelException.class,
          () -> TensorDecoder.decode(t, "m.onnx", "initializer 'w'"));
      assertEquals("m.onnx: initializer 'w' holds -9.0E223 at element 2, beyond the float32 range (|v| <= "
          + Float.MAX_VALUE + ") that Braid computes DOUBLE tensors in", e.getMessage());
    }
  }
}
