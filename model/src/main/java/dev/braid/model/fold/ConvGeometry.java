package dev.braid.model.fold;

import dev.braid.model.ModelException;
import java.util.Arrays;

/**
 * Output sizes and explicit pads of a sliding window (Conv, MaxPool, AveragePool) along its
 * spatial axes, per ONNX: {@code auto_pad} NOTSET uses {@code pads} as given; SAME_UPPER and
 * SAME_LOWER give {@code ceil(in / stride)} outputs and split the needed padding with the odd
 * element at the end (UPPER) or the beginning (LOWER); VALID pads nothing. With {@code
 * ceil_mode}, a last window that would start inside the end padding is dropped, as ONNX Runtime
 * and PyTorch do.
 *
 * @param out output size per spatial axis
 * @param pads explicit pads, begins then ends ({@code x1_begin, x2_begin, ..., x1_end, ...})
 */
record ConvGeometry(int[] out, long[] pads) {

  static ConvGeometry resolve(
      int[] in, long[] kernel, long[] strides, long[] dilations, long[] pads, String autoPad, boolean ceilMode) {
    int n = in.length;
    check("kernel_shape", kernel, n);
    check("strides", strides, n);
    check("dilations", dilations, n);
    if (pads.length != 2 * n) {
      throw new ModelException("attribute 'pads' must have " + 2 * n + " values (begin and end per spatial axis),"
          + " got " + Arrays.toString(pads));
    }
    int[] out = new int[n];
    long[] resolved = new long[2 * n];
    for (int i = 0; i < n; i++) {
      if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1) {
        throw new ModelException("kernel, strides and dilations must be >= 1, got kernel_shape "
            + Arrays.toString(kernel) + ", strides " + Arrays.toString(strides) + ", dilations "
            + Arrays.toString(dilations));
      }
      long span = (kernel[i] - 1) * dilations[i] + 1;
      switch (autoPad) {
        case "SAME_UPPER", "SAME_LOWER" -> {
          long o = ceilDiv(in[i], strides[i]);
          long total = Math.max(0, (o - 1) * strides[i] + span - in[i]);
          long small = total / 2;
          resolved[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
          resolved[i + n] = total - resolved[i];
          out[i] = (int) o;
        }
        case "NOTSET", "VALID" -> {
          long begin = autoPad.equals("VALID") ? 0 : pads[i];
          long end = autoPad.equals("VALID") ? 0 : pads[i + n];
          long room = in[i] + begin + end - span;
          if (room < 0) {
            throw new ModelException("spatial axis " + i + " of size " + in[i] + " (padded by " + begin + "+"
                + end + ") is smaller than the window of " + span + " (kernel " + kernel[i] + ", dilation "
                + dilations[i] + ")");
          }
          long o = (ceilMode ? ceilDiv(room, strides[i]) : room / strides[i]) + 1;
          if (ceilMode && (o - 1) * strides[i] >= in[i] + begin) {
            o--;
          }
          resolved[i] = begin;
          resolved[i + n] = end;
          out[i] = (int) o;
        }
        default -> throw new ModelException("attribute 'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID,"
            + " got '" + autoPad + "'");
      }
    }
    return new ConvGeometry(out, resolved);
  }

  private static void check(String name, long[] v, int n) {
    if (v.length != n) {
      throw new ModelException("attribute '" + name + "' must have " + n + " values (one per spatial axis), got "
          + Arrays.toString(v));
    }
  }

  private static long ceilDiv(long a, long b) {
    return Math.floorDiv(a + b - 1, b);
  }
}
