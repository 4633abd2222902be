package dev.braid.protocol.serialization.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ImmutableSerializer;
import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;

/**
 * A tensor as: dtype (its ONNX code, one byte), shape ({@link ShapeSerializer}'s form), then the
 * elements. Floating tensors write 4 raw bytes per element (Braid holds them as float32); integer
 * and boolean tensors write zig-zag varints, one byte for values in [-64, 64), so ids, masks and
 * shape tensors cost a fraction of their 8-byte longs.
 */
public final class TensorSerializer extends ImmutableSerializer<Tensor> {
  @Override
  public void write(Kryo kryo, Output output, Tensor tensor) {
    output.writeByte(tensor.dtype().onnxCode());
    ShapeSerializer.writeShape(output, tensor.shape());
    if (tensor.isFloating()) {
      float[] data = tensor.floats();
      output.writeFloats(data, 0, data.length);
    } else {
      long[] data = tensor.longs();
      output.writeLongs(data, 0, data.length, false);
    }
  }

  @Override
  public Tensor read(Kryo kryo, Input input, Class<? extends Tensor> type) {
    int code = input.readByte();
    DType dtype = DType.fromOnnx(code);
    if (dtype == null) {
      throw new IllegalArgumentException("corrupt tensor: unknown dtype code " + code);
    }
    Shape shape = ShapeSerializer.readShape(input);
    long elements = 1;
    for (int i = 0; i < shape.rank(); i++) {
      elements *= shape.dim(i);
      // Each element takes at least one byte, so more elements than bytes left is corrupt; this
      // check comes before the allocation so a bad length cannot exhaust memory.
      if (elements > input.limit() - input.position()) {
        throw new IllegalArgumentException("corrupt tensor: shape " + shape + " exceeds the bytes left");
      }
    }
    int n = (int) elements;
    if (dtype.isFloating()) {
      return Tensor.ofFloats(dtype, shape, input.readFloats(n));
    }
    return Tensor.ofLongs(dtype, shape, input.readLongs(n, false));
  }
}
