package dev.braid.protocol.serialization.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ImmutableSerializer;
import dev.braid.model.Shape;

/** A shape as its rank then its dimensions, each a positive varint (one byte for dims < 128). */
public final class ShapeSerializer extends ImmutableSerializer<Shape> {
  @Override
  public void write(Kryo kryo, Output output, Shape shape) {
    writeShape(output, shape);
  }

  @Override
  public Shape read(Kryo kryo, Input input, Class<? extends Shape> type) {
    return readShape(input);
  }

  static void writeShape(Output output, Shape shape) {
    output.writeVarInt(shape.rank(), true);
    for (int i = 0; i < shape.rank(); i++) {
      output.writeVarInt(shape.dim(i), true);
    }
  }

  static Shape readShape(Input input) {
    int rank = input.readVarInt(true);
    // A shape needs at least a byte per dimension, so a rank beyond the bytes left is corrupt.
    if (rank < 0 || rank > input.limit() - input.position()) {
      throw new IllegalArgumentException("corrupt shape: rank " + rank);
    }
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = input.readVarInt(true);
    }
    return Shape.of(dims);
  }
}
