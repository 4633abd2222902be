package dev.braid.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class OipInputsTest {
  private static ModelMetadataResponse.TensorMetadata input(String datatype, Long... shape) {
    return ModelMetadataResponse.TensorMetadata.newBuilder().setName("x").setDatatype(datatype)
        .addAllShape(List.of(shape)).build();
  }

  @Test
  void theLeadingMinusOneIsTheBatchAndOtherMinusOnesAreOne() {
    assertArrayEquals(new long[] {4, 3, 1}, OipInputs.shape("m", input("FP32", -1L, 3L, -1L), 4));
    assertArrayEquals(new long[] {2, 3}, OipInputs.shape("m", input("FP32", 2L, 3L), 1));
    assertEquals(12, OipInputs.elements(new long[] {4, 3, 1}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OipInputs.shape("m", input("FP32", 2L, 3L), 4));
    assertEquals("--batch: model 'm' does not batch (input 'x' has shape [2, 3]), got 4", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> OipInputs.shape("m", input("FP32", -1L, -2L), 1));
    assertTrue(e.getMessage().contains("expected dimensions >= 0 or -1"), e.getMessage());
  }

  @Test
  void randomValuesAreSeededPerPositionAndInRange() {
    ByteString a = OipInputs.random("x", "FP32", 64, 7, 0);
    assertEquals(a, OipInputs.random("x", "FP32", 64, 7, 0));
    assertNotEquals(a, OipInputs.random("x", "FP32", 64, 7, 1), "each position draws from its own stream");
    ByteBuffer b = a.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 64; i++) {
      float v = b.getFloat();
      assertTrue(v >= -1 && v < 1, "float " + v);
    }
    ByteBuffer ints = OipInputs.random("x", "INT64", 64, 7, 0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 64; i++) {
      long v = ints.getLong();
      assertTrue(v >= 0 && v < 10, "int " + v);
    }
    assertEquals(2 * 5, OipInputs.random("x", "FP16", 5, 1, 0).size());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OipInputs.random("model 'm' input 'x'", "BYTES", 1, 1, 0));
    assertEquals("model 'm' input 'x': expected a numeric or BOOL datatype, got BYTES", e.getMessage());
  }

  @Test
  void halfOfGivesIeeeHalfBitPatterns() {
    assertEquals((short) 0x3800, OipInputs.halfOf(0.5f));
    assertEquals((short) 0xbc00, OipInputs.halfOf(-1f));
    assertEquals((short) 0x3555, OipInputs.halfOf(1f / 3));
    assertEquals((short) 0, OipInputs.halfOf(0f));
  }
}
