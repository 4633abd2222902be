package dev.braid.bench.load;

import com.google.protobuf.ByteString;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The one request a load run sends, built from the server's {@code ModelMetadata} alone (so it
 * works against any Open Inference Protocol server, Triton included): every input the metadata
 * lists, with its datatype, its shape (a leading {@code -1}, the batch, set to {@code batch}; any
 * other {@code -1} to 1) and seeded random values as {@code raw_input_contents} (floats uniform in
 * [-1, 1), integers uniform in [0, 10), booleans 0 or 1), as {@code braid infer} sends them.
 */
final class OipRequests {
  private OipRequests() {}

  /** The request, and one line per input saying what is sent ("x FP32 [1, 4]"). */
  record Built(ModelInferRequest request, List<String> inputs) {}

  static Built fromMetadata(ModelMetadataResponse meta, String model, int batch, long seed) {
    if (batch < 1) {
      throw new IllegalArgumentException("--batch: expected an integer >= 1, got " + batch);
    }
    if (meta.getInputsCount() == 0) {
      throw new IllegalArgumentException("model '" + model + "': its metadata lists no inputs");
    }
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setId("braid-load");
    List<String> lines = new ArrayList<>();
    int position = 0;
    for (ModelMetadataResponse.TensorMetadata in : meta.getInputsList()) {
      long[] shape = in.getShapeList().stream().mapToLong(Long::longValue).toArray();
      boolean batches = shape.length > 0 && shape[0] == -1;
      if (!batches && batch != 1) {
        throw new IllegalArgumentException("--batch: model '" + model + "' does not batch (input '" + in.getName()
            + "' has shape " + Arrays.toString(shape) + "), got " + batch);
      }
      long elements = 1;
      for (int d = 0; d < shape.length; d++) {
        if (shape[d] == -1) {
          shape[d] = d == 0 ? batch : 1;
        } else if (shape[d] < 0) {
          throw new IllegalArgumentException("model '" + model + "' input '" + in.getName()
              + "': expected dimensions >= 0 or -1 in its metadata, got " + Arrays.toString(shape));
        }
        elements = Math.multiplyExact(elements, shape[d]);
      }
      request.addInputsBuilder().setName(in.getName()).setDatatype(in.getDatatype())
          .addAllShape(Arrays.stream(shape).boxed().toList());
      request.addRawInputContents(random(model, in, Math.toIntExact(elements), seed * 1_000_003L + position++));
      lines.add(in.getName() + " " + in.getDatatype() + " " + Arrays.toString(shape));
    }
    return new Built(request.build(), lines);
  }

  private static ByteString random(String model, ModelMetadataResponse.TensorMetadata in, int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int size = switch (in.getDatatype()) {
      case "FP64", "INT64", "UINT64" -> 8;
      case "FP32", "INT32", "UINT32" -> 4;
      case "FP16", "BF16", "INT16", "UINT16" -> 2;
      case "INT8", "UINT8", "BOOL" -> 1;
      default -> throw new IllegalArgumentException("model '" + model + "' input '" + in.getName()
          + "': expected a numeric or BOOL datatype for generated values, got " + in.getDatatype());
    };
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(n, size)).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (in.getDatatype()) {
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
