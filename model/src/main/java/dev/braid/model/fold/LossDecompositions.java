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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites the two ONNX loss operators (opset 12 on) into operators that have kernels, following
 * ONNX's definitions and its reference implementation
 * ({@code onnx/backend/test/case/node/negativeloglikelihoodloss.py}):
 *
 * <ul>
 *   <li>NegativeLogLikelihoodLoss(input [N, C, d1..dk], target [N, d1..dk], weight [C]?): per
 *       element {@code loss = -input[n, target, d...] * weight[target]}, 0 where {@code target ==
 *       ignore_index}; reduction {@code none} keeps that tensor, {@code sum} adds it up, {@code
 *       mean} divides the sum by the sum of the per-element weights (each {@code weight[target]}
 *       with weights, 1 without, 0 where ignored), which is the plain mean with neither weights nor
 *       ignore_index.
 *   <li>SoftmaxCrossEntropyLoss(scores, labels, weights?): {@code log_prob = LogSoftmax(scores,
 *       axis 1)}, its optional second output, then NegativeLogLikelihoodLoss of log_prob.
 * </ul>
 *
 * The class entry of each element is read with GatherElements along axis 1 by the target
 * unsqueezed at axis 1, the weight with Gather; the ignore_index mask with Equal and Where.
 *
 * <p>Targets outside {@code [0, C)} that are not {@code ignore_index} are undefined by ONNX. Here
 * the gathers read a safe index instead (0), so nothing is read out of bounds and no launch fails,
 * and the element's loss is NaN, so the reduced loss is NaN too: the bad target shows in the
 * answer rather than silently becoming another class's loss (negative targets are not taken from
 * the end as GatherElements would). Targets that are constants at load are checked then and an
 * out-of-range one is refused naming its position and value. Targets travel on the device as
 * float32 values, exact for |v| <= 2^24 (integer inputs beyond that are refused at upload); an
 * {@code ignore_index} beyond that is refused here.
 */
final class LossDecompositions {
  private LossDecompositions() {}

  static final String NLL = "NegativeLogLikelihoodLoss";
  static final String SCE = "SoftmaxCrossEntropyLoss";

  /** The largest magnitude of an integer carried exactly as a float32 value on the device. */
  private static final long EXACT_INTEGER = 1L << 24;

  /** Whether {@code n} is one of the losses rewritten here. */
  static boolean applies(Node n) {
    return n.opType().equals(NLL) || n.opType().equals(SCE);
  }

  /** The output info of a loss node (the loss; SCE's log_prob is {@link #logProb}), checking its form. */
  static ValueInfo infer(Node n, Values v) {
    Form f = Form.of(n, v);
    Shape loss = f.reduction.equals("none") ? f.target.shape() : Shape.scalar();
    return new ValueInfo(n.output(0), f.x.dtype(), loss);
  }

  /** SCE's log_prob output when the node declares it, else an empty list. */
  static List<ValueInfo> logProb(Node n, Values v) {
    if (!n.opType().equals(SCE) || n.outputs().size() < 2 || n.output(1).isEmpty()) {
      return List.of();
    }
    return List.of(ShapeInference.rename(ShapeInference.in(n, 0, v), n.output(1)));
  }

  /** Appends the decomposition of {@code n}, whose output infos are known, to {@code g}. */
  static void append(Node n, WorkGraph g) {
    Form f = Form.of(n, g);
    Emitter e = new Emitter(n, g);
    String x = n.input(0);
    if (n.opType().equals(SCE)) {
      String logProbOut = n.outputs().size() > 1 && !n.output(1).isEmpty() ? n.output(1) : null;
      x = e.emit("LogSoftmax", logProbOut, Map.of("axis", new Attribute.Int(1)), x);
    }
    nll(f, e, x, n.hasInput(2) ? n.input(2) : null, n.output(0));
  }

