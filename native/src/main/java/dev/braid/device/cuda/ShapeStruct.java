package dev.braid.device.cuda;

import dev.braid.device.DeviceException;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Broadcast;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduction;
import dev.braid.device.kernel.Where;
import dev.braid.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The bytes of braid_abi.h's {@code BraidShape} (136 bytes, little-endian: rank, rank2, dims[8],
 * strideA[8], strideB[8], dims2[8]) for the kernels that take one: by value (Binary, Transpose,
 * ReduceMean, PoolNd) or inside a grouped problem entry (elementwise, rows, N-d pooling).
 */
final class ShapeStruct {
  /** sizeof(BraidShape). */
  static final int BYTES = 136;
  static final int OFF_RANK = 0, OFF_RANK2 = 4, OFF_DIMS = 8, OFF_STRIDE_A = 40, OFF_STRIDE_B = 72, OFF_DIMS2 = 104;
  /** BRAID_MAX_RANK. */
  static final int MAX_RANK = 8;

  private ShapeStruct() {}

  /** A BraidShape's bytes; absent entries are zero. */
  static byte[] of(int rank, int rank2, int[] dims, int[] strideA, int[] strideB, int[] dims2) {
    ByteBuffer s = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
    s.putInt(OFF_RANK, rank).putInt(OFF_RANK2, rank2);
    for (int i = 0; i < dims.length; i++) {
      s.putInt(OFF_DIMS + 4 * i, dims[i]);
    }
    for (int i = 0; i < strideA.length; i++) {
      s.putInt(OFF_STRIDE_A + 4 * i, strideA[i]);
    }
    for (int i = 0; i < strideB.length; i++) {
      s.putInt(OFF_STRIDE_B + 4 * i, strideB[i]);
    }
    for (int i = 0; i < dims2.length; i++) {
      s.putInt(OFF_DIMS2 + 4 * i, dims2[i]);
    }
    return s.array();
  }

  /** Binary's: dims = the output's, strideA/strideB the inputs' broadcast strides (0 where broadcast). */
  static byte[] binary(Binary bin) {
    Shape out = bin.out();
    checkRank(bin, out.rank());
    return of(out.rank(), 0, out.dims(), Broadcast.strides(bin.a(), out), Broadcast.strides(bin.b(), out), new int[0]);
  }

  /**
   * Where's: dims = the output's; strideA, strideB and dims2 the broadcast strides of C, X and Y
   * (dims2 carries Y's strides, rank2 = rank).
   */
  static byte[] where(Where w) {
    Shape out = w.out();
    checkRank(w, out.rank());
    return of(out.rank(), out.rank(), out.dims(), Broadcast.strides(w.cond(), out), Broadcast.strides(w.x(), out),
        Broadcast.strides(w.y(), out));
  }

  /** A reduction's (Reduce, ReduceMean): dims/strideA the kept axes of the input, dims2/strideB the reduced ones. */
  static byte[] reduction(Reduction r) {
    Shape in = r.input();
    checkRank(r, in.rank());
    int[] strides = in.strides();
    int kept = in.rank() - r.axes().size();
    int[] dims = new int[kept], strideA = new int[kept];
    int[] dims2 = new int[r.axes().size()], strideB = new int[r.axes().size()];
    int ki = 0, ri = 0;
    for (int d = 0; d < in.rank(); d++) {
      if (r.axes().contains(d)) {
        dims2[ri] = in.dim(d);
        strideB[ri++] = strides[d];
      } else {
        dims[ki] = in.dim(d);
        strideA[ki++] = strides[d];
      }
    }
    return of(kept, r.axes().size(), dims, strideA, strideB, dims2);
  }

  /**
   * PoolNd's geometry as braid_pool_nd_at reads it: dims[0..r) input dims, dims[3..3+r) output
   * dims, strideA[0..r) kernel, strideA[3..3+r) strides, strideB[0..r) pads at the beginning,
   * strideB[3..3+r) pads at the end, dims2[0..r) dilations; rank r = spatial axes.
   */
  static byte[] poolNd(PoolNd p) {
    int r = p.in().size();
    int[] dims = new int[6], strideA = new int[6], strideB = new int[6], dims2 = new int[r];
    for (int d = 0; d < r; d++) {
      dims[d] = p.in().get(d);
      dims[3 + d] = p.out().get(d);
      strideA[d] = p.kernel().get(d);
      strideA[3 + d] = p.stride().get(d);
      strideB[d] = p.padBegin().get(d);
      strideB[3 + d] = p.padEnd().get(d);
      dims2[d] = p.dilation().get(d);
    }
    return of(r, 0, dims, strideA, strideB, dims2);
  }

  static void checkRank(Kernel k, int rank) {
    if (rank > MAX_RANK) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          k + ": rank " + rank + " exceeds the CUDA kernels' limit " + MAX_RANK);
    }
  }
}
