package dev.braid.model.fold;

import static dev.braid.model.fold.ShapeInference.in;
import static dev.braid.model.fold.ShapeInference.requireRank;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.ValueInfo;

/**
 * The static geometry of a DFT or STFT node: the transformed axis of the (framed) signal, whose
 * input length is {@code inLength}, the transform length {@code length} (the signal is truncated
 * or zero-padded to it), the {@code bins} kept (all, or {@code length / 2 + 1} when one-sided),
 * the direction, and for STFT the frames. Every size-defining input must be a constant.
 *
 * @param signal the input's shape (its last axis holds 1 (real) or 2 (real, imaginary) values)
 * @param frames STFT's frame count (0 for DFT); frame f starts at {@code f * step}
 */
record DftGeometry(Shape signal, int axis, int inLength, int length, int bins, boolean inverse, int frames, int step,
    Shape output) {

  /** Above this many elements the host-built transform matrix is refused (64 MiB of float32). */
  static final long MAX_MATRIX_ELEMENTS = 1L << 24;

  /**
   * DFT, opset 17 ({@code axis} attribute, default 1) or 20 on ({@code axis} input 2, default -2);
   * {@code dft_length} is input 1 in both. Negative axes count from the back, the complex axis
   * included, so -2 is the last signal axis.
   */
  static DftGeometry ofDft(Node n, Values v) {
    ValueInfo x = in(n, 0, v);
    requireRank(x, 2, Integer.MAX_VALUE, "input");
    int r = x.shape().rank();
    components(x);
    long axis = v.opset() >= 20
        ? (n.hasInput(2) ? MiscShapes.scalar(n, 2, "axis", v, "the output's shape depends on it") : -2)
        : n.attributes().getInt("axis", 1);
    long a = axis < 0 ? axis + r : axis;
    if (a < 0 || a > r - 2) {
      throw new ModelException("axis " + axis + " is out of range for input " + x.shape() + " (expected " + -r + ".."
          + "-2 or 0.." + (r - 2) + "; the last axis holds the complex components)");
    }
    int inLength = x.shape().dim((int) a);
    int length = n.hasInput(1)
        ? positive(MiscShapes.scalar(n, 1, "dft length", v, "the output's shape depends on it"), "dft_length")
        : inLength;
    boolean inverse = n.attributes().getInt("inverse", 0) != 0;
    int bins = n.attributes().getInt("onesided", 0) != 0 ? length / 2 + 1 : length;
    Shape out = x.shape().withDim((int) a, bins).withDim(r - 1, 2);
    return checked(new DftGeometry(x.shape(), (int) a, inLength, length, bins, inverse, 0, 0, out));
  }

  /**
   * STFT (opset 17): {@code signal} [batch, length, 1 or 2], {@code frame_step} (input 1), an
   * optional {@code window} (input 2) and {@code frame_length} (input 3); the frame length is
   * frame_length, else the window's length, else the signal's. Output [batch, frames, bins, 2].
   */
  static DftGeometry ofStft(Node n, Values v) {
    ValueInfo x = in(n, 0, v);
    requireRank(x, 3, 3, "signal");
    components(x);
    int step = positive(MiscShapes.scalar(n, 1, "frame step", v, "the number of frames depends on it"), "frame_step");
    int window = -1;
    if (n.hasInput(2)) {
      ValueInfo w = in(n, 2, v);
      requireRank(w, 1, 1, "window");
      window = w.shape().dim(0);
    }
    int signalLength = x.shape().dim(1);
    int length = n.hasInput(3)
        ? positive(MiscShapes.scalar(n, 3, "frame length", v, "the output's shape depends on it"), "frame_length")
        : window >= 0 ? window : signalLength;
    if (window >= 0 && window != length) {
      throw new ModelException("window " + n.input(2) + " has " + window + " values but the frame length is " + length
          + "; Braid implements STFT with a window of the frame's length only");
    }
    if (length > signalLength) {
      throw new ModelException("frame length " + length + " exceeds the signal's " + signalLength + " samples");
    }
    int frames = 1 + (signalLength - length) / step;
    int bins = n.attributes().getInt("onesided", 1) != 0 ? length / 2 + 1 : length;
    Shape out = Shape.of(x.shape().dim(0), frames, bins, 2);
    return checked(new DftGeometry(x.shape(), 1, length, length, bins, false, frames, step, out));
  }

  /** The number of values per sample: 1 (real) or 2 (complex). */
  int components() {
    return signal.dim(signal.rank() - 1);
  }

  private static void components(ValueInfo x) {
    int c = x.shape().dim(x.shape().rank() - 1);
    if (c != 1 && c != 2) {
      throw new ModelException("the last axis of '" + x.name() + "' " + x.shape() + " must have size 1 (real) or 2"
          + " (complex), got " + c);
    }
  }

  private static int positive(long value, String name) {
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw new ModelException(name + " must be >= 1, got " + value);
    }
    return (int) value;
  }

  private static DftGeometry checked(DftGeometry g) {
    long elements = (long) g.inLength * g.components() * g.bins * 2;
    if (elements > MAX_MATRIX_ELEMENTS) {
      throw new ModelException("a transform of " + g.inLength + " samples into " + g.bins + " bins needs a "
          + elements + "-element matrix; Braid supports at most " + MAX_MATRIX_ELEMENTS);
    }
    return g;
  }
}