  private static void nll(Form f, Emitter e, String x, String weight, String out) {
    DType tt = f.target.dtype();
    String t = f.target.name();
    String ignored = null;
    if (f.ignoreIndex != null) {
      ignored = e.op("Equal", t, e.integer(tt, f.ignoreIndex));
      t = e.op("Where", ignored, e.integer(tt, 0), t);
    }
    String invalid = e.op("Or", e.op("Less", t, e.integer(tt, 0)), e.op("Greater", t, e.integer(tt, f.classes - 1)));
    boolean checkedAtLoad = e.checkedAtLoad(invalid, f);
    String safe = checkedAtLoad ? t : e.op("Where", invalid, e.integer(tt, 0), t);

    int[] dims = f.target.shape().dims();
    int[] withClassAxis = new int[dims.length + 1];
    withClassAxis[0] = dims[0];
    withClassAxis[1] = 1;
    System.arraycopy(dims, 1, withClassAxis, 2, dims.length - 1);
    String picked = e.emit("GatherElements", null, Map.of("axis", new Attribute.Int(1)), x,
        e.reshape(safe, withClassAxis));
    String loss = e.op("Neg", e.reshape(picked, dims));

    String perElementWeight = null;
    if (weight != null) {
      String w = e.emit("Gather", null, Map.of("axis", new Attribute.Int(0)), weight, safe);
      loss = e.op("Mul", loss, w);
      perElementWeight = ignored == null ? w : e.op("Where", ignored, e.real(0f), w);
    } else if (ignored != null) {
      perElementWeight = e.op("Where", ignored, e.real(0f), e.real(1f));
    }
    if (ignored != null) {
      loss = e.op("Where", ignored, e.real(0f), loss);
    }
    String reduced = f.reduction.equals("none") ? out : null;
    if (!checkedAtLoad) {
      loss = e.emit("Where", reduced, Map.of(), invalid, e.real(Float.NaN), loss);
    } else if (reduced != null) {
      loss = e.emit("Identity", reduced, Map.of(), loss);
    }
    switch (f.reduction) {
      case "sum" -> e.reduceAll("ReduceSum", loss, out);
      case "mean" -> {
        if (perElementWeight == null) {
          e.reduceAll("ReduceMean", loss, out);
        } else {
          e.emit("Div", out, Map.of(), e.reduceAll("ReduceSum", loss, null),
              e.reduceAll("ReduceSum", perElementWeight, null));
        }
      }
      default -> {} // none: written above
    }
  }

  /** A loss node's inputs and attributes, checked against the operator's definition. */
  private record Form(ValueInfo x, ValueInfo target, int classes, String reduction, Long ignoreIndex) {
    static Form of(Node n, Values v) {
      boolean sce = n.opType().equals(SCE);
      String xRole = sce ? "scores" : "input", tRole = sce ? "labels" : "target", wRole = sce ? "weights" : "weight";
      if (v.opset() < 12) {
        throw new ModelException(n.opType() + " is defined from opset 12; the model imports opset " + v.opset());
      }
      ValueInfo x = ShapeInference.in(n, 0, v);
      ValueInfo t = ShapeInference.in(n, 1, v);
      ShapeInference.requireRank(x, 2, Integer.MAX_VALUE, "input 0 (" + xRole + ")");
      if (!x.dtype().isFloating()) {
        throw new ModelException("input 0 (" + xRole + ") '" + x.name() + "' must be floating, got "
            + x.dtype().onnxName());
      }
      if (t.dtype() != DType.INT32 && t.dtype() != DType.INT64) {
        throw new ModelException("input 1 (" + tRole + ") '" + t.name() + "' must be INT32 or INT64, got "
            + t.dtype().onnxName());
      }
      Shape xs = x.shape();
      int[] want = new int[xs.rank() - 1];
      want[0] = xs.dim(0);
      for (int i = 2; i < xs.rank(); i++) {
        want[i - 1] = xs.dim(i);
      }
      if (!t.shape().equals(Shape.of(want))) {
        throw new ModelException("input 1 (" + tRole + ") '" + t.name() + "' must have shape " + Shape.of(want)
            + " ([N, d1..dk] of " + xRole + " " + xs + "), got " + t.shape());
      }
      int c = xs.dim(1);
      if (n.hasInput(2)) {
        ValueInfo w = v.info(n.input(2));
        if (!w.shape().equals(Shape.of(c)) || w.dtype() != x.dtype()) {
          throw new ModelException("input 2 (" + wRole + ") '" + w.name() + "' must be " + x.dtype().onnxName()
              + " " + Shape.of(c) + " (one weight per class), got " + w.dtype().onnxName() + " " + w.shape());
        }
      }
      String reduction = n.attributes().getString("reduction", "mean");
      if (!List.of("none", "sum", "mean").contains(reduction)) {
        throw new ModelException("attribute 'reduction' must be 'none', 'sum' or 'mean', got '" + reduction + "'");
      }
      Long ii = n.attributes().has("ignore_index") ? n.attributes().getInt("ignore_index") : null;
      if (ii != null && Math.abs(ii) > EXACT_INTEGER) {
        throw new ModelException("attribute 'ignore_index' must be within [-2^24, 2^24] (targets are carried as"
            + " float32 values, exact only there), got " + ii);
      }
      return new Form(x, t, c, reduction, ii);
    }
  }

