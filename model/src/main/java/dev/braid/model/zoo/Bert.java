package dev.braid.model.zoo;

import dev.braid.model.DType;
import java.util.List;
import java.util.Map;

/**
 * A small BERT-like encoder at opset 20 (the first with Gelu): "embeddings" [batch, 64, 256] ->
 * two post-norm encoder layers (hidden 256, 4 heads of 64, FFN 1024) -> "hidden" [batch, 64,
 * 256]. Token embeddings are the input, so no integer Gather of a vocabulary is needed.
 *
 * <p>Each layer: Q, K, V = MatMul + Add bias; Reshape to [batch, 64, 4, 64] and Transpose to
 * [batch, 4, 64, 64] (K to [batch, 4, 64, 64] with the last two axes swapped, i.e. K^T);
 * scores = MatMul(Q, K^T) / sqrt(64) -> Softmax(-1) -> MatMul with V -> Transpose back ->
 * Reshape [batch, 64, 256] -> output projection -> Dropout -> residual Add -> LayerNorm; FFN
 * MatMul 1024 -> GELU -> MatMul 256 -> residual Add -> LayerNorm.
 *
 * <p>The two layers deliberately take different import paths:
 *
 * <ul>
 *   <li>layer 0 computes its Reshape shapes at run time, Shape(x) -> Gather -> Unsqueeze ->
 *       Concat, which an importer must fold to a constant; its activation is the Gelu op and
 *       both norms are LayerNormalization ops;
 *   <li>layer 1 uses constant shapes with 0 (copy the input dim) and -1 (infer): [0, 0, 4, 64]
 *       for Q and V, [0, 0, -1, 64] for K, [0, 0, 256] to merge the heads; its activation is
 *       the Erf form x * 0.5 * (1 + Erf(x / sqrt(2))); its first norm is a LayerNormalization
 *       op and its second the decomposed ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div /
 *       Mul / Add chain.
 * </ul>
 *
 * An Identity on the input and a Dropout after each attention output projection are inference
 * no-ops an importer must remove. 1,579,520 parameters.
 */
final class Bert implements ZooModel {
  static final int SEQUENCE = 64;
  static final int HIDDEN = 256;
  static final int HEADS = 4;
  static final int HEAD_DIM = HIDDEN / HEADS;
  static final int FFN = 1024;
  private static final int LAYERS = 2;
  /** BERT's LayerNorm epsilon. */
  private static final float EPSILON = 1e-12f;

  @Override
  public String name() {
    return "bert";
  }

  @Override
  public int opset() {
    return 20;
  }

  @Override
  public void define(ZooGraph g, ZooOptions options) {
    g.onnx.input("embeddings", DType.FLOAT32, "batch", SEQUENCE, HIDDEN);
    String x = g.onnx.node("Identity", "embeddings");
    String scale = g.onnx.floatScalar("attention.scale", (float) Math.sqrt(HEAD_DIM));
    for (int layer = 0; layer < LAYERS; layer++) {
      x = encoderLayer(g, "encoder.layer." + layer, x, scale, layer == 0,
          layer == LAYERS - 1 ? "hidden" : null);
    }
    g.onnx.output("hidden", DType.FLOAT32, "batch", SEQUENCE, HIDDEN);
  }

