package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
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
import java.util.Set;

/**
 * The canonical forms of the elementwise operators that the lowering reads as simpler ones:
 *
 * <ul>
 *   <li>Sum, Max, Min of k inputs: k - 1 two-input nodes (Sum as Add), left to right, each
 *       intermediate broadcast over the inputs so far; one input: Identity.
 *   <li>Mean of k inputs: their Sum, then Div by the constant k (ONNX Mean is the sum divided by
 *       the count, in the input type).
 *   <li>Clip whose min or max is computed at run time: Max(x, min) then Min(., max), which is
 *       ONNX's definition, including min &gt; max giving max.
 *   <li>CastLike: Cast to the second input's type.
 *   <li>Dropout's mask output, when used: in inference Dropout keeps every element, so the mask is
 *       a constant BOOL tensor of ones (a graph that asks for training mode is refused).
 * </ul>
 */
final class ElementwiseCanon {
  private ElementwiseCanon() {}

  static void variadic(Node n, WorkGraph g) {
    String op = n.opType();
    List<String> ins = n.inputs().stream().filter(s -> !s.isEmpty()).toList();
    String out = n.output(0);
    if (ins.size() == 1) {
      g.nodes.add(new Node(n.name(), "Identity", List.of(ins.get(0)), List.of(out), Attributes.empty()));
      return;
    }
    boolean mean = op.equals("Mean");
    String binaryOp = op.equals("Sum") || mean ? "Add" : op;
    ValueInfo outInfo = g.info(out);
    String acc = ins.get(0);
    Shape accShape = g.info(acc).shape();
    for (int i = 1; i < ins.size(); i++) {
      accShape = Broadcasting.shape(accShape, g.info(ins.get(i)).shape());
      boolean last = i == ins.size() - 1 && !mean;
      String next = last ? out : g.fresh(n.name() + "_acc" + i);
      if (!last) {
        g.values.put(next, new ValueInfo(next, outInfo.dtype(), accShape));
      }
      appendWrapped(new Node(n.name() + (i == 1 ? "" : "_" + i), binaryOp, List.of(acc, ins.get(i)), List.of(next),
          Attributes.empty()), g);
      acc = next;
    }
    if (mean) {
      String count = g.fresh(n.name() + "_count");
      g.addConstant(count, Tensor.ofFloats(outInfo.dtype(), Shape.scalar(), new float[] {ins.size()}));
      g.nodes.add(new Node(n.name() + "_mean", "Div", List.of(acc, count), List.of(out), Attributes.empty()));
    }
  }

  /** Integer types narrower than float32's exact range, whose arithmetic must wrap. */
  private static final Set<DType> NARROW = Set.of(DType.INT8, DType.UINT8, DType.INT16,
      DType.UINT16);

  /** Operators whose integer result can leave the type's range. */
  private static final Set<String> WRAPPING = Set.of("Add", "Sub", "Mul", "Neg", "Abs", "Pow",
      "BitShift");

  /**
   * Appends {@code n}; when it is integer arithmetic on an 8- or 16-bit type, its result goes to a
   * fresh value and a Cast to the same type wraps it, as the type's own arithmetic does (uint8
   * 200 + 100 = 44). Values in float32 compute exactly before the wrap: |v| &lt;= 2^24 holds for
   * sums and products of two 16-bit values up to 2^24 only, so Mul and Pow of 16-bit types are
   * exact only there (the device's documented integer range).
   */
  static void appendWrapped(Node n, WorkGraph g) {
    ValueInfo out = g.info(n.output(0));
    if (!NARROW.contains(out.dtype()) || !WRAPPING.contains(n.opType())) {
      g.nodes.add(n);
      return;
    }
    String raw = g.fresh(n.output(0) + "_unwrapped");
    g.values.put(raw, new ValueInfo(raw, out.dtype(), out.shape()));
    List<String> outs = new ArrayList<>(n.outputs());
    outs.set(0, raw);
    g.nodes.add(new Node(n.name(), n.opType(), n.inputs(), outs, n.attributes()));
    g.nodes.add(new Node(n.name() + "_wrap", "Cast", List.of(raw), List.of(n.output(0)),
        Attributes.of(Map.of("to", new Attribute.Int(out.dtype().onnxCode())))));
  }

  /** True when Clip's min or max is an input computed at run time. */
  static boolean runtimeClip(Node n, WorkGraph g) {
    for (int i = 1; i <= 2; i++) {
      if (n.hasInput(i) && g.constant(n.input(i)) == null) {
        return true;
      }
    }
    return false;
  }

  static void clipAsMaxMin(Node n, WorkGraph g) {
    for (int i = 1; i <= 2; i++) {
      if (n.hasInput(i) && g.info(n.input(i)).shape().size() != 1) {
        throw new ModelException((i == 1 ? "min" : "max") + " must be a scalar, got shape "
            + g.info(n.input(i)).shape());
      }
    }
    ValueInfo y = g.info(n.output(0));
    String x = n.input(0);
    if (n.hasInput(1)) {
      String lowered = n.hasInput(2) ? g.fresh(n.name() + "_min") : n.output(0);
      if (n.hasInput(2)) {
        g.values.put(lowered, new ValueInfo(lowered, y.dtype(), y.shape()));
      }
      g.nodes.add(new Node(n.name(), "Max", List.of(x, n.input(1)), List.of(lowered), Attributes.empty()));
      x = lowered;
    }
    if (n.hasInput(2)) {
      g.nodes.add(new Node(n.name() + "_max", "Min", List.of(x, n.input(2)), List.of(n.output(0)),
          Attributes.empty()));
    }
  }

  static void castLike(Node n, WorkGraph g) {
    DType to = g.info(n.input(1)).dtype();
    Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes().asMap());
    attrs.put("to", new Attribute.Int(to.onnxCode()));
    g.nodes.add(new Node(n.name(), "Cast", List.of(n.input(0)), n.outputs(), Attributes.of(attrs)));
  }

  /**
   * Adds Dropout's mask (output 1), when the node names one, as a constant of ones shaped as X. The
   * binder has already refused a Dropout that is not the identity ({@link
   * Canonicalizer#checkInferenceDropout}: training mode with a ratio other than 0), so nothing is
   * dropped and every mask element is true.
   */
  static void dropoutMask(Node n, WorkGraph g) {
    if (n.outputs().size() < 2 || n.output(1).isEmpty()) {
      return;
    }
    ValueInfo x = g.info(n.input(0));
    Shape s = x.shape();
    if (g.opset() < 10) {
      // Dropout-7's mask has X's element type; BOOL since opset 10.
      float[] ones = new float[s.size()];
      Arrays.fill(ones, 1f);
      g.addConstant(n.output(1), x.dtype().isFloating() ? Tensor.ofFloats(x.dtype(), s, ones)
          : HostEvaluator.cast(Tensor.ofFloats(s, ones), x.dtype()));
      return;
    }
    long[] ones = new long[s.size()];
    Arrays.fill(ones, 1);
    g.addConstant(n.output(1), Tensor.ofLongs(DType.BOOL, s, ones));
  }
}
