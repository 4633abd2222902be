package dev.braid.device.exec;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small graphs with random weights, built as ModelGraphs directly, and random inputs for them. */
final class SmallModels {
  private SmallModels() {}

  /** Gemm(transB) -> Relu -> Gemm: input "x" [batch, in], output "y" [batch, out]; 3 steps. */
  static ModelGraph mlp(String name, int batch, int in, int hidden, int out, long seed) {
    Builder g = new Builder(name, seed);
    g.input("x", batch, in);
    g.constant("w1", hidden, in);
    g.constant("b1", hidden);
    g.constant("w2", hidden, out);
    g.constant("b2", 1, out);
    String h = g.node("Gemm", List.of("x", "w1", "b1"), "h", Shape.of(batch, hidden), Map.of("transB", new Attribute.Int(1)));
    String r = g.node("Relu", List.of(h), "r", Shape.of(batch, hidden), Map.of());
    g.node("Gemm", List.of(r, "w2", "b2"), "y", Shape.of(batch, out), Map.of("alpha", new Attribute.Float(0.5f)));
    return g.build("y");
  }

  /**
   * Conv(pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm: input "x" [1, 3, 8, 8], output
   * "y" [1, classes]; 3 steps (Relu fused into the Conv, Flatten an alias).
   */
  static ModelGraph convNet(String name, int classes, long seed) {
    Builder g = new Builder(name, seed);
    g.input("x", 1, 3, 8, 8);
    g.constant("w", 6, 3, 3, 3);
    g.constant("b", 6);
    g.constant("fc", classes, 6);
    g.constant("fb", classes);
    String c = g.node("Conv", List.of("x", "w", "b"), "c", Shape.of(1, 6, 8, 8),
        Map.of("pads", new Attribute.Ints(new long[] {1, 1, 1, 1})));
    String r = g.node("Relu", List.of(c), "r", Shape.of(1, 6, 8, 8), Map.of());
    String p = g.node("GlobalAveragePool", List.of(r), "p", Shape.of(1, 6, 1, 1), Map.of());
    String f = g.node("Flatten", List.of(p), "f", Shape.of(1, 6), Map.of());
    g.node("Gemm", List.of(f, "fc", "fb"), "y", Shape.of(1, classes), Map.of("transB", new Attribute.Int(1)));
    return g.build("y");
  }

  /** Random float inputs for every input of {@code graph}. */
  static Map<String, Tensor> inputs(ModelGraph graph, long seed) {
    Random rnd = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (ValueInfo v : graph.inputs()) {
      float[] d = new float[v.shape().size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = rnd.nextFloat() * 2 - 1;
      }
      in.put(v.name(), Tensor.ofFloats(v.shape(), d));
    }
    return in;
  }

  private static final class Builder {
    final String name;
    final Random rnd;
    final List<ValueInfo> inputs = new ArrayList<>();
    final Map<String, Tensor> constants = new LinkedHashMap<>();
    final List<Node> nodes = new ArrayList<>();
    final Map<String, ValueInfo> values = new LinkedHashMap<>();

    Builder(String name, long seed) {
      this.name = name;
      this.rnd = new Random(seed);
    }

    void input(String value, int... dims) {
      ValueInfo v = new ValueInfo(value, DType.FLOAT32, Shape.of(dims));
      inputs.add(v);
      values.put(value, v);
    }

    void constant(String value, int... dims) {
      float[] d = new float[Shape.of(dims).size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = rnd.nextFloat() - 0.5f;
      }
      constants.put(value, Tensor.ofFloats(Shape.of(dims), d));
      values.put(value, new ValueInfo(value, DType.FLOAT32, Shape.of(dims)));
    }

    String node(String op, List<String> in, String out, Shape shape, Map<String, Attribute> attrs) {
      nodes.add(new Node(out + "_node", op, in, List.of(out), Attributes.of(attrs)));
      values.put(out, new ValueInfo(out, DType.FLOAT32, shape));
      return out;
    }

    ModelGraph build(String output) {
      return new ModelGraph(name, 1, inputs, List.of(values.get(output)), constants, nodes, values);
    }
  }
}
