package dev.braid.coordinator.frontend.internal;

import com.google.protobuf.ByteString;
import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.protocol.grpc.InferTensorContents;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tensors to and from the Open Inference Protocol's two encodings: typed {@code contents} (the
 * repeated field of the datatype: {@code fp32_contents} for FP32, {@code int_contents} for INT8,
 * INT16 and INT32, {@code uint_contents} for UINT8, UINT16 and UINT32, ...) and raw bytes (the
 * elements packed little-endian in row-major order, BOOL as one byte each).
 *
 * <p>Decoding checks the element or byte count against the shape and says, naming the input,
 * what it expected and what it received; the caller has already checked the datatype and shape.
 */
public final class TensorCodec {
  private TensorCodec() {}

  /** A tensor from typed contents; {@code name} is the input's, for messages. */
  public static Tensor fromContents(String name, DType dtype, Shape shape, InferTensorContents c) {
    int n = shape.size();
    String field = contentsField(dtype);
    int received = count(dtype, c);
    if (received != n) {
      String other = received == 0 ? otherFilledField(dtype, c) : null;
      throw Statuses.invalidArgument("input '" + name + "': expected " + n + " " + OipDatatypes.name(dtype)
          + " values in contents." + field + " for shape " + shape + ", received " + received
          + (other == null ? "" : " (the values are in contents." + other + ", which is not " + field + ")"));
    }
    switch (dtype) {
      case FLOAT32 -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = c.getFp32Contents(i);
        }
        return Tensor.ofFloats(shape, v);
      }
      case FLOAT64 -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = narrow(name, i, c.getFp64Contents(i));
        }
        return Tensor.ofFloats(DType.FLOAT64, shape, v);
      }
      default -> {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = switch (dtype) {
            case BOOL -> c.getBoolContents(i) ? 1 : 0;
            case INT8, INT16, INT32 -> c.getIntContents(i);
            case INT64 -> c.getInt64Contents(i);
            case UINT8, UINT16, UINT32 -> Integer.toUnsignedLong(c.getUintContents(i));
            case UINT64 -> c.getUint64Contents(i);
            default -> throw new IllegalStateException("not carried: " + dtype);
          };
        }
        return Tensor.ofLongs(dtype, shape, v);
      }
    }
  }

  /** A tensor from raw little-endian bytes; {@code name} is the input's, for messages. */
  public static Tensor fromRaw(String name, DType dtype, Shape shape, ByteString raw) {
    int n = shape.size();
    long expected = (long) n * dtype.sizeBytes();
    if (raw.size() != expected) {
      throw Statuses.invalidArgument("input '" + name + "': expected " + expected + " bytes of raw_input_contents ("
          + n + " " + OipDatatypes.name(dtype) + " values of " + dtype.sizeBytes() + " bytes for shape " + shape
          + "), received " + raw.size());
    }
    ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case FLOAT32 -> {
        float[] v = new float[n];
        b.asFloatBuffer().get(v);
        return Tensor.ofFloats(shape, v);
      }
      case FLOAT64 -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = narrow(name, i, b.getDouble());
        }
        return Tensor.ofFloats(DType.FLOAT64, shape, v);
      }
      case INT64, UINT64 -> {
        long[] v = new long[n];
        b.asLongBuffer().get(v);
        return Tensor.ofLongs(dtype, shape, v);
      }
      default -> {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = switch (dtype) {
            case BOOL -> b.get() != 0 ? 1 : 0;
            case INT8 -> b.get();
            case UINT8 -> Byte.toUnsignedLong(b.get());
            case INT16 -> b.getShort();
            case UINT16 -> b.getChar();
            case INT32 -> b.getInt();
            case UINT32 -> Integer.toUnsignedLong(b.getInt());
            default -> throw new IllegalStateException("not carried: " + dtype);
          };
        }
        return Tensor.ofLongs(dtype, shape, v);
      }
    }
  }

  /** The tensor's elements packed little-endian, in its own dtype. */
  public static ByteString toRaw(Tensor t) {
    DType dtype = t.dtype();
    int n = t.size();
    ByteBuffer b = ByteBuffer.allocate(n * dtype.sizeBytes()).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case FLOAT32 -> b.asFloatBuffer().put(t.floats());
      case FLOAT64 -> {
        for (float f : t.floats()) {
          b.putDouble(f);
        }
      }
      case INT64, UINT64 -> b.asLongBuffer().put(t.longs());
      default -> {
        for (long v : t.longs()) {
          switch (dtype) {
            case BOOL, INT8, UINT8 -> b.put((byte) (dtype == DType.BOOL ? (v != 0 ? 1 : 0) : v));
            case INT16, UINT16 -> b.putShort((short) v);
            case INT32, UINT32 -> b.putInt((int) v);
            default -> throw new IllegalStateException("not carried: " + dtype);
          }
        }
      }
    }
    return ByteString.copyFrom(b.array());
  }

  /** The tensor's elements in the typed field of its dtype. */
  public static InferTensorContents toContents(Tensor t) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    switch (t.dtype()) {
      case FLOAT32 -> {
        for (float f : t.floats()) {
          c.addFp32Contents(f);
        }
      }
      case FLOAT64 -> {
        for (float f : t.floats()) {
          c.addFp64Contents(f);
        }
      }
      default -> {
        for (long v : t.longs()) {
          switch (t.dtype()) {
            case BOOL -> c.addBoolContents(v != 0);
            case INT8, INT16, INT32 -> c.addIntContents((int) v);
            case INT64 -> c.addInt64Contents(v);
            case UINT8, UINT16, UINT32 -> c.addUintContents((int) v);
            case UINT64 -> c.addUint64Contents(v);
            default -> throw new IllegalStateException("not carried: " + t.dtype());
          }
        }
      }
    }
    return c.build();
  }

  /** The proto field that carries values of {@code dtype}. */
  public static String contentsField(DType dtype) {
    return switch (dtype) {
      case BOOL -> "bool_contents";
      case INT8, INT16, INT32 -> "int_contents";
      case INT64 -> "int64_contents";
      case UINT8, UINT16, UINT32 -> "uint_contents";
      case UINT64 -> "uint64_contents";
      case FLOAT32 -> "fp32_contents";
      case FLOAT64 -> "fp64_contents";
      default -> "(none: " + dtype + " is not carried)";
    };
  }

  private static int count(DType dtype, InferTensorContents c) {
    return switch (dtype) {
      case BOOL -> c.getBoolContentsCount();
      case INT8, INT16, INT32 -> c.getIntContentsCount();
      case INT64 -> c.getInt64ContentsCount();
      case UINT8, UINT16, UINT32 -> c.getUintContentsCount();
      case UINT64 -> c.getUint64ContentsCount();
      case FLOAT32 -> c.getFp32ContentsCount();
      case FLOAT64 -> c.getFp64ContentsCount();
      default -> 0;
    };
  }

  private static String otherFilledField(DType dtype, InferTensorContents c) {
    String mine = contentsField(dtype);
    String[][] fields = {
        {"bool_contents", String.valueOf(c.getBoolContentsCount())},
        {"int_contents", String.valueOf(c.getIntContentsCount())},
        {"int64_contents", String.valueOf(c.getInt64ContentsCount())},
        {"uint_contents", String.valueOf(c.getUintContentsCount())},
        {"uint64_contents", String.valueOf(c.getUint64ContentsCount())},
        {"fp32_contents", String.valueOf(c.getFp32ContentsCount())},
        {"fp64_contents", String.valueOf(c.getFp64ContentsCount())},
        {"bytes_contents", String.valueOf(c.getBytesContentsCount())}};
    for (String[] f : fields) {
      if (!f[0].equals(mine) && !"0".equals(f[1])) {
        return f[0];
      }
    }
    return null;
  }

  /** An FP64 element as float32, or the request refused naming the element ({@link DType#fitsFloat32}). */
  private static float narrow(String name, int index, double v) {
    if (!DType.fitsFloat32(v)) {
      throw Statuses.invalidArgument("input '" + name + "': element " + index + " is " + v
          + ", beyond " + DType.FLOAT32_RANGE + " that Braid computes FP64 inputs in");
    }
    return (float) v;
  }
}
