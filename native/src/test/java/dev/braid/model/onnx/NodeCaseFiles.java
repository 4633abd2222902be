package dev.braid.model.onnx;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test access to {@link TensorDecoder} (package-private in main): reads one serialized ONNX
 * {@code TensorProto} file, as ONNX's backend test data stores inputs and expected outputs.
 */
public final class NodeCaseFiles {
  private NodeCaseFiles() {}

  /** The tensor in {@code file}; its name (the graph value it feeds) is {@link #name}. */
  public static Tensor read(Path file) {
    return TensorDecoder.decode(proto(file), file.toString(), "tensor");
  }

  /**
   * {@code t} read as {@code declared}: ONNX 1.12's test data stores BFLOAT16 tensors with the
   * UINT16 type code (the same bits), so such a tensor becomes the bfloat16 values of its bits.
   * Any other tensor is returned as it is.
   */
  public static Tensor as(Tensor t, DType declared) {
    if (declared != DType.BFLOAT16 || t.dtype() != DType.UINT16) {
      return t;
    }
    long[] bits = t.longs();
    float[] f = new float[bits.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = HalfFloats.bfloat16ToFloat((int) bits[i]);
    }
    return Tensor.ofFloats(DType.BFLOAT16, t.shape(), f);
  }

  /** The {@code name} field of the TensorProto in {@code file}. */
  public static String name(Path file) {
    return proto(file).getName();
  }

  private static TensorProto proto(Path file) {
    try {
      return TensorProto.parseFrom(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ModelException(file + ": cannot read a TensorProto: " + e.getMessage(), e);
    }
  }
}
