package dev.braid.device.cuda;

import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.cuda.KernelParam.Struct;
import dev.braid.device.cuda.PackedLaunch.StatusCheck;
import dev.braid.device.cuda.PackedLaunch.Upload;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Transpose;
import dev.braid.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout kernels' bindings for {@link LaunchBuilder}: Transpose, Concat and Gather move bytes
 * and compute nothing, and each addresses its operands its own way (a permutation through a
 * {@code BraidShape}, a list of inputs in a {@code BraidConcatInputs}, an index buffer with a
 * status word the host checks after the launch), so they live apart from the compute kernels.
 */
final class LayoutPacking {
  private LayoutPacking() {}

  static void transpose(LaunchBuilder b, KernelLaunch k, Transpose t) {
    Shape in = t.input();
    ShapeStruct.checkRank(t, in.rank());
    int[] inStrides = in.strides();
    int[] strideA = new int[in.rank()];
    for (int i = 0; i < strideA.length; i++) {
      strideA[i] = inStrides[t.perm().get(i)];
    }
    byte[] s = ShapeStruct.of(in.rank(), 0, t.output().dims(), strideA, new int[0], new int[0]);
    b.elementwise("braid_transpose_f32", in.size(), List.of(new Ptr(b.addr(k, 0)), new Ptr(b.out(k)),
        new I64(in.size()), new Struct("BraidShape", s)));
  }

  static void gather(LaunchBuilder b, KernelLaunch k, Gather g) {
    long n = (long) g.outer() * g.indexCount() * g.inner();
    if (n == 0) {
      return;
    }
    long status = b.take(4);
    b.uploads.add(new Upload(status, new byte[4]));
    b.elementwise("braid_gather_f32", n, List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)), new Ptr(b.out(k)),
        new I32(g.outer()), new I32(g.indexCount()), new I32(g.inner()), new I32(g.data().dim(g.axis())),
        new Ptr(status)));
    b.checks.add(new StatusCheck(status, g + ": index out of range [-" + g.data().dim(g.axis()) + ", "
        + g.data().dim(g.axis()) + ") or not an integer"));
  }

  static void concat(LaunchBuilder b, KernelLaunch k, Concat c) {
    Shape outShape = c.output();
    int outer = outShape.product(0, c.axis());
    List<Long> inputs = new ArrayList<>();
    List<Integer> chunks = new ArrayList<>();
    for (int i = 0; i < c.inputs().size(); i++) {
      inputs.add(b.addr(k, i));
      chunks.add(c.inputs().get(i).product(c.axis(), outShape.rank()));
    }
    concatRows(b, inputs, chunks, b.out(k), outer);
  }

  /**
   * Writes the rows of {@code inputs} (each {@code outer} rows of its chunk) side by side into
   * {@code y}. Over 16 inputs: groups of 16 go first into intermediate buffers (or straight into
   * their columns of y when there is one row), then those are concatenated.
   */
  static void concatRows(LaunchBuilder b, List<Long> inputs, List<Integer> chunks, long y, int outer) {
    long outRow = 0;
    for (int ch : chunks) {
      outRow += ch;
    }
    if (outer == 0 || outRow == 0) {
      return;
    }
    if (inputs.size() <= LaunchBuilder.MAX_CONCAT) {
      ByteBuffer s = ByteBuffer.allocate(LaunchBuilder.CONCAT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      int col = 0;
      for (int i = 0; i < inputs.size(); i++) {
        s.putLong(8 * i, inputs.get(i));
        s.putInt(128 + 4 * i, col);
        col += chunks.get(i);
      }
      s.putInt(128 + 4 * inputs.size(), col);
      s.putInt(196, inputs.size());
      b.elementwise("braid_concat_f32", (long) outer * col, List.of(new Struct("BraidConcatInputs", s.array()),
          new Ptr(y), new I32(outer), new I32(col)));
      return;
    }
    List<Long> groupOut = new ArrayList<>();
    List<Integer> groupChunks = new ArrayList<>();
    long col = 0;
    for (int from = 0; from < inputs.size(); from += LaunchBuilder.MAX_CONCAT) {
      int to = Math.min(inputs.size(), from + LaunchBuilder.MAX_CONCAT);
      List<Integer> ch = chunks.subList(from, to);
      int width = 0;
      for (int w : ch) {
        width += w;
      }
      long dst = outer == 1 ? y + 4 * col : b.take(4L * outer * Math.max(1, width));
      concatRows(b, inputs.subList(from, to), ch, dst, outer);
      groupOut.add(dst);
      groupChunks.add(width);
      col += width;
    }
    if (outer > 1) {
      concatRows(b, groupOut, groupChunks, y, outer);
    }
  }
}