  /** One encoder layer; {@code runtimeShapes} picks layer 0's import paths over layer 1's. */
  private static String encoderLayer(
      ZooGraph g, String prefix, String x, String scale, boolean runtimeShapes, String output) {
    HeadShapes shapes = runtimeShapes ? runtimeShapes(g, prefix, x) : constantShapes(g, prefix);
    String q = linear(g, prefix + ".attention.self.query", x, HIDDEN, HIDDEN, false);
    String k = linear(g, prefix + ".attention.self.key", x, HIDDEN, HIDDEN, false);
    String v = linear(g, prefix + ".attention.self.value", x, HIDDEN, HIDDEN, false);
    String qh = heads(g, q, shapes.query(), new int[] {0, 2, 1, 3});
    String kt = heads(g, k, shapes.key(), new int[] {0, 2, 3, 1});
    String vh = heads(g, v, shapes.query(), new int[] {0, 2, 1, 3});
    String scores = g.onnx.node("Div", g.onnx.node("MatMul", qh, kt), scale);
    g.addMacs((long) HEADS * SEQUENCE * HEAD_DIM * SEQUENCE);
    String probs = g.onnx.node("Softmax", List.of(scores), Map.of("axis", -1));
    String context = g.onnx.node("MatMul", probs, vh);
    g.addMacs((long) HEADS * SEQUENCE * SEQUENCE * HEAD_DIM);
    String merged =
        g.onnx.node("Transpose", List.of(context), Map.of("perm", new int[] {0, 2, 1, 3}));
    merged = g.onnx.node("Reshape", merged, shapes.merge());
    String attention = linear(g, prefix + ".attention.output.dense", merged, HIDDEN, HIDDEN, false);
    attention = g.onnx.node("Dropout", attention);
    String x1 = layerNorm(g, prefix + ".attention.output.LayerNorm",
        g.onnx.node("Add", x, attention), null);

    String h = linear(g, prefix + ".intermediate.dense", x1, HIDDEN, FFN, true);
    h = runtimeShapes
        ? g.onnx.node("Gelu", List.of(h), Map.of("approximate", "none"))
        : erfGelu(g, h);
    String o = linear(g, prefix + ".output.dense", h, FFN, HIDDEN, false);
    String sum = g.onnx.node("Add", x1, o);
    String normPrefix = prefix + ".output.LayerNorm";
    return runtimeShapes ? layerNorm(g, normPrefix, sum, output)
        : decomposedLayerNorm(g, normPrefix, sum, output);
  }

  /** The INT64 shapes the head Reshapes use: query and value, key, and the merge back. */
  private record HeadShapes(String query, String key, String merge) {}

  /** [batch, seq, 4, 64] and [batch, seq, 256] built from Shape(x) at run time. */
  private static HeadShapes runtimeShapes(ZooGraph g, String prefix, String x) {
    String shape = g.onnx.node("Shape", x);
    String axis0 = g.onnx.int64Vector(prefix + ".shape.axes", 0);
    String batch = gather(g, prefix + ".shape.batch_index", shape, 0);
    batch = g.onnx.node("Unsqueeze", batch, axis0);
    String seq = gather(g, prefix + ".shape.seq_index", shape, 1);
    seq = g.onnx.node("Unsqueeze", seq, axis0);
    String headDims = g.onnx.int64Vector(prefix + ".shape.head_dims", HEADS, HEAD_DIM);
    String hiddenDim = g.onnx.int64Vector(prefix + ".shape.hidden_dim", HIDDEN);
    String heads = g.onnx.node("Concat", List.of(batch, seq, headDims), Map.of("axis", 0));
    String merge = g.onnx.node("Concat", List.of(batch, seq, hiddenDim), Map.of("axis", 0));
    return new HeadShapes(heads, heads, merge);
  }

  private static String gather(ZooGraph g, String indexName, String shape, long index) {
    String idx = g.onnx.initializerInt64(indexName, new long[] {index}); // a scalar index
    return g.onnx.node("Gather", List.of(shape, idx), Map.of("axis", 0));
  }

  /** Constant shapes where 0 copies the input dim and -1 is inferred. */
  private static HeadShapes constantShapes(ZooGraph g, String prefix) {
    return new HeadShapes(
        g.onnx.int64Vector(prefix + ".shape.heads", 0, 0, HEADS, HEAD_DIM),
        g.onnx.int64Vector(prefix + ".shape.key_heads", 0, 0, -1, HEAD_DIM),
        g.onnx.int64Vector(prefix + ".shape.merge", 0, 0, HIDDEN));
  }

