package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Binds an {@link ImportedModel} at one batch size into a static-shape {@link ModelGraph}, in
 * passes over one private {@link WorkGraph}:
 *
 * <ol>
 *   <li>resolve input shapes ({@link InputBinding});
 *   <li>below opset 8, rewrite each node's older form into its opset-7 one ({@link LegacyForms});
 *   <li>in topological order, infer each node's output ({@link ShapeInference}); fold it on the
 *       host ({@link HostEvaluator}) when its inputs are all constants and the op is foldable, or
 *       it is Shape or Size (shapes are static); otherwise keep it in canonical form ({@link
 *       Canonicalizer});
 *   <li>check declared output shapes against inference;
 *   <li>remove Identity and Dropout ({@link IdentityRemoval}), fold BatchNormalization into Conv
 *       ({@link BatchNormFolding}), drop what reaches no output ({@link DeadNodeRemoval}).
 * </ol>
 *
 * <p>The result honours ModelGraph's invariants, with one documented exception: a node of an op
 * the host evaluator does not implement (Conv, MatMul, ...) stays a node even if all its inputs
 * are constant. Errors are ModelExceptions naming the file and the node.
 */
public final class GraphBinder {
  private GraphBinder() {}

  public static ModelGraph bind(ImportedModel m, int batchSize, Map<String, Integer> dimParams) {
    if (batchSize < 1) {
      throw new ModelException(m.sourceName() + ": batch size must be >= 1, received " + batchSize);
    }
    return bind(m, InputBinding.resolve(m, batchSize, dimParams), batchSize, "at batch size " + batchSize);
  }

  /**
   * Binds a model that does not batch ({@code max_batch_size: 0}) at its declared input shapes: a
   * fixed dimension as declared, a dynamic one from {@code fixedDims} (per input, the full shape
   * with -1 where no size is given, as a Triton config's dims) or from a dimension parameter that
   * another input fixes. The graph's batch size is 1: one request is one job.
   *
   * @throws ModelException naming the input and the dimension when one stays dynamic
   */
  public static ModelGraph bindDeclared(ImportedModel m, Map<String, long[]> fixedDims) {
    return bind(m, InputBinding.resolveDeclared(m, fixedDims), 1, "at its declared shapes");
  }

  private static ModelGraph bind(ImportedModel m, InputBinding.Result bound, int batchSize, String where) {
    WorkGraph g = new WorkGraph(m.sourceName(), m.opsetVersion());
    m.initializers().forEach(g::addConstant);
    for (ValueInfo in : bound.inputs()) {
      g.values.put(in.name(), in);
      g.inputs.add(in.name());
    }
    for (TensorSpec o : m.outputs()) {
      g.outputs.add(o.name());
    }
    LegacyForms legacy = LegacyForms.of(m);
    for (Node n : m.nodes()) {
      try {
        for (Node modern : legacy.modernize(n, g)) {
          step(modern, g);
        }
      } catch (ModelException e) {
        throw new ModelException(m.sourceName() + ": " + n.describe() + ": " + e.getMessage(), e);
      }
    }
    List<ValueInfo> outputs = checkOutputs(m, g, bound.params(), where);
    IdentityRemoval.apply(g);
    BatchNormFolding.apply(g);
    DeadNodeRemoval.apply(g);
    return new ModelGraph(m.name(), batchSize, bound.inputs(), outputs, g.constants, g.nodes, g.values);
  }

  private static void step(Node n, WorkGraph g) {
    if (n.opType().equals("Dropout")) {
      Canonicalizer.checkInferenceDropout(n, g); // before folding: a folded Dropout is the identity too
    }
    ValueInfo out = ShapeInference.infer(n, g);
    g.values.put(out.name(), out);
    for (ValueInfo extra : TensorShapes.extraOutputs(n, g)) {
      g.values.put(extra.name(), extra);
    }
    if (n.opType().equals("Dropout")) {
      ElementwiseCanon.dropoutMask(n, g);
    }
    List<Tensor> inputs = new ArrayList<>();
    boolean allConstant = true;
    for (String in : n.inputs()) {
      Tensor t = in.isEmpty() ? null : g.constant(in);
      allConstant &= in.isEmpty() || t != null;
      inputs.add(t);
    }
    boolean shapeOnly = n.opType().equals("Shape") || n.opType().equals("Size");
    if (shapeOnly || (allConstant && HostEvaluator.FOLDABLE.contains(n.opType()))) {
      Tensor t = HostEvaluator.evaluate(n, inputs, out, g);
      if (!t.shape().equals(out.shape())) {
        throw new IllegalStateException("folded " + n.describe() + " to " + t.shape() + ", inferred " + out.shape());
      }
      g.addConstant(out.name(), t);
    } else {
      Canonicalizer.append(n, g);
    }
  }

  private static List<ValueInfo> checkOutputs(
      ImportedModel m, WorkGraph g, Map<String, Integer> params, String where) {
    List<ValueInfo> result = new ArrayList<>();
    for (TensorSpec o : m.outputs()) {
      ValueInfo inferred = g.info(o.name());
      boolean agrees = o.dtype() == inferred.dtype();
      if (o.hasShape()) {
        Shape s = inferred.shape();
        agrees &= o.rank() == s.rank();
        for (int i = 0; agrees && i < s.rank(); i++) {
          DimSpec d = o.dims().get(i);
          Integer want = d.isFixed() ? Integer.valueOf((int) d.value()) : d.isSymbolic() ? params.get(d.param()) : null;
          agrees = want == null || want == s.dim(i);
        }
      }
      if (!agrees) {
        throw new ModelException(m.sourceName() + ": output '" + o.name() + "' is declared as "
            + o.dtype().onnxName() + " " + (o.hasShape() ? o.dims() : "[?]") + " but inference gives "
            + inferred.dtype().onnxName() + " " + inferred.shape() + " " + where);
      }
      result.add(inferred);
    }
    return result;
  }
}
