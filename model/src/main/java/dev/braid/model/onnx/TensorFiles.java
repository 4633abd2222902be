package dev.braid.model.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.braid.model.ModelException;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a file holding one serialized ONNX {@code TensorProto}, the form of ONNX's backend test
 * data ({@code test_data_set_N/input_K.pb}, {@code output_K.pb}) and of tensors saved with
 * {@code onnx.save_tensor}. Decoding is {@link TensorDecoder}'s, the one the importer applies to
 * initializers, so a test compares a model's outputs with values read exactly as its weights are.
 */
public final class TensorFiles {
  private TensorFiles() {}

  /** A tensor read from a file, with the name the proto gives it ("" when it has none). */
  public record Named(String name, Tensor tensor) {}

  /**
   * Reads and decodes {@code file}.
   *
   * @throws ModelException naming the file when it cannot be read, is not a TensorProto, or its
   *     data does not decode (unsupported element type, size disagreeing with its dims, ...)
   */
  public static Named read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ModelException(file + ": cannot read tensor file: " + e.getMessage(), e);
    }
    TensorProto proto;
    try {
      proto = TensorProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelException(file + " is not a serialized ONNX TensorProto: " + e.getMessage(), e);
    }
    String what = proto.getName().isEmpty() ? "tensor" : "tensor '" + proto.getName() + "'";
    return new Named(proto.getName(), TensorDecoder.decode(proto, file.toString(), what));
  }
}
