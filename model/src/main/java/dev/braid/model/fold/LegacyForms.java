package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Operators;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.ImportedModel;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a node of a model importing a default opset older than 7 into the form its operator
 * has at opset 7, which the rest of the fold module reads, before its shape is inferred; a form
 * that has no exact opset-7 equivalent is refused, naming the opset, the attribute and its value
 * (ONNX's docs/Changelog.md for each operator's older versions):
 *
 * <ul>
 *   <li>Add, Sub, Mul, Div, Pow, And, Or, Xor, Equal, Greater, Less (versions 1 and 6): without
 *       {@code broadcast} both operands have the same shape; with {@code broadcast=1}, B is
 *       broadcast to A's shape, its dimensions matching A's starting at {@code axis} (suffix
 *       matching when absent) or B has one element. B becomes a Reshape of B with trailing 1s, so
 *       that numpy broadcasting aligns it where the old rule did; a B dimension of 1 facing a larger
 *       A dimension is expanded, any other mismatch, or a result larger than A, is refused.
 *   <li>Gemm (1, 6): {@code broadcast=0} requires C of shape (M, N); with 1, C broadcasts as in
 *       opset 7 (its one-directional broadcasting accepts every C the old rule accepts).
 *   <li>BatchNormalization (1, 6): only test mode ({@code is_test=1}) and {@code spatial=1} are
 *       read, with the optional outputs (not filled in test mode) unused; training mode normalizes
 *       with batch statistics, which an inference server does not do.
 *   <li>Dropout (1, 6): {@code is_test} defaults to 0, training mode (random drops), so only
 *       {@code is_test=1} or a ratio of 0 is read, as the identity, its mask unused.
 *   <li>PRelu (1, 6): the slope has one element, or one per channel (X's dimension 1), which
 *       becomes a slope of shape (C, 1, ..., 1) for opset 7's broadcasting.
 *   <li>Sum, Max, Min, Mean before opset 8: all inputs must have the same shape (numpy
 *       broadcasting came with opset 8). BatchNormalization before opset 9: {@code spatial=0}
 *       (statistics per activation) is refused.
 *   <li>Opsets 1-5: {@code consumed_inputs} (an optimization hint) dropped; Concat's absent axis is
 *       1 (opsets 1-3); Reshape's {@code shape} attribute becomes input 1 (1-4); Pad's {@code
 *       paddings} become {@code pads} (1); Split needs its {@code axis} (1, no default); Cast's
 *       {@code to} names a type (1-5); LpPool's float {@code p} must be an integer (1); Selu's
 *       absent alpha and gamma take opset 1's defaults 1.6732 and 1.0507.
 * </ul>
 *
 * <p>Softmax, LogSoftmax and Hardmax keep their pre-13 meaning (coerce to 2-D at {@code axis},
 * default 1) through the canonicalizer's opset test; every other operator Braid reads below opset
 * 7 has its opset-7 form there already ({@link Operators#SAME_SINCE}). New value names start
 * with the node's name and never collide with a name of the model.
 */
final class LegacyForms {
  /**
   * The first opset whose operators this class leaves alone: Sum, Max, Min and Mean broadcast from
   * 8, BatchNormalization lost {@code spatial} at 9.
   */
  static final int MODERN_FROM = 9;

  private static final Set<String> LIMITED_BROADCAST =
      Set.of("Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less");
  private static final Set<String> SAME_SHAPE_VARIADIC = Set.of("Sum", "Max", "Min", "Mean");
  /** Selu-1's defaults, which Selu-6 refined to 1.67326... and 1.05070.... */
  private static final float SELU1_ALPHA = 1.6732f;
  private static final float SELU1_GAMMA = 1.0507f;

  private final Set<String> modelNames;
  private final Set<String> consumed;

  private LegacyForms(Set<String> modelNames, Set<String> consumed) {
    this.modelNames = modelNames;
    this.consumed = consumed;
  }

  /** The rewriter for {@code m}'s nodes, knowing its value names (to make fresh ones) and uses. */
  static LegacyForms of(ImportedModel m) {
    Set<String> names = new HashSet<>(m.initializers().keySet());
    Set<String> consumed = new HashSet<>();
    m.inputs().forEach(i -> names.add(i.name()));
    m.outputs().forEach(o -> consumed.add(o.name()));
    for (Node n : m.nodes()) {
      names.addAll(n.outputs());
      names.addAll(n.inputs());
      consumed.addAll(n.inputs());
    }
    return new LegacyForms(names, consumed);
  }

  /**
   * The nodes, in order, that compute {@code n} in its opset-7 form in {@code g} (whose values so
   * far are known); {@code n} itself at opset {@value #MODERN_FROM} and above.
   *
   * @throws ModelException naming the opset, the attribute or input and its value where the old
   *     form has no exact equivalent
   */
  List<Node> modernize(Node n, WorkGraph g) {
    int opset = g.opset();
    if (opset >= MODERN_FROM) {
      return List.of(n);
    }
    String op = n.opType();
    if (SAME_SHAPE_VARIADIC.contains(op) && opset < 8) {
      checkSameShapes(n, g, opset);
    }
    if (op.equals("BatchNormalization")) {
      checkSpatial(n, opset);
    }
    if (opset >= Operators.MIN_OPSET) {
      return List.of(n);
    }
    Node m = opset < 6 ? n.withoutAttributes("consumed_inputs") : n;
    if (opset >= Operators.SAME_SINCE.getOrDefault(op, Integer.MAX_VALUE)) {
      return List.of(m);
    }
    if (LIMITED_BROADCAST.contains(op)) {
      return limitedBroadcast(m, g, opset);
    }
    return switch (op) {
      case "Gemm" -> List.of(gemm(m, g, opset));
      case "BatchNormalization" -> List.of(batchNorm(m, opset));
      case "Dropout" -> List.of(dropout(m, opset));
      case "PRelu" -> prelu(m, g, opset);
      case "Concat" -> List.of(m.attributes().has("axis") ? m : m.withAttribute("axis", new Attribute.Int(1)));
      case "Reshape" -> List.of(reshape(m, g, opset));
      case "Pad" -> List.of(pad(m, opset));
      case "Split" -> List.of(split(m, opset));
      case "Cast" -> List.of(cast(m, opset));
      case "LpPool" -> List.of(lpPool(m, opset));
      case "Selu" -> List.of(selu(m));
      default -> {
        if (Operators.REWRITTEN_SINCE.getOrDefault(op, Integer.MAX_VALUE) <= opset) {
          yield List.of(m); // only consumed_inputs differed (opset 1 to 6: "Relu", "Exp", "Clip"...)
        }
        throw refusal(opset, "the operator's form before opset " + Operators.oldestOpset(op) + " is not read");
      }
    };
  }

  /** BatchNormalization's {@code spatial=0} (opsets 1-8) takes per-activation statistics: not read. */
  private static void checkSpatial(Node n, int opset) {
    long spatial = n.attributes().getInt("spatial", 1);
    if (spatial != 1) {
      throw refusal(opset, "attribute 'spatial' is " + spatial + ", expected 1 (per-activation statistics, of shape"
          + " (C, D1, ..., Dn), are not read)");
    }
  }

  private static void checkSameShapes(Node n, WorkGraph g, int opset) {
    Shape first = null;
    for (String in : n.inputs()) {
      if (in.isEmpty()) {
        continue;
      }
      Shape s = g.info(in).shape();
      if (first == null) {
        first = s;
      } else if (!s.equals(first)) {
        throw refusal(opset, "input '" + in + "' has shape " + s + ", expected " + first
            + " (before opset 8 all inputs have the same shape; broadcasting came with opset 8)");
      }
    }
  }

  private List<Node> limitedBroadcast(Node n, WorkGraph g, int opset) {
    Shape a = g.info(n.input(0)).shape();
    Shape b = g.info(n.input(1)).shape();
    long broadcast = n.attributes().getInt("broadcast", 0);
    Node bare = n.withoutAttributes("broadcast", "axis");
    if (broadcast == 0) {
      if (!a.equals(b)) {
        throw refusal(opset, "attribute 'broadcast' is 0 (the default), so B must have A's shape " + a
            + "; received " + b);
      }
      return List.of(bare);
    }
    if (broadcast != 1) {
      throw refusal(opset, "attribute 'broadcast' is " + broadcast + ", expected 0 or 1");
    }
    if (b.rank() > a.rank()) {
      throw refusal(opset, "with broadcast=1, B " + b + " must have at most A's rank " + a.rank());
    }
    if (b.size() == 1) {
      return List.of(bare); // one element: numpy broadcasting of rank <= A's gives A's shape too
    }
    long axis = n.attributes().getInt("axis", a.rank() - b.rank());
    if (axis < 0) {
      axis += a.rank();
    }
    if (axis < 0 || axis + b.rank() > a.rank()) {
      throw refusal(opset, "attribute 'axis' is " + n.attributes().getInt("axis", 0) + "; expected 0.."
          + (a.rank() - b.rank()) + " for B " + b + " broadcast over A " + a);
    }
    for (int i = 0; i < b.rank(); i++) {
      if (b.dim(i) != a.dim((int) axis + i) && b.dim(i) != 1) {
        throw refusal(opset, "B " + b + " broadcast at axis " + axis + " over A " + a + ": B's dimension " + i
            + " is " + b.dim(i) + ", expected " + a.dim((int) axis + i) + " (or 1)");
      }
    }
    int trailing = a.rank() - (int) axis - b.rank();
    if (trailing == 0) {
      return List.of(bare);
    }
    long[] aligned = Arrays.copyOf(b.longDims(), b.rank() + trailing);
    Arrays.fill(aligned, b.rank(), aligned.length, 1);
    String reshaped = fresh(g, n.name() + "_legacy_b");
    Node reshape = reshapeNode(n.name() + "_legacy_b", n.input(1), aligned, reshaped, g);
    return List.of(reshape, new Node(n.name(), n.opType(), List.of(n.input(0), reshaped), n.outputs(), bare.attributes()));
  }

  private static Node gemm(Node n, WorkGraph g, int opset) {
    Node bare = n.withoutAttributes("broadcast");
    long broadcast = n.attributes().getInt("broadcast", 0);
    if (broadcast == 1) {
      return bare;
    }
    if (broadcast != 0) {
      throw refusal(opset, "attribute 'broadcast' is " + broadcast + ", expected 0 or 1");
    }
    Shape a = g.info(n.input(0)).shape();
    Shape b = g.info(n.input(1)).shape();
    Shape c = g.info(n.input(2)).shape();
    if (a.rank() != 2 || b.rank() != 2) {
      return bare; // shape inference refuses it with its own message
    }
    int m = n.attributes().getInt("transA", 0) != 0 ? a.dim(1) : a.dim(0);
    int cols = n.attributes().getInt("transB", 0) != 0 ? b.dim(0) : b.dim(1);
    if (!c.equals(Shape.of(m, cols))) {
      throw refusal(opset, "attribute 'broadcast' is 0 (the default), so C must have shape "
          + Shape.of(m, cols) + "; received " + c);
    }
    return bare;
  }

  private Node batchNorm(Node n, int opset) {
    long isTest = n.attributes().getInt("is_test", 0);
    if (isTest != 1) {
      throw refusal(opset, "attribute 'is_test' is " + isTest + (n.attributes().has("is_test") ? "" : " (the default)")
          + ", expected 1: training mode normalizes with the batch's statistics and updates the running ones;"
          + " Braid reads BatchNormalization before opset 7 in test mode only");
    }
    checkUnused(n, opset, "is not filled in test mode");
    return firstOutput(n.withoutAttributes("is_test", "spatial"));
  }

  private Node dropout(Node n, int opset) {
    long isTest = n.attributes().getInt("is_test", 0);
    float ratio = n.attributes().getFloat("ratio", 0.5f);
    if (isTest == 0 && ratio != 0) {
      throw refusal(opset, "attribute 'is_test' is 0" + (n.attributes().has("is_test") ? "" : " (the default)")
          + " with ratio " + ratio + ", expected 1: training mode drops elements at random; Braid runs Dropout in"
          + " inference mode only, where it is the identity");
    }
    checkUnused(n, opset, "is not filled in test mode");
    return firstOutput(n.withoutAttributes("is_test"));
  }

  private List<Node> prelu(Node n, WorkGraph g, int opset) {
    Shape x = g.info(n.input(0)).shape();
    Shape slope = g.info(n.input(1)).shape();
    if (slope.size() == 1 && slope.rank() <= x.rank()) {
      return List.of(n);
    }
    if (slope.rank() != 1 || x.rank() < 2 || slope.dim(0) != x.dim(1)) {
      throw refusal(opset, "input 1 (slope, '" + n.input(1) + "') has shape " + slope + ", expected one element or ["
          + (x.rank() >= 2 ? x.dim(1) : "C") + "] (one per channel, X's dimension 1, of X " + x + ")");
    }
    long[] perChannel = new long[x.rank() - 1];
    Arrays.fill(perChannel, 1);
    perChannel[0] = slope.dim(0);
    String reshaped = fresh(g, n.name() + "_legacy_slope");
    return List.of(reshapeNode(n.name() + "_legacy_slope", n.input(1), perChannel, reshaped, g),
        new Node(n.name(), n.opType(), List.of(n.input(0), reshaped), n.outputs(), n.attributes()));
  }

  private Node reshape(Node n, WorkGraph g, int opset) {
    if (n.hasInput(1)) {
      throw refusal(opset, "input 1 ('" + n.input(1) + "') is given; before opset 5 the shape is attribute 'shape'");
    }
    long[] shape = n.attributes().getInts("shape", null);
    if (shape == null) {
      throw refusal(opset, "attribute 'shape' is missing; before opset 5 it gives the new shape");
    }
    String target = fresh(g, n.name() + "_legacy_shape");
    g.addConstant(target, Tensor.ofLongs(Shape.of(shape.length), shape));
    return new Node(n.name(), "Reshape", List.of(n.input(0), target), n.outputs(),
        n.withoutAttributes("shape").attributes());
  }

  private static Node pad(Node n, int opset) {
    long[] paddings = n.attributes().getInts("paddings", null);
    if (paddings == null) {
      throw refusal(opset, "attribute 'paddings' is missing; before opset 2 it gives the pads");
    }
    Node bare = n.withoutAttributes("paddings");
    return bare.withAttribute("pads", new Attribute.Ints(paddings));
  }

  private static Node split(Node n, int opset) {
    if (!n.attributes().has("axis")) {
      throw refusal(opset, "attribute 'axis' is missing; before opset 2 Split has no default axis");
    }
    return n; // the split sizes as attribute 'split' or as input 1 read as in later opsets
  }

  private static Node cast(Node n, int opset) {
    Attribute to = n.attributes().asMap().get("to");
    if (!(to instanceof Attribute.Str name)) {
      return n;
    }
    DType t = switch (name.value()) {
      case "FLOAT" -> DType.fromOnnx(1);
      case "UINT8" -> DType.fromOnnx(2);
      case "INT8" -> DType.fromOnnx(3);
      case "UINT16" -> DType.fromOnnx(4);
      case "INT16" -> DType.fromOnnx(5);
      case "INT32" -> DType.fromOnnx(6);
      case "INT64" -> DType.fromOnnx(7);
      case "BOOL" -> DType.fromOnnx(9);
      case "FLOAT16" -> DType.fromOnnx(10);
      case "DOUBLE" -> DType.fromOnnx(11);
      case "UINT32" -> DType.fromOnnx(12);
      case "UINT64" -> DType.fromOnnx(13);
      default -> null;
    };
    if (t == null) {
      throw refusal(opset, "attribute 'to' is '" + name.value() + "', expected the name of an element type Braid"
          + " supports (FLOAT, INT32, INT64, BOOL, ...)");
    }
    return n.withAttribute("to", new Attribute.Int(t.onnxCode()));
  }

  private static Node lpPool(Node n, int opset) {
    Attribute p = n.attributes().asMap().get("p");
    if (!(p instanceof Attribute.Float f)) {
      return n;
    }
    if (f.value() != Math.rint(f.value()) || f.value() < 1) {
      throw refusal(opset, "attribute 'p' is " + f.value() + ", expected a positive integer (LpPool reads integer p)");
    }
    return n.withAttribute("p", new Attribute.Int((long) f.value()));
  }

  private static Node selu(Node n) {
    Node m = n.attributes().has("alpha") ? n : n.withAttribute("alpha", new Attribute.Float(SELU1_ALPHA));
    return m.attributes().has("gamma") ? m : m.withAttribute("gamma", new Attribute.Float(SELU1_GAMMA));
  }

  /** Refuses a node whose outputs beyond the first are used: the old form does not compute them. */
  private void checkUnused(Node n, int opset, String why) {
    for (int i = 1; i < n.outputs().size(); i++) {
      String out = n.output(i);
      if (!out.isEmpty() && consumed.contains(out)) {
        throw refusal(opset, "output " + i + " ('" + out + "') is used, but it " + why);
      }
    }
  }

  private Node reshapeNode(String name, String input, long[] shape, String output, WorkGraph g) {
    String target = fresh(g, name + "_shape");
    g.addConstant(target, Tensor.ofLongs(Shape.of(shape.length), shape));
    return new Node(name, "Reshape", List.of(input, target), List.of(output), Attributes.empty());
  }

  /** A value name based on {@code base} that neither the graph so far nor the model uses. */
  private String fresh(WorkGraph g, String base) {
    String name = base;
    for (int i = 1; modelNames.contains(name) || g.values.containsKey(name) || g.inputs.contains(name); i++) {
      name = base + "_" + i;
    }
    modelNames.add(name);
    return name;
  }

  private static Node firstOutput(Node n) {
    return n.outputs().size() <= 1 ? n : new Node(n.name(), n.opType(), n.inputs(), List.of(n.output(0)), n.attributes());
  }

  private static ModelException refusal(int opset, String detail) {
    return new ModelException("legacy form at opset " + opset + ": " + detail);
  }
}
