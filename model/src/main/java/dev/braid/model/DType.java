package dev.braid.model;

/**
 * Element types Braid knows, with their ONNX {@code TensorProto.DataType} codes.
 *
 * <p>Braid computes in float32. Floating tensors of other widths (float16, bfloat16, double) are
 * converted to float32 when a model loads; integer and boolean tensors are kept as {@code long}
 * values, which is all that shape arithmetic (Shape, Gather, Concat of shapes) needs.
 */
public enum DType {
  FLOAT32(1, 4, true),
  UINT8(2, 1, false),
  INT8(3, 1, false),
  UINT16(4, 2, false),
  INT16(5, 2, false),
  INT32(6, 4, false),
  INT64(7, 8, false),
  BOOL(9, 1, false),
  FLOAT16(10, 2, true),
  FLOAT64(11, 8, true),
  UINT32(12, 4, false),
  UINT64(13, 8, false),
  BFLOAT16(16, 2, true);

  private final int onnxCode;
  private final int sizeBytes;
  private final boolean floating;

  DType(int onnxCode, int sizeBytes, boolean floating) {
    this.onnxCode = onnxCode;
    this.sizeBytes = sizeBytes;
    this.floating = floating;
  }

  /** The ONNX {@code TensorProto.DataType} value. */
  public int onnxCode() {
    return onnxCode;
  }

  /** Bytes per element in the ONNX encoding (not in Braid's in-memory form). */
  public int sizeBytes() {
    return sizeBytes;
  }

  /** True for the types Braid holds as float32 in memory. */
  public boolean isFloating() {
    return floating;
  }

  /** How the refusals of {@link #fitsFloat32} name the range: "the float32 range (|v| <= 3.4028235E38)". */
  public static final String FLOAT32_RANGE = "the float32 range (|v| <= " + Float.MAX_VALUE + ")";

  /**
   * Whether a double element keeps its meaning as the float32 Braid computes it in: precision
   * narrows (as documented), but a finite value beyond float32's range would become an infinity,
   * a different answer, which every reader of DOUBLE data (a model's tensors, a request's FP64
   * input) refuses naming the element instead.
   */
  public static boolean fitsFloat32(double v) {
    return !(Float.isInfinite((float) v) && !Double.isInfinite(v));
  }

  /** The type with the given ONNX code, or {@code null} if Braid does not support it. */
  public static DType fromOnnx(int code) {
    for (DType t : values()) {
      if (t.onnxCode == code) {
        return t;
      }
    }
    return null;
  }

  /** The ONNX name (FLOAT, INT64, ...), as ONNX and Triton users read it. */
  public String onnxName() {
    return switch (this) {
      case FLOAT32 -> "FLOAT";
      case FLOAT64 -> "DOUBLE";
      default -> name();
    };
  }
}