  private static String heads(ZooGraph g, String x, String shape, int[] perm) {
    String split = g.onnx.node("Reshape", x, shape);
    return g.onnx.node("Transpose", List.of(split), Map.of("perm", perm));
  }

  /**
   * MatMul by a weight [in, out] then Add a bias [out]; He scaling when a GELU follows, LeCun
   * scaling otherwise.
   */
  private static String linear(ZooGraph g, String prefix, String x, int in, int out, boolean gelu) {
    float[] w = gelu ? g.weights.he(in * out, in) : g.weights.lecun(in * out, in);
    String weight = g.param(prefix + ".weight", w, in, out);
    String bias = g.param(prefix + ".bias", g.weights.uniform(out, -0.1, 0.1), out);
    g.addMacs((long) SEQUENCE * in * out);
    return g.onnx.node("Add", g.onnx.node("MatMul", x, weight), bias);
  }

  /** GELU as PyTorch exports it before opset 20: x * 0.5 * (1 + Erf(x / sqrt(2))). */
  private static String erfGelu(ZooGraph g, String x) {
    String sqrt2 = g.onnx.floatScalar(g.onnx.uniqueName("gelu.sqrt2"), (float) Math.sqrt(2));
    String one = g.onnx.floatScalar(g.onnx.uniqueName("gelu.one"), 1f);
    String half = g.onnx.floatScalar(g.onnx.uniqueName("gelu.half"), 0.5f);
    String erf = g.onnx.node("Erf", g.onnx.node("Div", x, sqrt2));
    return g.onnx.node("Mul", g.onnx.node("Mul", x, g.onnx.node("Add", erf, one)), half);
  }

  /** The LayerNormalization op over the last axis; {@code output} names its result if set. */
  private static String layerNorm(ZooGraph g, String prefix, String x, String output) {
    String[] gb = gammaBeta(g, prefix);
    List<String> inputs = List.of(x, gb[0], gb[1]);
    Map<String, Object> attrs = Map.of("axis", -1, "epsilon", EPSILON);
    if (output == null) {
      return g.onnx.node("LayerNormalization", inputs, attrs);
    }
    g.onnx.node("LayerNormalization", inputs, List.of(output), attrs);
    return output;
  }

  /**
   * LayerNorm written out: (x - mean) / sqrt(mean((x - mean)^2) + eps) * gamma + beta, with
   * ReduceMean over the last axis (axes as an input, the opset 18 form).
   */
  private static String decomposedLayerNorm(ZooGraph g, String prefix, String x, String output) {
    String[] gb = gammaBeta(g, prefix);
    String axes = g.onnx.int64Vector(prefix + ".axes", -1);
    String two = g.onnx.floatScalar(prefix + ".two", 2f);
    String eps = g.onnx.floatScalar(prefix + ".epsilon", EPSILON);
    Map<String, Object> keep = Map.of("keepdims", 1);
    String mean = g.onnx.node("ReduceMean", List.of(x, axes), keep);
    String centered = g.onnx.node("Sub", x, mean);
    String squared = g.onnx.node("Pow", centered, two);
    String variance = g.onnx.node("ReduceMean", List.of(squared, axes), keep);
    String std = g.onnx.node("Sqrt", g.onnx.node("Add", variance, eps));
    String scaled = g.onnx.node("Mul", g.onnx.node("Div", centered, std), gb[0]);
    if (output == null) {
      return g.onnx.node("Add", scaled, gb[1]);
    }
    g.onnx.node("Add", List.of(scaled, gb[1]), List.of(output), Map.of());
    return output;
  }

  private static String[] gammaBeta(ZooGraph g, String prefix) {
    String gamma = g.param(prefix + ".weight", g.weights.uniform(HIDDEN, 0.9, 1.1), HIDDEN);
    String beta = g.param(prefix + ".bias", g.weights.uniform(HIDDEN, -0.1, 0.1), HIDDEN);
    return new String[] {gamma, beta};
  }
}
