package dev.braid.coordinator.frontend.internal;

import dev.braid.model.DType;
import java.util.Map;

/**
 * Braid's dtypes under the Open Inference Protocol's datatype names ("FP32", "INT64", ...), which
 * differ from ONNX's ("FLOAT", "INT64").
 */
public final class OipDatatypes {
  private static final Map<DType, String> NAMES = Map.ofEntries(
      Map.entry(DType.BOOL, "BOOL"),
      Map.entry(DType.UINT8, "UINT8"),
      Map.entry(DType.UINT16, "UINT16"),
      Map.entry(DType.UINT32, "UINT32"),
      Map.entry(DType.UINT64, "UINT64"),
      Map.entry(DType.INT8, "INT8"),
      Map.entry(DType.INT16, "INT16"),
      Map.entry(DType.INT32, "INT32"),
      Map.entry(DType.INT64, "INT64"),
      Map.entry(DType.FLOAT16, "FP16"),
      Map.entry(DType.BFLOAT16, "BF16"),
      Map.entry(DType.FLOAT32, "FP32"),
      Map.entry(DType.FLOAT64, "FP64"));

  private OipDatatypes() {}

  /** The protocol's name of {@code dtype}. */
  public static String name(DType dtype) {
    return NAMES.get(dtype);
  }

  /** The dtype of a protocol datatype name, or null when Braid has none of that name. */
  public static DType parse(String name) {
    for (Map.Entry<DType, String> e : NAMES.entrySet()) {
      if (e.getValue().equals(name)) {
        return e.getKey();
      }
    }
    return null;
  }

  /**
   * Whether the front door can carry tensors of {@code dtype}: every type but the 16-bit floats,
   * whose values Braid holds as float32 and would need converting on the wire.
   */
  public static boolean carried(DType dtype) {
    return dtype != DType.FLOAT16 && dtype != DType.BFLOAT16;
  }
}
