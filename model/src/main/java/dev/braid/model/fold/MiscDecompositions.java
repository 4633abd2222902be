package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Rewrites operators without a kernel of their own into operators Braid runs, each following the
 * ONNX reference ({@code onnx/reference/ops}):
 *
 * <ul>
 *   <li>Shrink: {@code Where(x < -lambd, x + bias, Where(x > lambd, x - bias, 0))};
 *   <li>EyeLike on a run-time input: a constant (only the input's shape matters);
 *   <li>LRN: the channel window sum of squares as a 2-D AveragePool over {@code [N, 1, C, rest]} with
 *       a {@code [size, 1]} window, zero padding counted ({@code sum / size}), then
 *       {@code x / (bias + alpha * mean)^beta};
 *   <li>ReverseSequence: GatherElements along the time axis with the index {@code t < len[b] ?
 *       len[b] - 1 - t : t}, a constant when {@code sequence_lens} is (lengths outside 0..T refused),
 *       else computed by Less, Sub and Where (a length outside 0..T gives an index past the axis, which
 *       fails the request);
 *   <li>MaxUnpool: ScatterElements of X into zeros at I (flat indices into the unpooled shape), then
 *       Pad to a larger constant output_shape;
 *   <li>Det of matrices up to 4x4: the Leibniz sum of signed products, by Gather, ReduceProd, Mul and
 *       ReduceSum;
 *   <li>DFT: one MatMul against a host-computed [samples x components, bins x 2] matrix of cosines
 *       and sines (truncation, zero padding, one-sidedness and the inverse's 1/n folded in);
 *   <li>STFT: frames gathered by a constant index map, times the window, then the DFT above.
 * </ul>
 */
final class MiscDecompositions {
  private MiscDecompositions() {}

  /** The largest Det matrix rewritten: the Leibniz sum of a 4x4 has 24 products. */
  static final int MAX_DET_ORDER = 4;

  /** Whether {@code n} is rewritten here. */
  static boolean applies(Node n) {
    return switch (n.opType()) {
      case "Shrink", "EyeLike", "LRN", "ReverseSequence", "MaxUnpool", "Det", "DFT", "STFT" -> true;
      default -> false;
    };
  }

  static void append(Node n, WorkGraph g) {
    GraphAppender b = new GraphAppender(n, g);
    ValueInfo x = g.info(n.input(0));
    switch (n.opType()) {
      case "Shrink" -> shrink(n, b, x);
      case "EyeLike" -> g.addConstant(n.output(0), MiscFolds.eyeLike(n, g.info(n.output(0))));
      case "LRN" -> lrn(n, b, x);
      case "ReverseSequence" -> reverseSequence(n, g, b, x);
      case "MaxUnpool" -> maxUnpool(n, g, b, x);
      case "Det" -> det(n, b, x);
      case "DFT" -> dft(b, n.input(0), DftGeometry.ofDft(n, g), n.output(0));
      case "STFT" -> stft(n, g, b, x);
      default -> throw new IllegalArgumentException("no decomposition for " + n.opType());
    }
  }

  private static void shrink(Node n, GraphAppender b, ValueInfo x) {
    if (!x.dtype().isFloating()) {
      throw new ModelException("input '" + x.name() + "' is " + x.dtype().onnxName() + "; Braid implements Shrink"
          + " for floating inputs only");
    }
    float lambd = n.attributes().getFloat("lambd", 0.5f);
    float bias = n.attributes().getFloat("bias", 0f);
    String below = b.op("Less", n.input(0), scalar(b, x.dtype(), -lambd));
    String above = b.op("Greater", n.input(0), scalar(b, x.dtype(), lambd));
    String inner = b.op("Where", above, b.op("Sub", n.input(0), scalar(b, x.dtype(), bias)), scalar(b, x.dtype(), 0));
    b.into(n.output(0), "Where", Map.of(), below, b.op("Add", n.input(0), scalar(b, x.dtype(), bias)), inner);
  }

  private static void lrn(Node n, GraphAppender b, ValueInfo x) {
    long size = n.attributes().getInt("size");
    if (size < 1) {
      throw new ModelException("attribute 'size' must be >= 1, got " + size);
    }
    float alpha = n.attributes().getFloat("alpha", 1e-4f);
    float beta = n.attributes().getFloat("beta", 0.75f);
    float bias = n.attributes().getFloat("bias", 1f);
    Shape s = x.shape();
    // Channel c sums channels c - floor((size-1)/2) .. c + ceil((size-1)/2), clipped to [0, C).
    long before = (size - 1) / 2, after = size - 1 - before;
    String squares = b.op("Mul", n.input(0), n.input(0));
    String planes = b.reshape(null, squares, Shape.of(s.dim(0), 1, s.dim(1), s.product(2, s.rank())));
    String mean = b.into(null, "AveragePool", Map.of(
            "kernel_shape", new Attribute.Ints(new long[] {size, 1}),
            "pads", new Attribute.Ints(new long[] {before, 0, after, 0}),
            "count_include_pad", new Attribute.Int(1)), planes);
    String back = b.reshape(null, mean, s);
    String scaled = b.op("Add", b.op("Mul", back, scalar(b, x.dtype(), alpha)), scalar(b, x.dtype(), bias));
    b.into(n.output(0), "Div", Map.of(), n.input(0), b.op("Pow", scaled, scalar(b, x.dtype(), beta)));
  }

  private static void reverseSequence(Node n, WorkGraph g, GraphAppender b, ValueInfo x) {
    ShapeInference.requireRank(x, 2, Integer.MAX_VALUE, "input");
    long time = n.attributes().getInt("time_axis", 0), batch = n.attributes().getInt("batch_axis", 1);
    if (!(time == 0 && batch == 1) && !(time == 1 && batch == 0)) {
      throw new ModelException("attributes 'time_axis' " + time + " and 'batch_axis' " + batch
          + " must be 0 and 1 or 1 and 0");
    }
    Shape s = x.shape();
    int steps = s.dim((int) time), batches = s.dim((int) batch);
    ValueInfo lens = ShapeInference.in(n, 1, g);
    if (!lens.shape().equals(Shape.of(batches))) {
      throw new ModelException("sequence_lens '" + lens.name() + "' must have shape [" + batches + "] (the batch"
          + " axis of " + s + "), got " + lens.shape());
    }
    int[] axisShape = new int[s.rank()];
    Arrays.fill(axisShape, 1);
    String index;
    Tensor constantLens = g.constant(n.input(1));
    if (constantLens != null) {
      long[] len = constantLens.toLongs();
      long[] map = new long[s.size()];
      int[] strides = s.strides();
      for (int i = 0; i < map.length; i++) {
        int t = i / strides[(int) time] % steps, bb = i / strides[(int) batch] % batches;
        if (len[bb] < 0 || len[bb] > steps) {
          throw new ModelException("sequence_lens[" + bb + "] is " + len[bb] + "; expected 0.." + steps
              + " (the time axis of " + s + ")");
        }
        map[i] = t < len[bb] ? len[bb] - 1 - t : t;
      }
      index = b.constant("index", Tensor.ofLongs(s, map));
    } else {
      int[] tShape = axisShape.clone();
      tShape[(int) time] = steps;
      int[] bShape = axisShape.clone();
      bShape[(int) batch] = batches;
      long[] ts = new long[steps];
      Arrays.setAll(ts, i -> i);
      String t = b.constant("time", Tensor.ofLongs(Shape.of(tShape), ts));
      String len = b.reshape(null, n.input(1), Shape.of(bShape));
      String last = b.op("Sub", len, b.constant("one", Tensor.ofLongs(Shape.scalar(), new long[] {1})));
      String small = b.op("Where", b.op("Less", t, len), b.op("Sub", last, t), t);
      // A length above the time axis already yields an index past it; a negative one must too, so
      // that GatherElements fails the request (naming the index) instead of answering the identity.
      String negative = b.op("Less", len, b.constant("zero", Tensor.ofLongs(Shape.scalar(), new long[] {0})));
      String checked = b.op("Where", negative, b.constant("past", Tensor.ofLongs(Shape.scalar(), new long[] {steps})),
          small);
      index = b.op("Expand", checked, b.constant("shape", Tensor.ofLongs(Shape.of(s.rank()), s.longDims())));
    }
    b.into(n.output(0), "GatherElements", Map.of("axis", new Attribute.Int(time)), n.input(0), index);
  }

  private static void maxUnpool(Node n, WorkGraph g, GraphAppender b, ValueInfo x) {
    MaxUnpoolGeometry geo = MaxUnpoolGeometry.of(n, g);
    if (!x.dtype().isFloating()) {
      throw new ModelException("input X '" + x.name() + "' is " + x.dtype().onnxName() + "; MaxUnpool takes floating"
          + " inputs");
    }
    int total = geo.inferred().size();
    if (total > (1 << 24)) {
      throw new ModelException("the unpooled shape " + geo.inferred() + " has " + total + " elements; indices carried"
          + " as float32 address at most 2^24");
    }
    Shape row = Shape.of(1, x.shape().size());
    String zeros = b.constant("zeros", Tensor.ofFloats(x.dtype(), Shape.of(1, total), new float[total]));
    String scattered = b.into(null, "ScatterElements", Map.of("axis", new Attribute.Int(1)), zeros,
        b.reshape(null, n.input(1), row), b.reshape(null, n.input(0), row));
    if (geo.output().equals(geo.inferred())) {
      b.reshape(n.output(0), scattered, geo.inferred());
      return;
    }
    int r = geo.output().rank();
    long[] pads = new long[2 * r];
    for (int d = 0; d < r; d++) {
      pads[r + d] = geo.output().dim(d) - geo.inferred().dim(d);
    }
    b.into(n.output(0), "Pad", Map.of(), b.reshape(null, scattered, geo.inferred()),
        b.constant("pads", Tensor.ofLongs(Shape.of(2 * r), pads)));
  }

  private static void det(Node n, GraphAppender b, ValueInfo x) {
    if (!x.dtype().isFloating()) {
      throw new ModelException("input '" + x.name() + "' is " + x.dtype().onnxName() + "; Det takes floating inputs");
    }
    Shape s = x.shape();
    int r = s.rank(), order = s.dim(r - 1);
    if (order > MAX_DET_ORDER) {
      throw new ModelException("input '" + x.name() + "' " + s + " holds " + order + "x" + order + " matrices; Braid"
          + " implements Det for matrices up to " + MAX_DET_ORDER + "x" + MAX_DET_ORDER + " only");
    }
    List<int[]> perms = new ArrayList<>();
    permutations(new int[order], new boolean[order], 0, perms);
    long[] index = new long[perms.size() * order];
    float[] sign = new float[perms.size()];
    for (int p = 0; p < perms.size(); p++) {
      int[] perm = perms.get(p);
      for (int i = 0; i < order; i++) {
        index[p * order + i] = (long) i * order + perm[i];
      }
      sign[p] = parity(perm);
    }
    int[] flat = Arrays.copyOf(s.dims(), r - 1);
    flat[r - 2] = order * order;
    String entries = b.reshape(null, n.input(0), Shape.of(flat));
    String gathered = b.into(null, "Gather", Map.of("axis", new Attribute.Int(r - 2)), entries,
        b.constant("terms", Tensor.ofLongs(Shape.of(perms.size(), order), index)));
    String products = b.reduce(null, "ReduceProd", gathered, new int[] {r - 1}, false);
    String signed = b.op("Mul", products, b.constant("signs", Tensor.ofFloats(x.dtype(), Shape.of(sign.length), sign)));
    b.reduce(n.output(0), "ReduceSum", signed, new int[] {r - 2}, false);
  }

  private static void permutations(int[] perm, boolean[] used, int at, List<int[]> out) {
    if (at == perm.length) {
      out.add(perm.clone());
      return;
    }
    for (int v = 0; v < perm.length; v++) {
      if (!used[v]) {
        used[v] = true;
        perm[at] = v;
        permutations(perm, used, at + 1, out);
        used[v] = false;
      }
    }
  }

  /** +1 for an even permutation, -1 for an odd one (by counting inversions). */
  private static float parity(int[] perm) {
    int inversions = 0;
    for (int i = 0; i < perm.length; i++) {
      for (int j = i + 1; j < perm.length; j++) {
        if (perm[i] > perm[j]) {
          inversions++;
        }
      }
    }
    return inversions % 2 == 0 ? 1f : -1f;
  }

  /**
   * The DFT of {@code x} along {@code geo.axis()} into {@code out}: moves that axis next to the
   * components axis, flattens the two, multiplies by {@link #dftMatrix} and moves the bins back.
   */
  private static void dft(GraphAppender b, String x, DftGeometry geo, String out) {
    Shape s = geo.signal();
    int r = s.rank(), c = geo.components();
    int[] perm = new int[r];
    int k = 0;
    for (int d = 0; d < r - 1; d++) {
      if (d != geo.axis()) {
        perm[k++] = d;
      }
    }
    perm[r - 2] = geo.axis();
    perm[r - 1] = r - 1;
    boolean moved = geo.axis() != r - 2;
    String src = moved ? transpose(b, x, perm) : x;
    int[] rows = new int[r - 1];
    for (int d = 0; d < r - 2; d++) {
      rows[d] = s.dim(perm[d]);
    }
    rows[r - 2] = geo.inLength() * c;
    String flat = b.reshape(null, src, Shape.of(rows));
    String w = b.constant("dft", dftMatrix(geo, b.dtypeOf(x)));
    String product = b.op("MatMul", flat, w);
    int[] split = Arrays.copyOf(rows, r);
    split[r - 2] = geo.bins();
    split[r - 1] = 2;
    if (!moved) {
      b.reshape(out, product, Shape.of(split));
      return;
    }
    String unflat = b.reshape(null, product, Shape.of(split));
    int[] inverse = new int[r];
    for (int d = 0; d < r; d++) {
      inverse[perm[d]] = d;
    }
    b.into(out, "Transpose", Map.of("perm", new Attribute.Ints(Arrays.stream(inverse).asLongStream().toArray())),
        unflat);
  }

  private static String transpose(GraphAppender b, String x, int[] perm) {
    return b.into(null, "Transpose", Map.of("perm", new Attribute.Ints(Arrays.stream(perm).asLongStream().toArray())),
        x);
  }

  /**
   * The [inLength x components, bins x 2] matrix W with {@code y[k] = sum_n x[n] W[n, k]}: for sample
   * n below the transform length and bin k, angle {@code 2 pi k n / length}; forward {@code e^-i
   * angle}, inverse {@code e^+i angle / length}. Samples at or past the length (truncation) have
   * zero rows; zero padding needs no rows at all.
   */
  static Tensor dftMatrix(DftGeometry geo, DType dtype) {
    int c = geo.components(), bins = geo.bins(), len = geo.length();
    float[] w = new float[geo.inLength() * c * bins * 2];
    double scale = geo.inverse() ? 1.0 / len : 1.0;
    double sign = geo.inverse() ? 1 : -1;
    for (int n = 0; n < Math.min(geo.inLength(), len); n++) {
      for (int k = 0; k < bins; k++) {
        double angle = 2 * Math.PI * ((long) k * n % len) / len;
        double cos = Math.cos(angle) * scale, sin = sign * Math.sin(angle) * scale;
        // (xr + i xi)(cos + i sin) = (xr cos - xi sin) + i (xr sin + xi cos)
        int re = (n * c) * bins * 2 + 2 * k;
        w[re] = (float) cos;
        w[re + 1] = (float) sin;
        if (c == 2) {
          int im = (n * c + 1) * bins * 2 + 2 * k;
          w[im] = (float) -sin;
          w[im + 1] = (float) cos;
        }
      }
    }
    return Tensor.ofFloats(dtype, Shape.of(geo.inLength() * c, bins * 2), w);
  }

  private static void stft(Node n, WorkGraph g, GraphAppender b, ValueInfo x) {
    DftGeometry geo = DftGeometry.ofStft(n, g);
    int len = geo.length();
    long[] index = new long[geo.frames() * len];
    for (int f = 0; f < geo.frames(); f++) {
      for (int j = 0; j < len; j++) {
        index[f * len + j] = (long) f * geo.step() + j;
      }
    }
    String frames = b.into(null, "Gather", Map.of("axis", new Attribute.Int(1)), n.input(0),
        b.constant("frames", Tensor.ofLongs(Shape.of(geo.frames(), len), index)));
    if (n.hasInput(2)) {
      frames = b.op("Mul", frames, b.reshape(null, n.input(2), Shape.of(len, 1)));
    }
    Shape framed = Shape.of(x.shape().dim(0), geo.frames(), len, geo.components());
    DftGeometry inner = new DftGeometry(framed, 2, len, len, geo.bins(), false, 0, 0, geo.output());
    dft(b, frames, inner, n.output(0));
  }

  private static String scalar(GraphAppender b, DType dtype, float v) {
    return b.constant("const", Tensor.ofFloats(dtype, Shape.scalar(), new float[] {v}));
  }
}
