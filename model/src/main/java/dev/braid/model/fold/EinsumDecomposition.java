package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Rewrites Einsum into Transpose, Reshape, batched MatMul, ReduceSum and (for a label repeated
 * within one operand, a diagonal) Gather, following ONNX's (numpy's) semantics:
 *
 * <ol>
 *   <li>each operand's repeated labels become one axis, its diagonal: the repeated axes moved last,
 *       flattened, and gathered at {@code i * (1 + n + n^2 ...)};
 *   <li>operands are contracted left to right: labels that no later operand and not the output
 *       use are summed out first; the two operands are transposed to {@code [batch, free, k]} and
 *       {@code [batch, k, free]}, reshaped to 3-D, multiplied and reshaped back;
 *   <li>labels the output does not keep are summed out, the rest transposed to the output's order.
 * </ol>
 *
 * The equation may be explicit ({@code ij,jk->ik}) or implicit (the output is the ellipsis
 * dimensions, then the labels used once, in alphabetical order); {@code ...} stands for the same
 * broadcast dimensions in every operand that has it, which must have equal sizes (Braid does not
 * broadcast size-1 dimensions here). Floating-point operands only: integer products would
 * accumulate in float32 on the device.
 */
final class EinsumDecomposition {
  private EinsumDecomposition() {}

  /** Labels of the ellipsis dimensions: ELLIPSIS + position within the widest ellipsis. */
  private static final int ELLIPSIS = 1000;

  /** A parsed equation: per operand its labels (one per axis), the output's labels and every label's size. */
  record Equation(List<int[]> inputs, int[] output, Map<Integer, Integer> sizes) {}

  static ValueInfo infer(Node n, Values v, String out) {
    Equation eq = parse(n, v);
    int[] dims = Arrays.stream(eq.output()).map(eq.sizes()::get).toArray();
    return new ValueInfo(out, ShapeInference.in(n, 0, v).dtype(), Shape.of(dims));
  }

