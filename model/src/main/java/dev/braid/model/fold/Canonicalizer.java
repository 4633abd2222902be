package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites a shape-checked node into the one form the lowering reads, whatever the opset: the
 * newest ONNX semantics with every implicit choice made explicit. So a {@code ModelGraph} needs
 * no opset to be read:
 *
 * <ul>
 *   <li>Conv, MaxPool, AveragePool, LpPool: {@code auto_pad} resolved into explicit {@code pads}
 *       (MaxPool keeps its Indices output).
 *   <li>Clip: {@code min}/{@code max} attributes (opset &lt; 11) become constant inputs 1 and 2.
 *   <li>Squeeze, Unsqueeze and the ReduceX family (ReduceMean, ReduceSum, ReduceMax...): axes
 *       become a constant INT64 input 1, always explicit (Squeeze without axes lists its size-1
 *       axes; a reduction over all axes lists them all); a reduction that is a no-op
 *       ({@code noop_with_empty_axes}) becomes Identity.
 *   <li>Softmax, LogSoftmax, Hardmax: {@code axis} explicit and normalized; before opset 13, these
 *       on a non-last axis meant "flatten to 2-D at axis", so each becomes Reshape, the op on the
 *       last axis, Reshape.
 *   <li>Dropout, LayerNormalization, BatchNormalization: only the first output is kept
 *       (a LayerNormalization declaring Mean or InvStdDev is decomposed instead; Dropout's mask,
 *       when used, is a constant of ones: {@link ElementwiseCanon#dropoutMask}). Dropout must be
 *       in inference mode (where it is the identity): a {@code training_mode} input that is not
 *       the constant false is refused unless the ratio is the constant 0.
 *   <li>InstanceNormalization, MeanVarianceNormalization, LpNormalization, GroupNormalization,
 *       GlobalMaxPool: rewritten into reductions and elementwise nodes ({@link Decompositions}).
 *   <li>NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss: rewritten into LogSoftmax, gathers,
 *       masks and reductions ({@link LossDecompositions}).
 *   <li>RNN, GRU, LSTM: unrolled over their time steps ({@link RecurrentDecompositions}); Einsum:
 *       Transpose, Reshape, MatMul and ReduceSum ({@link EinsumDecomposition}).
 *   <li>Sum, Mean, Max, Min: chains of two-input nodes ({@link ElementwiseCanon}); Clip with
 *       bounds computed at run time: Max then Min; CastLike: Cast.
 * </ul>
 */
final class Canonicalizer {
  private Canonicalizer() {}

  /** Appends the canonical form of {@code n} (whose output info is known) to {@code g.nodes}. */
  static void append(Node n, WorkGraph g) {
    if (Decompositions.applies(n)) {
      Decompositions.append(n, g);
      return;
    }
    if (LossDecompositions.applies(n)) {
      LossDecompositions.append(n, g);
      return;
    }
    if (QuantDecompositions.applies(n)) {
      QuantDecompositions.append(n, g);
      return;
    }
    if (RecurrentDecompositions.append(n, g) || EinsumDecomposition.append(n, g)) {
      return;
    }
    if (MiscDecompositions.applies(n)) {
      MiscDecompositions.append(n, g);
      return;
    }
    switch (n.opType()) {
      case "Conv", "AveragePool", "LpPool" -> g.nodes.add(explicitPads(firstOutputOnly(n), g));
      case "MaxPool" -> g.nodes.add(explicitPads(n, g));
      case "Dropout", "LayerNormalization", "BatchNormalization" -> g.nodes.add(firstOutputOnly(n));
      case "Clip" -> {
        if (ElementwiseCanon.runtimeClip(n, g)) {
          ElementwiseCanon.clipAsMaxMin(n, g);
        } else {
          g.nodes.add(clip(n, g));
        }
      }
      case "Sum", "Mean", "Max", "Min" -> ElementwiseCanon.variadic(n, g);
      case "CastLike" -> ElementwiseCanon.castLike(n, g);
      case "Squeeze", "Unsqueeze" -> g.nodes.add(axesInput(n, g, axesOf(n, g)));
      case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
          "ReduceLogSumExp", "ReduceSumSquare" -> g.nodes.add(reduceMean(n, g));
      case "Softmax", "LogSoftmax", "Hardmax" -> softmax(n, g);
      default -> ElementwiseCanon.appendWrapped(n, g);
    }
  }

  /**
   * Refuses a Dropout that is not the identity; {@link GraphBinder} checks every Dropout, folded or
   * not. It is the identity with no {@code training_mode} input (opsets before 12 have none),
   * or one that is the constant false, or a constant ratio of 0. In training mode Dropout zeroes
   * elements at random and scales the rest, which Braid, an inference server, does not do.
   */
  static void checkInferenceDropout(Node n, WorkGraph g) {
    if (n.inputs().size() < 3 || n.input(2).isEmpty()) {
      return;
    }
    Tensor mode = g.constant(n.input(2));
    if (mode == null) {
      throw new ModelException("training_mode (input 2, '" + n.input(2) + "') must be a constant false;"
          + " Braid runs Dropout in inference mode only, where it is the identity");
    }
    if (mode.get(0) == 0) {
      return;
    }
    Tensor ratio = n.input(1).isEmpty() ? null : g.constant(n.input(1));
    double r = n.input(1).isEmpty() ? 0.5 : ratio == null ? Double.NaN : ratio.get(0);
    if (r != 0) {
      throw new ModelException("training_mode (input 2, '" + n.input(2) + "') is true with ratio "
          + (Double.isNaN(r) ? "given at run time" : r) + "; Dropout in training mode drops elements at random,"
          + " Braid runs it in inference mode only, where it is the identity");
    }
  }

  private static Node firstOutputOnly(Node n) {
    return n.outputs().size() <= 1 ? n : new Node(n.name(), n.opType(), n.inputs(), List.of(n.output(0)), n.attributes());
  }

  private static Node withAttributes(Node n, List<String> inputs, Map<String, Attribute> attrs) {
    return new Node(n.name(), n.opType(), inputs, n.outputs(), Attributes.of(attrs));
  }

  private static Node explicitPads(Node n, WorkGraph g) {
    Shape x = g.info(n.input(0)).shape();
    long[] kernel = n.opType().equals("Conv")
        ? Arrays.copyOfRange(g.info(n.input(1)).shape().longDims(), 2, x.rank())
        : n.attributes().getInts("kernel_shape", null);
    boolean ceil = !n.opType().equals("Conv") && n.attributes().getInt("ceil_mode", 0) != 0;
    ConvGeometry geo = ShapeInference.geometry(n.attributes(), x, kernel, ceil);
    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes().asMap());
    attrs.remove("auto_pad");
    attrs.put("pads", new Attribute.Ints(geo.pads()));
    if (n.opType().equals("Conv")) {
      attrs.put("kernel_shape", new Attribute.Ints(kernel));
    }
    return withAttributes(n, n.inputs(), attrs);
  }

  private static Node clip(Node n, WorkGraph g) {
    if (!n.attributes().has("min") && !n.attributes().has("max")) {
      return n;
    }
    List<String> inputs = new ArrayList<>(List.of(n.input(0), "", ""));
    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes().asMap());
    String[] names = {"min", "max"};
    for (int i = 0; i < 2; i++) {
      if (attrs.containsKey(names[i])) {
        String c = g.fresh(n.name() + "_" + names[i]);
        g.addConstant(c, Tensor.ofFloats(g.info(n.input(0)).dtype(), Shape.scalar(),
            new float[] {n.attributes().getFloat(names[i], 0)}));
        inputs.set(i + 1, c);
        attrs.remove(names[i]);
      }
    }
    while (inputs.get(inputs.size() - 1).isEmpty()) {
      inputs.remove(inputs.size() - 1);
    }
    return withAttributes(n, inputs, attrs);
  }

  private static long[] axesOf(Node n, WorkGraph g) {
    Shape x = g.info(n.input(0)).shape();
    if (n.opType().equals("Unsqueeze")) {
      int rank = g.info(n.output(0)).shape().rank();
      return toLongs(Axes.normalizeAll(Axes.fromInputOrAttribute(n, 1, g), rank, "axes"));
    }
    long[] axes = Axes.fromInputOrAttribute(n, 1, g);
    if (axes != null) {
      return toLongs(Axes.normalizeAll(axes, x.rank(), "axes"));
    }
    List<Long> ones = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      if (x.dim(i) == 1) {
        ones.add((long) i);
      }
    }
    return ones.stream().mapToLong(Long::longValue).toArray();
  }

  private static long[] toLongs(int[] a) {
    return Arrays.stream(a).asLongStream().sorted().toArray();
  }

  private static Node axesInput(Node n, WorkGraph g, long[] axes) {
    String c = g.fresh(n.name() + "_axes");
    g.addConstant(c, Tensor.ofLongs(Shape.of(axes.length), axes));
    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes().asMap());
    attrs.remove("axes");
    attrs.remove("noop_with_empty_axes");
    return withAttributes(n, List.of(n.input(0), c), attrs);
  }

  private static Node reduceMean(Node n, WorkGraph g) {
    boolean[] reduce = LayoutShapes.reducedAxes(n, g, g.info(n.input(0)).shape().rank());
    List<Long> axes = new ArrayList<>();
    for (int i = 0; i < reduce.length; i++) {
      if (reduce[i]) {
        axes.add((long) i);
      }
    }
    if (axes.isEmpty()) {
      return new Node(n.name(), "Identity", List.of(n.input(0)), n.outputs(), Attributes.empty());
    }
    return axesInput(n, g, axes.stream().mapToLong(Long::longValue).toArray());
  }

  private static void softmax(Node n, WorkGraph g) {
    ValueInfo x = g.info(n.input(0));
    int rank = x.shape().rank();
    int axis = Axes.normalize(n.attributes().getInt("axis", g.opset() < 13 ? 1 : -1), rank, "attribute 'axis'");
    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes().asMap());
    if (g.opset() >= 13 || axis == rank - 1) {
      attrs.put("axis", new Attribute.Int(axis));
      g.nodes.add(withAttributes(n, n.inputs(), attrs));
      return;
    }
    // Opset < 13: softmax over the 2-D view [prod(dims < axis), prod(dims >= axis)].
    Shape flat = Shape.of(x.shape().product(0, axis), x.shape().product(axis, rank));
    String flatShape = g.fresh(n.name() + "_2d_shape");
    g.addConstant(flatShape, Tensor.ofLongs(Shape.of(2), flat.longDims()));
    String flatIn = g.fresh(n.name() + "_2d_in");
    String flatOut = g.fresh(n.name() + "_2d_out");
    String backShape = g.fresh(n.name() + "_nd_shape");
    g.addConstant(backShape, Tensor.ofLongs(Shape.of(rank), x.shape().longDims()));
    g.values.put(flatIn, new ValueInfo(flatIn, x.dtype(), flat));
    g.values.put(flatOut, new ValueInfo(flatOut, x.dtype(), flat));
    g.nodes.add(new Node(n.name() + "_flatten", "Reshape", List.of(n.input(0), flatShape), List.of(flatIn),
        Attributes.empty()));
    attrs.put("axis", new Attribute.Int(1));
    g.nodes.add(new Node(n.name(), n.opType(), List.of(flatIn), List.of(flatOut), Attributes.of(attrs)));
    g.nodes.add(new Node(n.name() + "_unflatten", "Reshape", List.of(flatOut, backShape), n.outputs(),
        Attributes.empty()));
  }
}
