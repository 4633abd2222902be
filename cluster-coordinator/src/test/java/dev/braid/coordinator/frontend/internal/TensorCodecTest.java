package dev.braid.coordinator.frontend.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.protocol.grpc.InferTensorContents;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** FP64 inputs are computed in float32: a value beyond its range is refused, not made infinite. */
class TensorCodecTest {
  static ByteString raw(double... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double d : v) {
      b.putDouble(d);
    }
    return ByteString.copyFrom(b.array());
  }

  @Test
  void fp64WithinRangeNarrows() {
    assertArrayEquals(new float[] {0.5f, -3f}, TensorCodec.fromRaw("x", DType.FLOAT64, Shape.of(2), raw(0.5, -3))
        .floats());
    assertArrayEquals(new float[] {0.5f, -3f}, TensorCodec.fromContents("x", DType.FLOAT64, Shape.of(2),
        InferTensorContents.newBuilder().addFp64Contents(0.5).addFp64Contents(-3).build()).floats());
  }

  @Test
  void fp64BeyondFloat32IsInvalidArgumentNamingInputAndElement() {
    String expected = "input 'x': element 1 is 9.0E223, beyond the float32 range (|v| <= " + Float.MAX_VALUE
        + ") that Braid computes FP64 inputs in";
    StatusRuntimeException r = assertThrows(StatusRuntimeException.class,
        () -> TensorCodec.fromRaw("x", DType.FLOAT64, Shape.of(2), raw(1, 9.0e223)));
    assertEquals(Status.Code.INVALID_ARGUMENT, r.getStatus().getCode());
    assertEquals(expected, r.getStatus().getDescription());
    StatusRuntimeException c = assertThrows(StatusRuntimeException.class,
        () -> TensorCodec.fromContents("x", DType.FLOAT64, Shape.of(2),
            InferTensorContents.newBuilder().addFp64Contents(1).addFp64Contents(9.0e223).build()));
    assertEquals(expected, c.getStatus().getDescription());
  }
}
