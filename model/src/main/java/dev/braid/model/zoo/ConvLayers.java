package dev.braid.model.zoo;

import dev.braid.model.DType;
import java.util.List;
import java.util.Map;

/**
 * The layers the convolutional zoo models share, each adding ONNX nodes and weights to a {@link
 * ZooGraph} and counting its parameters and FLOPs. Initializer names follow torchvision's state
 * dict ({@code layer1.0.conv1.weight}), so a reader can match them to the reference model.
 */
final class ConvLayers {
  private static final float BN_EPSILON = 1e-5f; // torchvision's BatchNorm2d default
  private final ZooGraph g;
  private String clipMin;
  private String clipMax;

  ConvLayers(ZooGraph g) {
    this.g = g;
  }

  /** Declares the image input "input" [batch, channels, size, size]. */
  FeatureMap image(String name, int channels, int size) {
    g.onnx.input(name, DType.FLOAT32, "batch", channels, size, size);
    return new FeatureMap(name, channels, size, size);
  }

  /**
   * A k x k convolution with "same" padding (k / 2), He-scaled weights [out, in / groups, k, k]
   * and no bias (a BatchNormalization follows every conv in these models).
   */
  FeatureMap conv(String prefix, FeatureMap x, int outChannels, int k, int stride, int groups) {
    int inPerGroup = x.channels() / groups;
    int fanIn = inPerGroup * k * k;
    String w = g.param(prefix + ".weight", g.weights.he(outChannels * fanIn, fanIn),
        outChannels, inPerGroup, k, k);
    int pad = k / 2;
    String y = g.onnx.node("Conv", List.of(x.name(), w), Map.of(
        "kernel_shape", new int[] {k, k},
        "strides", new int[] {stride, stride},
        "pads", new int[] {pad, pad, pad, pad},
        "dilations", new int[] {1, 1},
        "group", groups));
    int h = (x.height() + 2 * pad - k) / stride + 1;
    int wd = (x.width() + 2 * pad - k) / stride + 1;
    g.addMacs((long) outChannels * h * wd * fanIn);
    return new FeatureMap(y, outChannels, h, wd);
  }

  /**
   * Inference-mode BatchNormalization with random but sane statistics: gamma in [0.9, 1.1], beta
   * in [-0.1, 0.1], running mean in [-0.1, 0.1], running variance in [0.5, 1.5].
   */
  FeatureMap batchNorm(String prefix, FeatureMap x) {
    return batchNorm(prefix, x, 0.9, 1.1);
  }

  /** As {@link #batchNorm(String, FeatureMap)} with gamma drawn from [gammaLo, gammaHi). */
  FeatureMap batchNorm(String prefix, FeatureMap x, double gammaLo, double gammaHi) {
    int c = x.channels();
    String gamma = g.param(prefix + ".weight", g.weights.uniform(c, gammaLo, gammaHi), c);
    String beta = g.param(prefix + ".bias", g.weights.uniform(c, -0.1, 0.1), c);
    String mean = g.buffer(prefix + ".running_mean", g.weights.uniform(c, -0.1, 0.1), c);
    String var = g.buffer(prefix + ".running_var", g.weights.uniform(c, 0.5, 1.5), c);
    String y = g.onnx.node("BatchNormalization", List.of(x.name(), gamma, beta, mean, var),
        Map.of("epsilon", BN_EPSILON, "momentum", 0.9f));
    return withName(x, y);
  }

  FeatureMap relu(FeatureMap x) {
    return withName(x, g.onnx.node("Relu", x.name()));
  }

  /** ReLU6 as Clip(x, 0, 6) with min and max as scalar initializer inputs (opset 11 form). */
  FeatureMap relu6(FeatureMap x) {
    if (clipMin == null) {
      clipMin = g.onnx.floatScalar("relu6.min", 0f);
      clipMax = g.onnx.floatScalar("relu6.max", 6f);
    }
    return withName(x, g.onnx.node("Clip", x.name(), clipMin, clipMax));
  }

  /** Element-wise sum of two maps of equal shape (a residual connection). */
  FeatureMap add(FeatureMap a, FeatureMap b) {
    if (a.channels() != b.channels() || a.height() != b.height() || a.width() != b.width()) {
      throw new IllegalStateException("residual add of unequal maps " + a + " and " + b);
    }
    return withName(a, g.onnx.node("Add", a.name(), b.name()));
  }

  /** Max pooling with a k x k window, the given stride and padding on every side. */
  FeatureMap maxPool(FeatureMap x, int k, int stride, int pad) {
    String y = g.onnx.node("MaxPool", List.of(x.name()), Map.of(
        "kernel_shape", new int[] {k, k},
        "strides", new int[] {stride, stride},
        "pads", new int[] {pad, pad, pad, pad}));
    int h = (x.height() + 2 * pad - k) / stride + 1;
    int w = (x.width() + 2 * pad - k) / stride + 1;
    return new FeatureMap(y, x.channels(), h, w);
  }

  /**
   * GlobalAveragePool -> Flatten -> Gemm to {@code classes} logits in the graph output {@code
   * output} [batch, classes]. The Gemm weight is [classes, in] with transB = 1, as PyTorch
   * exports a Linear layer.
   */
  void classifier(String prefix, FeatureMap x, int classes, String output) {
    String pooled = g.onnx.node("GlobalAveragePool", x.name());
    String flat = g.onnx.node("Flatten", List.of(pooled), Map.of("axis", 1));
    int in = x.channels();
    String w = g.param(prefix + ".weight", g.weights.lecun(classes * in, in), classes, in);
    String b = g.param(prefix + ".bias", g.weights.uniform(classes, -0.1, 0.1), classes);
    g.onnx.node("Gemm", List.of(flat, w, b), List.of(output), Map.of("transB", 1));
    g.addMacs((long) classes * in);
    g.onnx.output(output, DType.FLOAT32, "batch", classes);
  }

  private static FeatureMap withName(FeatureMap x, String name) {
    return new FeatureMap(name, x.channels(), x.height(), x.width());
  }
}
