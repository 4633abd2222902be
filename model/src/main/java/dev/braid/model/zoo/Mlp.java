package dev.braid.model.zoo;

import dev.braid.model.DType;
import java.util.List;
import java.util.Map;

/**
 * A three-layer perceptron for 28 x 28 images: "input" [batch, 784] -> Gemm 1024 -> Relu -> Gemm
 * 1024 -> Relu -> Gemm 10 -> "logits" [batch, 10]. Weights are [out, in] with transB = 1, as
 * PyTorch exports Linear layers. 1,863,690 parameters.
 */
final class Mlp implements ZooModel {
  private static final int[] WIDTHS = {784, 1024, 1024, 10};

  @Override
  public String name() {
    return "mlp";
  }

  @Override
  public int opset() {
    return 17;
  }

  @Override
  public void define(ZooGraph g, ZooOptions options) {
    g.onnx.input("input", DType.FLOAT32, "batch", WIDTHS[0]);
    String x = "input";
    int layers = WIDTHS.length - 1;
    for (int i = 0; i < layers; i++) {
      int in = WIDTHS[i];
      int out = WIDTHS[i + 1];
      boolean last = i == layers - 1;
      float[] w = last ? g.weights.lecun(out * in, in) : g.weights.he(out * in, in);
      String weight = g.param("fc" + (i + 1) + ".weight", w, out, in);
      String bias = g.param("fc" + (i + 1) + ".bias", g.weights.uniform(out, -0.1, 0.1), out);
      g.addMacs((long) in * out);
      List<String> inputs = List.of(x, weight, bias);
      if (last) {
        g.onnx.node("Gemm", inputs, List.of("logits"), Map.of("transB", 1));
      } else {
        x = g.onnx.node("Relu", g.onnx.node("Gemm", inputs, Map.of("transB", 1)));
      }
    }
    g.onnx.output("logits", DType.FLOAT32, "batch", WIDTHS[layers]);
  }
}
