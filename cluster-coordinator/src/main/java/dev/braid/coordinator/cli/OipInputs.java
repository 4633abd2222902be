package dev.braid.coordinator.cli;

import com.google.protobuf.ByteString;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A request's inputs from a model's Open Inference Protocol metadata alone, the one way {@code braid
 * infer} and {@code braid bench load} build them (so both work against any such server, Triton
 * included): each input's shape with the batch set, and seeded random values as little-endian
 * {@code raw_input_contents} (floats uniform in [-1, 1), integers uniform in [0, 10), booleans 0 or
 * 1).
 */
public final class OipInputs {
  private OipInputs() {}

  /**
   * The shape of {@code in} for a request of {@code batch} rows: a leading {@code -1} (the batch)
   * set to {@code batch}, any other {@code -1} to 1.
   *
   * @throws IllegalArgumentException naming {@code --batch} when {@code batch != 1} and the input
   *     does not batch, or the input when its metadata has a dimension below -1
   */
  public static long[] shape(String model, ModelMetadataResponse.TensorMetadata in, int batch) {
    long[] shape = in.getShapeList().stream().mapToLong(Long::longValue).toArray();
    boolean batches = shape.length > 0 && shape[0] == -1;
    if (!batches && batch != 1) {
      throw new IllegalArgumentException("--batch: model '" + model + "' does not batch (input '" + in.getName()
          + "' has shape " + Arrays.toString(shape) + "), got " + batch);
    }
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == -1) {
        shape[d] = d == 0 ? batch : 1;
      } else if (shape[d] < 0) {
        throw new IllegalArgumentException("model '" + model + "' input '" + in.getName()
            + "': expected dimensions >= 0 or -1 in its metadata, got " + Arrays.toString(shape));
      }
    }
    return shape;
  }

  /** The number of elements of {@code shape}; an ArithmeticException past {@code int}. */
  public static int elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return Math.toIntExact(n);
  }

  /**
   * Bytes per element of an Open Inference Protocol datatype.
   *
   * @param what what has the datatype, for the error (e.g. {@code "model 'm' input 'x'"})
   * @throws IllegalArgumentException for a datatype without a fixed numeric size (BYTES)
   */
  public static int elementBytes(String what, String datatype) {
    return switch (datatype) {
      case "FP64", "INT64", "UINT64" -> 8;
      case "FP32", "INT32", "UINT32" -> 4;
      case "FP16", "BF16", "INT16", "UINT16" -> 2;
      case "INT8", "UINT8", "BOOL" -> 1;
      default -> throw new IllegalArgumentException(what + ": expected a numeric or BOOL datatype, got " + datatype);
    };
  }

  /**
   * {@code n} seeded random values of {@code datatype} as little-endian bytes. The input at {@code
   * position} draws from its own stream ({@code seed} mixed with the position), so adding an input
   * does not change the others; the same arguments give the same bytes.
   */
  public static ByteString random(String what, String datatype, int n, long seed, int position) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + position);
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(n, elementBytes(what, datatype)))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (datatype) {
        case "FP32" -> b.putFloat((float) (rnd.nextDouble() * 2 - 1));
        case "FP64" -> b.putDouble(rnd.nextDouble() * 2 - 1);
        // IEEE half and bfloat16 bit patterns of values in [-1, 1): take them from the float's top bits.
        case "BF16" -> b.putShort((short) (Float.floatToIntBits((float) (rnd.nextDouble() * 2 - 1)) >>> 16));
        case "FP16" -> b.putShort(halfOf((float) (rnd.nextDouble() * 2 - 1)));
        case "INT64", "UINT64" -> b.putLong(rnd.nextInt(10));
        case "INT32", "UINT32" -> b.putInt(rnd.nextInt(10));
        case "INT16", "UINT16" -> b.putShort((short) rnd.nextInt(10));
        case "BOOL" -> b.put((byte) rnd.nextInt(2));
        default -> b.put((byte) rnd.nextInt(10));
      }
    }
    return ByteString.copyFrom(b.array());
  }

  /** IEEE 754 half of a float in [-1, 1) (normal numbers and zero; tiny values flush to zero). */
  static short halfOf(float f) {
    int bits = Float.floatToIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    if (exponent <= 0) {
      return (short) sign;
    }
    return (short) (sign | (exponent << 10) | ((bits >>> 13) & 0x3ff));
  }
}
