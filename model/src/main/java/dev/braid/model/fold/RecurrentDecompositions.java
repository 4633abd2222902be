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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Unrolls RNN, GRU and LSTM over their time steps into operators that have kernels (MatMul,
 * Gather, Slice, the elementwise activations, Where, Reshape, Concat), following the ONNX
 * definitions. The sequence length is static once a graph is bound, so each step is a handful of
 * nodes; {@link RecurrentSpec#MAX_UNROLLED_STEPS} bounds the total.
 *
 * <p>Per direction, the input projection of every step is one MatMul, {@code X W^T + Wb (+ Rb)},
 * computed once; each step then adds {@code H_{t-1} R^T}, splits the gates and applies them:
 *
 * <ul>
 *   <li>RNN: {@code H = f(x + H R^T)};
 *   <li>GRU: {@code z = f(.)}, {@code r = f(.)}, {@code h~ = g(x_h + (r * H) R_h^T + Rb_h)}, or with
 *       {@code linear_before_reset} {@code g(x_h + r * (H R_h^T + Rb_h))}; {@code H = h~ + z * (H - h~)};
 *   <li>LSTM (gate order i, o, f, c; peepholes P = [p_i, p_o, p_f]): {@code i = f(. + p_i C)},
 *       {@code f = f(. + p_f C)}, {@code C' = f C + i g(.)}, {@code o = f(. + p_o C')},
 *       {@code H = o h(C')}.
 * </ul>
 *
 * A reverse direction runs from the last step to the first and writes each step's output at its
 * own time index. Where {@code sequence_lens} does not give every batch row the full length, the
 * steps at or past a row's length keep its state and output zeros (Where on {@code t < len}); for
 * the reverse direction that makes each row start at its own last step, as ONNX requires.
 */
final class RecurrentDecompositions {
  private RecurrentDecompositions() {}

  static final Set<String> OPS = Set.of("RNN", "GRU", "LSTM");

  /** The info of each output the node declares (a non-empty name), in ONNX order. */
  static List<ValueInfo> outputs(Node n, Values v) {
    RecurrentSpec s = RecurrentSpec.of(n, v);
    List<Shape> shapes = s.outputShapes();
    List<ValueInfo> out = new ArrayList<>();
    for (int i = 0; i < n.outputs().size(); i++) {
      if (!n.output(i).isEmpty()) {
        out.add(new ValueInfo(n.output(i), s.dtype(), shapes.get(i)));
      }
    }
    if (out.isEmpty()) {
      throw new ModelException(n.opType() + " declares no output");
    }
    return out;
  }

  /** Appends the unrolled form of {@code n} when it is a recurrent node; false (nothing appended) otherwise. */
  static boolean append(Node n, WorkGraph g) {
    if (!OPS.contains(n.opType())) {
      return false;
    }
    RecurrentSpec s = RecurrentSpec.of(n, g);
    new Unroller(n, g, s).run();
    return true;
  }

  /** The state of one direction's unrolling. */
  private static final class Unroller {
    private final Node n;
    private final RecurrentSpec s;
    private final OpEmitter e;
    private final int h;
    private String x;
    private Mask mask;

    Unroller(Node n, WorkGraph g, RecurrentSpec s) {
      this.n = n;
      this.s = s;
      this.e = new OpEmitter(n, g, s.dtype());
      this.h = s.hidden();
    }

    void run() {
      x = s.layout() == 0 ? n.input(0) : e.transpose(n.input(0), null, 1, 0, 2);
      mask = Mask.of(n, s, e);
      List<List<String>> ys = new ArrayList<>();
      List<String> hs = new ArrayList<>();
      List<String> cs = new ArrayList<>();
      for (int d = 0; d < s.directions(); d++) {
        Direction dir = direction(d);
        ys.add(dir.y);
        hs.add(dir.h);
        cs.add(dir.c);
      }
      if (n.outputs().size() > 0 && !n.output(0).isEmpty()) {
        writeY(ys, n.output(0));
      }
      if (n.outputs().size() > 1 && !n.output(1).isEmpty()) {
        writeState(hs, n.output(1));
      }
      if (n.outputs().size() > 2 && !n.output(2).isEmpty()) {
        writeState(cs, n.output(2));
      }
    }

    /** Y: per direction the steps stacked on a new axis 0, the directions on axis 1, then the layout. */
    private void writeY(List<List<String>> ys, String out) {
      boolean batchFirst = s.layout() == 1;
      List<String> perDir = new ArrayList<>();
      for (List<String> steps : ys) {
        List<String> parts = new ArrayList<>();
        for (String y : steps) {
          parts.add(e.reshape(y, 1, 1, s.batch(), h));
        }
        boolean last = s.directions() == 1 && !batchFirst;
        perDir.add(e.concat(last ? out : null, 0, parts));
      }
      String y = s.directions() == 1 ? perDir.get(0) : e.concat(batchFirst ? null : out, 1, perDir);
      if (batchFirst) {
        e.transpose(y, out, 2, 0, 1, 3);
      }
    }

    /** Y_h or Y_c: the last states stacked on axis 0, then the layout. */
    private void writeState(List<String> states, String out) {
      boolean batchFirst = s.layout() == 1;
      List<String> parts = new ArrayList<>();
      for (String st : states) {
        parts.add(s.directions() == 1 && !batchFirst ? e.reshapeInto(st, out, 1, s.batch(), h)
            : e.reshape(st, 1, s.batch(), h));
      }
      if (s.directions() == 1 && !batchFirst) {
        return;
      }
      String stacked = s.directions() == 1 ? parts.get(0) : e.concat(batchFirst ? null : out, 0, parts);
      if (batchFirst) {
        e.transpose(stacked, out, 1, 0, 2);
      }
    }

    /** One direction's outputs: Y's steps in time order, the last H and (LSTM) the last C. */
    private record Direction(List<String> y, String h, String c) {}

    private Direction direction(int d) {
      boolean reverse = d == 1 || s.reverse();
      List<RecurrentSpec.Activation> act = s.activations().get(d);
      String wt = e.transpose(e.gather(n.input(1), 0, d), null, 1, 0); // [input, G*h]
      String rt = e.transpose(e.gather(n.input(2), 0, d), null, 1, 0); // [h, G*h]
      String xw = e.op("MatMul", x, wt); // [seq, batch, G*h]
      String rbh = null;
      if (n.hasInput(3)) {
        String b = e.gather(n.input(3), 0, d);
        int gh = s.gates() * h;
        String wb = e.slice(b, 0, 0, gh);
        String rb = e.slice(b, 0, gh, 2 * gh);
        String both = e.op("Add", wb, rb);
        String xBias = both;
        if (s.linearBeforeReset()) {
          // Rb_h is added to H R_h^T before the reset gate scales it, not to the input projection.
          xBias = e.concat(null, 0, List.of(e.slice(both, 0, 0, 2 * h), e.slice(wb, 0, 2 * h, 3 * h)));
          rbh = e.slice(rb, 0, 2 * h, 3 * h);
        }
        xw = e.op("Add", xw, xBias);
      }
      String hState = initial(5, d);
      String cState = s.op().equals("LSTM") ? initial(6, d) : null;
      String[] peep = s.op().equals("LSTM") && n.hasInput(7) ? peepholes(d) : null;
      String zeros = mask == null ? null : e.zeros(s.batch(), h);
      String rtZr = s.op().equals("GRU") ? e.slice(rt, 1, 0, 2 * h) : null;
      String rtH = s.op().equals("GRU") ? e.slice(rt, 1, 2 * h, 3 * h) : null;
      String[] y = new String[s.seq()];
      for (int k = 0; k < s.seq(); k++) {
        int t = reverse ? s.seq() - 1 - k : k;
        String xt = e.gather(xw, 0, t); // [batch, G*h]
        String hNew;
        String cNew = null;
        switch (s.op()) {
          case "RNN" -> hNew = activate(act.get(0), e.op("Add", xt, e.op("MatMul", hState, rt)));
          case "GRU" -> hNew = gruStep(act, xt, hState, rtZr, rtH, rbh);
          default -> {
            String[] hc = lstmStep(act, xt, hState, cState, rt, peep);
            hNew = hc[0];
            cNew = hc[1];
          }
        }
        if (mask == null) {
          y[t] = hNew;
          hState = hNew;
          cState = cNew;
        } else {
          String live = mask.at(t);
          y[t] = e.op("Where", live, hNew, zeros);
          hState = e.op("Where", live, hNew, hState);
          cState = cNew == null ? null : e.op("Where", live, cNew, cState);
        }
      }
      return new Direction(Arrays.asList(y), hState, cState);
    }

    private String gruStep(List<RecurrentSpec.Activation> act, String xt, String hPrev, String rtZr, String rth,
        String rbh) {
      String s2 = e.op("Add", e.slice(xt, 1, 0, 2 * h), e.op("MatMul", hPrev, rtZr));
      String z = activate(act.get(0), e.slice(s2, 1, 0, h));
      String r = activate(act.get(0), e.slice(s2, 1, h, 2 * h));
      String xh = e.slice(xt, 1, 2 * h, 3 * h);
      String pre;
      if (s.linearBeforeReset()) {
        String hr = e.op("MatMul", hPrev, rth);
        if (rbh != null) {
          hr = e.op("Add", hr, rbh);
        }
        pre = e.op("Add", xh, e.op("Mul", r, hr));
      } else {
        pre = e.op("Add", xh, e.op("MatMul", e.op("Mul", r, hPrev), rth));
      }
      String cand = activate(act.get(1), pre);
      return e.op("Add", cand, e.op("Mul", z, e.op("Sub", hPrev, cand)));
    }

    private String[] lstmStep(List<RecurrentSpec.Activation> act, String xt, String hPrev, String cPrev, String rt,
        String[] peep) {
      String gates = e.op("Add", xt, e.op("MatMul", hPrev, rt));
      String ip = e.slice(gates, 1, 0, h);
      String op = e.slice(gates, 1, h, 2 * h);
      String fp = e.slice(gates, 1, 2 * h, 3 * h);
      String cp = e.slice(gates, 1, 3 * h, 4 * h);
      if (peep != null) {
        ip = e.op("Add", ip, e.op("Mul", peep[0], cPrev));
        fp = e.op("Add", fp, e.op("Mul", peep[2], cPrev));
      }
      String i = activate(act.get(0), ip);
      String f = activate(act.get(0), fp);
      String c = e.op("Add", e.op("Mul", f, cPrev), e.op("Mul", i, activate(act.get(1), cp)));
      if (peep != null) {
        op = e.op("Add", op, e.op("Mul", peep[1], c));
      }
      String o = activate(act.get(0), op);
      return new String[] {e.op("Mul", o, activate(act.get(2), c)), c};
    }

    /** initial_h (input 5) or initial_c (input 6) of direction {@code d} as [batch, h], zeros when absent. */
    private String initial(int input, int d) {
      if (!n.hasInput(input)) {
        return e.zeros(s.batch(), h);
      }
      return e.gather(n.input(input), s.layout() == 0 ? 0 : 1, d);
    }

    private String[] peepholes(int d) {
      String p = e.gather(n.input(7), 0, d);
      return new String[] {e.slice(p, 0, 0, h), e.slice(p, 0, h, 2 * h), e.slice(p, 0, 2 * h, 3 * h)};
    }

    /** {@code a(x)}, the pre-activation clipped to [-clip, clip] first when the node sets clip. */
    private String activate(RecurrentSpec.Activation a, String pre) {
      String v = Float.isNaN(s.clip()) ? pre : e.op("Clip", pre, e.scalar(-s.clip()), e.scalar(s.clip()));
      return switch (a.name()) {
        case "sigmoid" -> e.op("Sigmoid", v);
        case "tanh" -> e.op("Tanh", v);
        case "relu" -> e.op("Relu", v);
        case "softsign" -> e.op("Softsign", v);
        case "softplus" -> e.op("Softplus", v);
        case "leakyrelu" -> e.emit("LeakyRelu", null, Map.of("alpha", new Attribute.Float(a.alpha())), v);
        case "thresholdedrelu" -> e.emit("ThresholdedRelu", null, Map.of("alpha", new Attribute.Float(a.alpha())), v);
        case "elu" -> e.emit("Elu", null, Map.of("alpha", new Attribute.Float(a.alpha())), v);
        case "hardsigmoid" -> e.emit("HardSigmoid", null,
            Map.of("alpha", new Attribute.Float(a.alpha()), "beta", new Attribute.Float(a.beta())), v);
        case "affine" -> e.op("Add", e.op("Mul", v, e.scalar(a.alpha())), e.scalar(a.beta()));
        case "scaledtanh" -> e.op("Mul", e.op("Tanh", e.op("Mul", v, e.scalar(a.beta()))), e.scalar(a.alpha()));
        default -> throw new IllegalStateException("activation " + a.name() + " passed the spec check");
      };
    }
  }

  /**
   * Which batch rows are still within their {@code sequence_lens} at each step: {@code t < len} as
   * a [batch, 1] bool. Absent when there is no sequence_lens or it is a constant giving every row
   * the full length.
   */
  private record Mask(String lengths, DType dtype, OpEmitter e, Map<Integer, String> steps) {
    static Mask of(Node n, RecurrentSpec s, OpEmitter e) {
      if (!n.hasInput(4)) {
        return null;
      }
      String lens = n.input(4);
      Tensor t = e.graph().constant(lens);
      if (t != null) {
        long[] v = t.toLongs();
        boolean full = true;
        for (int b = 0; b < v.length; b++) {
          if (v[b] < 0 || v[b] > s.seq()) {
            throw new ModelException("input sequence_lens '" + lens + "' holds " + v[b] + " for batch row " + b
                + "; lengths must lie in [0, " + s.seq() + "]");
          }
          full &= v[b] == s.seq();
        }
        if (full) {
          return null;
        }
      }
      DType dtype = e.graph().info(lens).dtype();
      return new Mask(e.reshape(lens, s.batch(), 1), dtype, e, new HashMap<>());
    }

    /** {@code t < len} for step {@code t}, shared by both directions. */
    String at(int t) {
      return steps.computeIfAbsent(t, k -> e.op("Less", e.constant("step", Tensor.ofLongs(dtype, Shape.scalar(),
          new long[] {k})), lengths));
    }
  }
}
