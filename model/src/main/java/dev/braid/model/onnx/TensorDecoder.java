package dev.braid.model.onnx;

import com.google.protobuf.ByteString;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Decodes an ONNX {@code TensorProto} into a Braid {@link Tensor}: raw little-endian bytes or the
 * typed {@code *_data} fields; FLOAT16, BFLOAT16 and DOUBLE become float32; INT8/16/32/64,
 * UINT8/16/32/64 and BOOL become longs. Every failure is a {@link ModelException} naming the
 * source and the tensor ({@code what}, e.g. "initializer 'W'").
 */
final class TensorDecoder {
  private TensorDecoder() {}

  static Tensor decode(TensorProto t, String source, String what) {
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
      throw new ModelException(source + ": " + what + " stores its data externally (data_location EXTERNAL);"
          + " Braid reads only self-contained .onnx files: re-save the model with all tensors inside the file");
    }
    DType dtype = dtypeOf(t.getDataType(), source, what);
    long[] dims = new long[t.getDimsCount()];
    long n = 1;
    for (int i = 0; i < dims.length; i++) {
      dims[i] = t.getDims(i);
      if (dims[i] < 0) {
        throw new ModelException(source + ": " + what + " has negative dimension " + dims[i] + " in "
            + Arrays.toString(t.getDimsList().toArray()));
      }
      n *= dims[i];
      if (n > Integer.MAX_VALUE) {
        throw new ModelException(source + ": " + what + " has more than 2^31 - 1 elements: "
            + t.getDimsList());
      }
    }
    Shape shape = Shape.of(dims);
    int count = (int) n;
    String declared = dtype.onnxName() + " " + shape;
    if (t.hasRawData()) {
      ByteString raw = t.getRawData();
      long expected = (long) count * dtype.sizeBytes();
      if (raw.size() != expected) {
        throw new ModelException(source + ": " + what + " declares " + declared + " = " + expected
            + " bytes but holds " + raw.size() + " bytes");
      }
      return fromRaw(dtype, shape, raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN), count, source, what);
    }
    return fromTyped(t, dtype, shape, count, source, what, declared);
  }

  /** The Braid dtype for an ONNX element-type code, or a ModelException naming the tensor. */
  static DType dtypeOf(int code, String source, String what) {
    DType dtype = DType.fromOnnx(code);
    if (dtype == null) {
      TensorProto.DataType known = TensorProto.DataType.forNumber(code);
      String name = known == null ? "code " + code : known.name();
      throw new ModelException(source + ": " + what + " has element type " + name
          + ", which Braid does not support (supported: " + Arrays.toString(DType.values()) + ")");
    }
    return dtype;
  }

  private static Tensor fromRaw(DType dtype, Shape shape, ByteBuffer b, int n, String source, String what) {
    if (dtype.isFloating()) {
      float[] f = new float[n];
      for (int i = 0; i < n; i++) {
        f[i] = switch (dtype) {
          case FLOAT32 -> b.getFloat();
          case FLOAT64 -> narrow(b.getDouble(), i, source, what);
          case FLOAT16 -> HalfFloats.halfToFloat(b.getShort() & 0xFFFF);
          case BFLOAT16 -> HalfFloats.bfloat16ToFloat(b.getShort() & 0xFFFF);
          default -> throw new IllegalStateException(dtype.name());
        };
      }
      return Tensor.ofFloats(dtype, shape, f);
    }
    long[] l = new long[n];
    for (int i = 0; i < n; i++) {
      l[i] = switch (dtype) {
        case INT8 -> b.get();
        case UINT8 -> b.get() & 0xFFL;
        case BOOL -> b.get() != 0 ? 1 : 0;
        case INT16 -> b.getShort();
        case UINT16 -> b.getShort() & 0xFFFFL;
        case INT32 -> b.getInt();
        case UINT32 -> b.getInt() & 0xFFFFFFFFL;
        case INT64, UINT64 -> b.getLong();
        default -> throw new IllegalStateException(dtype.name());
      };
    }
    return Tensor.ofLongs(dtype, shape, l);
  }

  private static Tensor fromTyped(
      TensorProto t, DType dtype, Shape shape, int n, String source, String what, String declared) {
    String field;
    int held;
    switch (dtype) {
      case FLOAT32 -> { field = "float_data"; held = t.getFloatDataCount(); }
      case FLOAT64 -> { field = "double_data"; held = t.getDoubleDataCount(); }
      case INT64 -> { field = "int64_data"; held = t.getInt64DataCount(); }
      case UINT32, UINT64 -> { field = "uint64_data"; held = t.getUint64DataCount(); }
      default -> { field = "int32_data"; held = t.getInt32DataCount(); }
    }
    if (held != n) {
      throw new ModelException(source + ": " + what + " declares " + declared + " = " + n
          + " elements but holds " + held + " values in " + field);
    }
    if (dtype.isFloating()) {
      float[] f = new float[n];
      for (int i = 0; i < n; i++) {
        f[i] = switch (dtype) {
          case FLOAT32 -> t.getFloatData(i);
          case FLOAT64 -> narrow(t.getDoubleData(i), i, source, what);
          case FLOAT16 -> HalfFloats.halfToFloat(t.getInt32Data(i) & 0xFFFF);
          case BFLOAT16 -> HalfFloats.bfloat16ToFloat(t.getInt32Data(i) & 0xFFFF);
          default -> throw new IllegalStateException(dtype.name());
        };
      }
      return Tensor.ofFloats(dtype, shape, f);
    }
    long[] l = new long[n];
    for (int i = 0; i < n; i++) {
      l[i] = switch (dtype) {
        case INT64 -> t.getInt64Data(i);
        case UINT32, UINT64 -> t.getUint64Data(i);
        case BOOL -> t.getInt32Data(i) != 0 ? 1 : 0;
        case UINT8 -> t.getInt32Data(i) & 0xFFL;
        case UINT16 -> t.getInt32Data(i) & 0xFFFFL;
        default -> t.getInt32Data(i);
      };
    }
    return Tensor.ofLongs(dtype, shape, l);
  }

  /** A DOUBLE element as float32, or refused naming the element ({@link DType#fitsFloat32}). */
  static float narrow(double v, int index, String source, String what) {
    if (!DType.fitsFloat32(v)) {
      throw new ModelException(source + ": " + what + " holds " + v + " at element " + index
          + ", beyond " + DType.FLOAT32_RANGE + " that Braid computes DOUBLE tensors in");
    }
    return (float) v;
  }
}