  /**
   * Appends nodes as {@link GraphBinder} would take them: each shape-inferred, folded on the host
   * when its inputs are all constants and the operator folds, else kept in canonical form.
   */
  private static final class Emitter {
    private final Node source;
    private final WorkGraph g;
    private final OpEmitter e;

    Emitter(Node source, WorkGraph g) {
      this.source = source;
      this.g = g;
      this.e = OpEmitter.folding(g, source.name().isEmpty() ? source.output(0) : source.name());
    }

    String op(String op, String... inputs) {
      return emit(op, null, Map.of(), inputs);
    }

    /** A node {@code op(inputs)} writing {@code out} (a fresh value when null); returns the value. */
    String emit(String op, String out, Map<String, Attribute> attrs, String... inputs) {
      // LogSoftmax is written canonical (axis explicit, opset-13 semantics): not re-read in the model's opset
      return op.equals("LogSoftmax") ? e.emitCanonical(op, out, attrs, inputs) : e.emit(op, out, attrs, inputs);
    }

    /** {@code op} over every axis, not kept: a scalar. */
    String reduceAll(String op, String x, String out) {
      return emit(op, out, Map.of("keepdims", new Attribute.Int(0)), x);
    }

    String reshape(String v, int[] dims) {
      String s = e.constant("shape", Tensor.ofLongs(Shape.of(dims.length), Shape.of(dims).longDims()));
      return op("Reshape", v, s);
    }

    String integer(DType t, long value) {
      return e.constant("int", Tensor.ofLongs(t, Shape.scalar(), new long[] {value}));
    }

    /** A scalar of the source's floating type. */
    String real(float value) {
      return e.constant("const", Tensor.ofFloats(g.info(source.input(0)).dtype(), Shape.scalar(), new float[] {value}));
    }

    /**
     * Whether the targets are constants, all within the classes once ignore_index is set aside
     * ({@code invalid} folded to all false), so no run-time mask is needed; refuses the model when
     * one is out of range, naming its position and value.
     */
    boolean checkedAtLoad(String invalid, Form f) {
      Tensor mask = g.constant(invalid);
      Tensor targets = g.constant(f.target().name());
      if (mask == null || targets == null) {
        return false;
      }
      long[] m = mask.toLongs(), t = targets.toLongs();
      for (int i = 0; i < m.length; i++) {
        if (m[i] != 0) {
          throw new ModelException("input 1 ('" + f.target().name() + "') holds " + t[i] + " at flat position " + i
              + ", outside the classes [0, " + f.classes() + ")" + (f.ignoreIndex() == null ? ""
              : " and not ignore_index " + f.ignoreIndex()));
        }
      }
      return true;
    }
  }
}