  /** Appends the rewritten Einsum when {@code n} is one; false (nothing appended) otherwise. */
  static boolean append(Node n, WorkGraph g) {
    if (!n.opType().equals("Einsum")) {
      return false;
    }
    Equation eq = parse(n, g);
    OpEmitter e = new OpEmitter(n, g, g.info(n.input(0)).dtype());
    List<Operand> ops = new ArrayList<>();
    for (int i = 0; i < eq.inputs().size(); i++) {
      ops.add(diagonal(e, new Operand(n.input(i), eq.inputs().get(i)), eq.sizes()));
    }
    while (ops.size() > 1) {
      List<Operand> rest = ops.subList(2, ops.size());
      Operand a = sumUnused(e, ops.get(0), eq.output(), concat(rest, ops.get(1)));
      Operand b = sumUnused(e, ops.get(1), eq.output(), concat(rest, a));
      Operand ab = contract(e, a, b, eq.output(), rest, eq.sizes());
      List<Operand> next = new ArrayList<>();
      next.add(ab);
      next.addAll(rest);
      ops = next;
    }
    Operand last = sumUnused(e, ops.get(0), eq.output(), List.of());
    int[] perm = new int[eq.output().length];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = indexOf(last.labels(), eq.output()[i]);
    }
    String t = e.transpose(last.value(), null, perm);
    e.reshapeInto(t, n.output(0), Arrays.stream(eq.output()).map(eq.sizes()::get).toArray());
    return true;
  }

  /** A value and the label of each of its axes. */
  private record Operand(String value, int[] labels) {}

  private static List<Operand> concat(List<Operand> a, Operand b) {
    List<Operand> r = new ArrayList<>(a);
    r.add(b);
    return r;
  }

  /** The operand with each repeated label reduced to one axis, its diagonal. */
  private static Operand diagonal(OpEmitter e, Operand o, Map<Integer, Integer> sizes) {
    int[] labels = o.labels();
    for (int i = 0; i < labels.length; i++) {
      int label = labels[i];
      int count = (int) Arrays.stream(labels).filter(l -> l == label).count();
      if (count == 1) {
        continue;
      }
      List<Integer> keep = new ArrayList<>();
      List<Integer> repeated = new ArrayList<>();
      for (int j = 0; j < labels.length; j++) {
        (labels[j] == label ? repeated : keep).add(j);
      }
      int[] perm = new int[labels.length];
      int[] dims = new int[keep.size() + 1];
      int[] rest = new int[keep.size() + 1];
      for (int j = 0; j < keep.size(); j++) {
        perm[j] = keep.get(j);
        dims[j] = sizes.get(labels[keep.get(j)]);
        rest[j] = labels[keep.get(j)];
      }
      for (int j = 0; j < repeated.size(); j++) {
        perm[keep.size() + j] = repeated.get(j);
      }
      int n = sizes.get(label);
      long flat = 1;
      long step = 0;
      for (int j = 0; j < count; j++) {
        step += flat;
        flat *= n;
      }
      if (flat > Integer.MAX_VALUE) {
        throw new ModelException("the diagonal of label '" + labelName(label) + "' (" + count + " axes of " + n
            + ") is too large to flatten");
      }
      dims[keep.size()] = (int) flat;
      rest[keep.size()] = label;
      String moved = e.transpose(o.value(), null, perm);
      String flattened = e.reshape(moved, dims);
      long[] idx = new long[n];
      for (int k = 0; k < n; k++) {
        idx[k] = k * step;
      }
      String indices = e.constant("diag", Tensor.ofLongs(Shape.of(n), idx));
      String diag = e.emit("Gather", null, Map.of("axis", new Attribute.Int(keep.size())), flattened,
          indices);
      return diagonal(e, new Operand(diag, rest), sizes);
    }
    return o;
  }

  /** The operand with the labels that neither the output nor any of {@code others} uses summed out. */
  private static Operand sumUnused(OpEmitter e, Operand o, int[] output, List<Operand> others) {
    List<Integer> axes = new ArrayList<>();
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < o.labels().length; i++) {
      int l = o.labels()[i];
      boolean used = indexOf(output, l) >= 0 || others.stream().anyMatch(x -> indexOf(x.labels(), l) >= 0);
      (used ? kept : axes).add(i);
    }
    if (axes.isEmpty()) {
      return o;
    }
    String summed = e.reduceSum(o.value(), axes.stream().mapToInt(Integer::intValue).toArray());
    return new Operand(summed, kept.stream().mapToInt(i -> o.labels()[i]).toArray());
  }

  /** {@code a} times {@code b} summed over the shared labels that nothing later needs, as one batched MatMul. */
  private static Operand contract(OpEmitter e, Operand a, Operand b, int[] output, List<Operand> rest,
      Map<Integer, Integer> sizes) {
    List<Integer> batch = new ArrayList<>();
    List<Integer> k = new ArrayList<>();
    List<Integer> aFree = new ArrayList<>();
    List<Integer> bFree = new ArrayList<>();
    for (int l : a.labels()) {
      if (indexOf(b.labels(), l) < 0) {
        aFree.add(l);
      } else if (indexOf(output, l) >= 0 || rest.stream().anyMatch(x -> indexOf(x.labels(), l) >= 0)) {
        batch.add(l);
      } else {
        k.add(l);
      }
    }
    for (int l : b.labels()) {
      if (indexOf(a.labels(), l) < 0) {
        bFree.add(l);
      }
    }
    String am = e.reshape(arrange(e, a, batch, aFree, k), product(batch, sizes), product(aFree, sizes), product(k, sizes));
    String bm = e.reshape(arrange(e, b, batch, k, bFree), product(batch, sizes), product(k, sizes), product(bFree, sizes));
    String prod = e.op("MatMul", am, bm);
    List<Integer> labels = new ArrayList<>(batch);
    labels.addAll(aFree);
    labels.addAll(bFree);
    int[] dims = labels.stream().mapToInt(sizes::get).toArray();
    return new Operand(e.reshape(prod, dims), labels.stream().mapToInt(Integer::intValue).toArray());
  }

  /** {@code o} transposed so that its axes follow the labels of {@code first}, {@code second}, {@code third}. */
  @SafeVarargs
  private static String arrange(OpEmitter e, Operand o, List<Integer>... groups) {
    int[] perm = new int[o.labels().length];
    int i = 0;
    for (List<Integer> group : groups) {
      for (int l : group) {
        perm[i++] = indexOf(o.labels(), l);
      }
    }
    return e.transpose(o.value(), null, perm);
  }

  private static int product(List<Integer> labels, Map<Integer, Integer> sizes) {
    int p = 1;
    for (int l : labels) {
      p *= sizes.get(l);
    }
    return p;
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }

  private static String labelName(int label) {
    return label >= ELLIPSIS ? "..." : String.valueOf((char) label);
  }

  /** Parses and checks the {@code equation} attribute against the inputs' shapes. */
  static Equation parse(Node n, Values v) {
    String raw = n.attributes().getString("equation", null);
    if (raw == null) {
      throw new ModelException("attribute 'equation' is required");
    }
    String eqn = raw.replaceAll("\\s", "");
    int arrow = eqn.indexOf("->");
    String lhs = arrow < 0 ? eqn : eqn.substring(0, arrow);
    String[] terms = lhs.split(",", -1);
    if (terms.length != n.inputs().size()) {
      throw new ModelException("attribute 'equation' '" + raw + "' has " + terms.length + " operand(s), the node gives "
          + n.inputs().size() + " input(s)");
    }
    ValueInfo first = ShapeInference.in(n, 0, v);
    if (!first.dtype().isFloating()) {
      throw new ModelException("Einsum over " + first.dtype().onnxName() + " is not supported: Braid contracts on the device"
          + " in float32, exact for floating-point operands only");
    }
    List<String[]> parts = new ArrayList<>();
    int widest = 0;
    for (int i = 0; i < terms.length; i++) {
      ValueInfo in = ShapeInference.in(n, i, v);
      if (in.dtype() != first.dtype()) {
        throw new ModelException("input " + i + " '" + in.name() + "' is " + in.dtype().onnxName() + ", input 0 is "
            + first.dtype().onnxName() + "; Einsum needs one element type");
      }
      String[] split = splitEllipsis(terms[i], raw);
      int letters = split[0].length() + split[1].length();
      int rank = in.shape().rank();
      if (split.length == 2 ? rank != letters : rank < letters) {
        throw new ModelException("operand " + i + " '" + terms[i] + "' of equation '" + raw + "' names " + letters
            + " axes" + (split.length == 3 ? " plus '...'" : "") + ", input '" + in.name() + "' has shape " + in.shape());
      }
      if (split.length == 3) {
        widest = Math.max(widest, rank - letters);
      }
      parts.add(split);
    }
    Map<Integer, Integer> sizes = new HashMap<>();
    Map<Integer, Integer> uses = new HashMap<>();
    List<int[]> inputs = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      Shape shape = v.info(n.input(i)).shape();
      String[] p = parts.get(i);
      int ell = p.length == 3 ? shape.rank() - p[0].length() - p[1].length() : 0;
      int[] labels = new int[shape.rank()];
      int axis = 0;
      for (char c : p[0].toCharArray()) {
        labels[axis++] = letter(c, raw);
      }
      for (int j = 0; j < ell; j++) {
        labels[axis++] = ELLIPSIS + widest - ell + j;
      }
      for (char c : p[1].toCharArray()) {
        labels[axis++] = letter(c, raw);
      }
      for (int a = 0; a < labels.length; a++) {
        Integer prev = sizes.putIfAbsent(labels[a], shape.dim(a));
        if (prev != null && prev != shape.dim(a)) {
          throw new ModelException("label '" + labelName(labels[a]) + "' of equation '" + raw + "' has size " + prev
              + " in one place and " + shape.dim(a) + " in input " + i + " '" + n.input(i) + "' " + shape
              + " (Braid does not broadcast size-1 dimensions in Einsum)");
        }
        uses.merge(labels[a], 1, Integer::sum);
      }
      inputs.add(labels);
    }
    int[] output;
    if (arrow < 0) {
      List<Integer> out = new ArrayList<>();
      for (int j = 0; j < widest; j++) {
        out.add(ELLIPSIS + j);
      }
      new TreeSet<>(uses.keySet()).stream().filter(l -> l < ELLIPSIS && uses.get(l) == 1).forEach(out::add);
      output = out.stream().mapToInt(Integer::intValue).toArray();
    } else {
      String rhs = eqn.substring(arrow + 2);
      String[] split = splitEllipsis(rhs, raw);
      if (widest > 0 && split.length != 3) {
        throw new ModelException("the output of equation '" + raw + "' must keep '...' since an operand has it"
            + " (Braid does not sum over the ellipsis dimensions)");
      }
      List<Integer> out = new ArrayList<>();
      for (char c : split[0].toCharArray()) {
        out.add(letter(c, raw));
      }
      for (int j = 0; split.length == 3 && j < widest; j++) {
        out.add(ELLIPSIS + j);
      }
      for (char c : split[1].toCharArray()) {
        out.add(letter(c, raw));
      }
      for (int l : out) {
        if (!sizes.containsKey(l)) {
          throw new ModelException("output label '" + labelName(l) + "' of equation '" + raw + "' appears in no operand");
        }
        if (out.stream().filter(x -> x == l).count() > 1) {
          throw new ModelException("output label '" + labelName(l) + "' of equation '" + raw + "' appears more than once");
        }
      }
      output = out.stream().mapToInt(Integer::intValue).toArray();
    }
    return new Equation(List.copyOf(inputs), output, Map.copyOf(sizes));
  }

  /** {before, after} the one "..." of a term ({before, after, ""} when it has one), or {term, ""}. */
  private static String[] splitEllipsis(String term, String raw) {
    int at = term.indexOf("...");
    if (at < 0) {
      return new String[] {term, ""};
    }
    if (term.indexOf("...", at + 3) >= 0) {
      throw new ModelException("term '" + term + "' of equation '" + raw + "' has '...' more than once");
    }
    return new String[] {term.substring(0, at), term.substring(at + 3), ""};
  }

  private static int letter(char c, String raw) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      throw new ModelException("equation '" + raw + "' has '" + c + "' where a letter label was expected");
    }
    return c;
  }
}
