package dev.braid.model.fold;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One RNN, GRU or LSTM node read and checked against its inputs: the sizes, the direction, the
 * layout and the resolved activation functions. Pure; errors name the attribute or input, what
 * was expected and what was received. Shared by shape inference and {@link RecurrentDecompositions}.
 *
 * <p>Inputs (ONNX order): X, W, R, B, sequence_lens, initial_h, and for LSTM initial_c, P. With
 * {@code layout} 0, X is {@code [seq, batch, input]}, Y {@code [seq, num_directions, batch,
 * hidden]} and Y_h, Y_c {@code [num_directions, batch, hidden]}; with layout 1 (opset 14) batch
 * comes first: X {@code [batch, seq, input]}, Y {@code [batch, seq, num_directions, hidden]}, the
 * states {@code [batch, num_directions, hidden]}.
 *
 * @param op "RNN", "GRU" or "LSTM"
 * @param gates the weight blocks stacked in W and R: 1, 3 (z, r, h) or 4 (i, o, f, c)
 * @param directions 1 or 2 (bidirectional)
 * @param reverse whether a one-direction node runs from the last step to the first
 * @param activations per direction, the functions in ONNX order (f for RNN; f, g for GRU; f, g, h
 *     for LSTM)
 * @param clip the bound applied to every gate's pre-activation, or NaN for none
 */
