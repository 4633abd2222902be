package dev.braid.model.onnx;

/**
 * One dimension of a tensor as an ONNX file declares it: a fixed size, a named symbolic size
 * ({@code dim_param}, such as "batch" or "seq"), or unknown (neither given).
 *
 * <p>Invariant: exactly one of three states holds: {@code value >= 0 && param == null} (fixed),
 * {@code value == -1 && param != null} (symbolic), {@code value == -1 && param == null} (unknown).
 */
public record DimSpec(long value, String param) {
  private static final DimSpec UNKNOWN = new DimSpec(-1, null);

  public DimSpec {
    if (param != null && value != -1) {
      throw new IllegalArgumentException("a symbolic dimension '" + param + "' cannot also have value " + value);
    }
    if (param == null && value < -1) {
      throw new IllegalArgumentException("dimension must be >= 0 (or -1 for unknown), got " + value);
    }
  }

  public static DimSpec fixed(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("fixed dimension must be >= 0, got " + value);
    }
    return new DimSpec(value, null);
  }

  public static DimSpec symbolic(String param) {
    return new DimSpec(-1, param);
  }

  public static DimSpec unknown() {
    return UNKNOWN;
  }

  public boolean isFixed() {
    return value >= 0;
  }

  public boolean isSymbolic() {
    return param != null;
  }

  /** The Triton form: the value when fixed, -1 when dynamic. */
  public long tritonDim() {
    return value;
  }

  @Override
  public String toString() {
    return isFixed() ? Long.toString(value) : isSymbolic() ? "'" + param + "'" : "?";
  }
}
