package dev.braid.model.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.braid.model.ModelException;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a serialized ONNX {@code TensorProto} file, the form of ONNX's backend test data
 * ({@code test_data_set_N/input_K.pb}), with the importer's decoding rules ({@link TensorDecoder}).
 */
public final class TensorFiles {
  private TensorFiles() {}

  /** The tensor stored in {@code file}; a {@link ModelException} naming the file when it cannot be read. */
  public static Tensor read(Path file) {
    TensorProto t;
    try {
      t = TensorProto.parseFrom(Files.readAllBytes(file));
    } catch (InvalidProtocolBufferException e) {
      throw new ModelException(file + " is not a serialized TensorProto: " + e.getMessage());
    } catch (IOException e) {
      throw new ModelException(file + ": cannot read: " + e.getMessage(), e);
    }
    return TensorDecoder.decode(t, file.toString(), "tensor '" + t.getName() + "'");
  }
}