record RecurrentSpec(
    String op, int gates, int seq, int batch, int input, int hidden, int directions, boolean reverse, int layout,
    List<List<Activation>> activations, float clip, boolean linearBeforeReset, DType dtype) {

  /**
   * Unrolled steps (time steps times directions) above which a node is refused rather than
   * unrolled: each step adds one to two dozen nodes, so this bounds one recurrent node's share of
   * the plan at about 100,000 nodes, far beyond the exported speech and text models Braid serves.
   */
  static final int MAX_UNROLLED_STEPS = 4096;

  /** One activation function with its parameters (the defaults of the ONNX operator of that name). */
  record Activation(String name, float alpha, float beta) {}

  /** Activation name (lower case) to {alpha, beta} defaults; NaN where the parameter is unused, null where required. */
  private static final Map<String, float[]> FUNCTIONS = Map.ofEntries(
      Map.entry("sigmoid", new float[] {Float.NaN, Float.NaN}),
      Map.entry("tanh", new float[] {Float.NaN, Float.NaN}),
      Map.entry("relu", new float[] {Float.NaN, Float.NaN}),
      Map.entry("softsign", new float[] {Float.NaN, Float.NaN}),
      Map.entry("softplus", new float[] {Float.NaN, Float.NaN}),
      Map.entry("leakyrelu", new float[] {0.01f, Float.NaN}),
      Map.entry("thresholdedrelu", new float[] {1f, Float.NaN}),
      Map.entry("elu", new float[] {1f, Float.NaN}),
      Map.entry("hardsigmoid", new float[] {0.2f, 0.5f}),
      Map.entry("affine", new float[] {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY}),
      Map.entry("scaledtanh", new float[] {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY}));

  /** The output names in ONNX order. */
  static List<String> outputRoles(String op) {
    return op.equals("LSTM") ? List.of("Y", "Y_h", "Y_c") : List.of("Y", "Y_h");
  }

  static RecurrentSpec of(Node n, Values v) {
    String op = n.opType();
    int gates = switch (op) {
      case "RNN" -> 1;
      case "GRU" -> 3;
      case "LSTM" -> 4;
      default -> throw new IllegalArgumentException("not a recurrent operator: " + op);
    };
    if (n.outputs().size() > outputRoles(op).size()) {
      throw new ModelException(op + " has " + outputRoles(op).size() + " outputs " + outputRoles(op) + ", the node declares "
          + n.outputs().size());
    }
    ValueInfo x = ShapeInference.in(n, 0, v);
    ValueInfo w = ShapeInference.in(n, 1, v);
    ValueInfo r = ShapeInference.in(n, 2, v);
    ShapeInference.requireRank(x, 3, 3, "input X");
    ShapeInference.requireRank(w, 3, 3, "input W");
    ShapeInference.requireRank(r, 3, 3, "input R");
    if (!x.dtype().isFloating()) {
      throw new ModelException("input X must be a floating-point tensor, got " + x.dtype().onnxName());
    }
    long layout = n.attributes().getInt("layout", 0);
    if (layout != 0 && layout != 1) {
      throw new ModelException("attribute 'layout' must be 0 or 1, got " + layout);
    }
    int seq = x.shape().dim(layout == 0 ? 0 : 1);
    int batch = x.shape().dim(layout == 0 ? 1 : 0);
    int input = x.shape().dim(2);
    String direction = n.attributes().getString("direction", "forward");
    int dirs = switch (direction) {
      case "forward", "reverse" -> 1;
      case "bidirectional" -> 2;
      default -> throw new ModelException("attribute 'direction' must be 'forward', 'reverse' or 'bidirectional', got '"
          + direction + "'");
    };
    int hidden = r.shape().dim(2);
    long declared = n.attributes().getInt("hidden_size", hidden);
    if (declared != hidden) {
      throw new ModelException("attribute 'hidden_size' is " + declared + " but R " + r.shape() + " has hidden size " + hidden);
    }
    expectShape(w, Shape.of(dirs, gates * hidden, input), "input W", "[num_directions, " + gates + " * hidden_size, input_size]");
    expectShape(r, Shape.of(dirs, gates * hidden, hidden), "input R", "[num_directions, " + gates + " * hidden_size, hidden_size]");
    if (n.hasInput(3)) {
      expectShape(v.info(n.input(3)), Shape.of(dirs, 2 * gates * hidden), "input B", "[num_directions, " + 2 * gates + " * hidden_size]");
    }
    if (n.hasInput(4)) {
      ValueInfo lens = v.info(n.input(4));
      expectShape(lens, Shape.of(batch), "input sequence_lens", "[batch_size]");
      if (lens.dtype() != DType.INT32 && lens.dtype() != DType.INT64) {
        throw new ModelException("input sequence_lens '" + lens.name() + "' must be INT32 (or INT64), got " + lens.dtype().onnxName());
      }
    }
    Shape state = layout == 0 ? Shape.of(dirs, batch, hidden) : Shape.of(batch, dirs, hidden);
    String stateForm = layout == 0 ? "[num_directions, batch_size, hidden_size]" : "[batch_size, num_directions, hidden_size]";
    if (n.hasInput(5)) {
      expectShape(v.info(n.input(5)), state, "input initial_h", stateForm);
    }
    if (op.equals("LSTM") && n.hasInput(6)) {
      expectShape(v.info(n.input(6)), state, "input initial_c", stateForm);
    }
    if (op.equals("LSTM") && n.hasInput(7)) {
      expectShape(v.info(n.input(7)), Shape.of(dirs, 3 * hidden), "input P", "[num_directions, 3 * hidden_size]");
    }
    if (!op.equals("LSTM") && n.inputs().size() > 6) {
      throw new ModelException(op + " has 6 inputs, the node gives " + n.inputs().size());
    }
    if (op.equals("LSTM") && n.attributes().getInt("input_forget", 0) != 0) {
      throw new ModelException("attribute 'input_forget' must be 0 (Braid does not couple the input and forget gates), got "
          + n.attributes().getInt("input_forget", 0));
    }
    long lbr = op.equals("GRU") ? n.attributes().getInt("linear_before_reset", 0) : 0;
    if (!op.equals("GRU") && n.attributes().has("linear_before_reset")) {
      throw new ModelException("attribute 'linear_before_reset' belongs to GRU, not " + op);
    }
    float clip = Float.NaN;
    if (n.attributes().has("clip")) {
      clip = n.attributes().getFloat("clip", 0);
      if (op.equals("LSTM")) {
        throw new ModelException("attribute 'clip' (" + clip + ") is not supported for LSTM: the specification leaves open"
            + " whether the cell state is clipped before h(C), so Braid refuses it rather than guess");
      }
      if (!(clip > 0)) {
        throw new ModelException("attribute 'clip' must be positive, got " + clip);
      }
    }
    if (seq < 1 || batch < 1) {
      throw new ModelException("input X " + x.shape() + " has no time step or no batch row; " + op + " needs both >= 1");
    }
    if ((long) seq * dirs > MAX_UNROLLED_STEPS) {
      throw new ModelException("sequence length " + seq + " x " + dirs + " direction(s) = " + (long) seq * dirs
          + " steps exceeds the " + MAX_UNROLLED_STEPS + " that Braid unrolls into one plan");
    }
    List<List<Activation>> acts = activations(n, op, dirs);
    return new RecurrentSpec(op, gates, seq, batch, input, hidden, dirs, direction.equals("reverse"), (int) layout, acts,
        clip, lbr != 0, x.dtype());
  }

  /** The info of each output in ONNX order (Y, Y_h[, Y_c]). */
  List<Shape> outputShapes() {
    Shape y = layout == 0 ? Shape.of(seq, directions, batch, hidden) : Shape.of(batch, seq, directions, hidden);
    Shape s = layout == 0 ? Shape.of(directions, batch, hidden) : Shape.of(batch, directions, hidden);
    return op.equals("LSTM") ? List.of(y, s, s) : List.of(y, s);
  }

  private static void expectShape(ValueInfo i, Shape want, String role, String form) {
    if (!i.shape().equals(want)) {
      throw new ModelException(role + " '" + i.name() + "' must have shape " + form + " = " + want + ", got " + i.shape());
    }
  }

  private static List<List<Activation>> activations(Node n, String op, int dirs) {
    int perDir = op.equals("RNN") ? 1 : op.equals("GRU") ? 2 : 3;
    List<String> defaults = op.equals("RNN") ? List.of("Tanh") : op.equals("GRU") ? List.of("Sigmoid", "Tanh")
        : List.of("Sigmoid", "Tanh", "Tanh");
    List<String> names = n.attributes().getStrings("activations", null);
    if (names == null) {
      names = new ArrayList<>();
      for (int d = 0; d < dirs; d++) {
        names.addAll(defaults);
      }
    } else if (names.size() != perDir * dirs) {
      throw new ModelException("attribute 'activations' must list " + perDir * dirs + " functions (" + perDir + " per direction"
          + " x " + dirs + "), got " + names.size() + ": " + names);
    }
    float[] alphas = n.attributes().getFloats("activation_alpha", new float[0]);
    float[] betas = n.attributes().getFloats("activation_beta", new float[0]);
    // As ONNX Runtime reads them: the lists are consumed in order by the functions that take the parameter.
    int alphaUsers = 0;
    int betaUsers = 0;
    for (String name : names) {
      float[] d = FUNCTIONS.get(name.toLowerCase(Locale.ROOT));
      if (d == null) {
        throw new ModelException("attribute 'activations' names '" + name + "'; Braid supports " + supported());
      }
      alphaUsers += Float.isNaN(d[0]) ? 0 : 1;
      betaUsers += Float.isNaN(d[1]) ? 0 : 1;
    }
    checkParameterCount("activation_alpha", alphas, alphaUsers, names);
    checkParameterCount("activation_beta", betas, betaUsers, names);
    List<List<Activation>> result = new ArrayList<>();
    int ai = 0;
    int bi = 0;
    for (int d = 0; d < dirs; d++) {
      List<Activation> dir = new ArrayList<>();
      for (int k = 0; k < perDir; k++) {
        String name = names.get(d * perDir + k);
        float[] def = FUNCTIONS.get(name.toLowerCase(Locale.ROOT));
        float alpha = Float.isNaN(def[0]) ? Float.NaN : ai < alphas.length ? alphas[ai++] : def[0];
        float beta = Float.isNaN(def[1]) ? Float.NaN : bi < betas.length ? betas[bi++] : def[1];
        if (Float.isInfinite(alpha) || Float.isInfinite(beta)) {
          throw new ModelException("activation '" + name + "' needs its parameters in 'activation_alpha' and"
              + " 'activation_beta'; none given");
        }
        dir.add(new Activation(name.toLowerCase(Locale.ROOT), alpha, beta));
      }
      result.add(List.copyOf(dir));
    }
    return List.copyOf(result);
  }

  private static void checkParameterCount(String attr, float[] values, int users, List<String> names) {
    if (values.length != 0 && values.length != users) {
      throw new ModelException("attribute '" + attr + "' must hold one value per activation that takes it (" + users
          + " in " + names + "), got " + values.length + ": " + Arrays.toString(values));
    }
  }

  private static String supported() {
    return "Sigmoid, Tanh, Relu, LeakyRelu, ThresholdedRelu, HardSigmoid, Elu, Softsign, Softplus, Affine, ScaledTanh";
  }
}
