package dev.braid.model.zoo;

/**
 * MobileNetV2 (width 1.0) in torchvision's layout: "input" [batch, 3, S, S] -> conv 3x3/2 to 32
 * channels -> 17 inverted residual blocks -> conv 1x1 to 1280 -> GlobalAveragePool -> Flatten ->
 * Gemm 1000 -> "logits" [batch, 1000]. Every conv has no bias and a BatchNormalization after it;
 * ReLU6 is Clip(0, 6) with min and max as constant inputs. A block expands by t with a 1x1 conv
 * (skipped when t = 1), filters with a depthwise 3x3 conv (group = channels) of stride s, and
 * projects linearly with a 1x1 conv; it adds its input back when s = 1 and in = out channels.
 * 3,504,872 parameters, like torchvision's {@code mobilenet_v2()}.
 */
final class MobileNetV2 extends ImageClassifier {
  /** Inverted residual settings t (expansion), c (channels), n (repeats), s (first stride). */
  private static final int[][] SETTINGS = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
  };
  private static final int STEM_CHANNELS = 32;
  private static final int LAST_CHANNELS = 1280;

  @Override
  public String name() {
    return "mobilenetv2";
  }

  @Override
  String classifierPrefix() {
    return "classifier.1";
  }

  @Override
  FeatureMap features(ConvLayers l, FeatureMap image) {
    FeatureMap x = convBnRelu6(l, "features.0", image, STEM_CHANNELS, 3, 2, 1);
    int feature = 1;
    for (int[] s : SETTINGS) {
      for (int i = 0; i < s[2]; i++) {
        x = invertedResidual(l, "features." + feature++, x, s[0], s[1], i == 0 ? s[3] : 1);
      }
    }
    return convBnRelu6(l, "features." + feature, x, LAST_CHANNELS, 1, 1, 1);
  }

  private static FeatureMap invertedResidual(
      ConvLayers l, String prefix, FeatureMap x, int expansion, int out, int stride) {
    int hidden = x.channels() * expansion;
    FeatureMap y = x;
    int layer = 0;
    if (expansion != 1) {
      y = convBnRelu6(l, prefix + ".conv." + layer++, y, hidden, 1, 1, 1);
    }
    y = convBnRelu6(l, prefix + ".conv." + layer++, y, hidden, 3, stride, hidden);
    y = l.conv(prefix + ".conv." + layer++, y, out, 1, 1, 1);
    y = l.batchNorm(prefix + ".conv." + layer, y);
    return stride == 1 && x.channels() == out ? l.add(x, y) : y;
  }

  private static FeatureMap convBnRelu6(
      ConvLayers l, String prefix, FeatureMap x, int out, int k, int stride, int groups) {
    FeatureMap y = l.conv(prefix + ".0", x, out, k, stride, groups);
    return l.relu6(l.batchNorm(prefix + ".1", y));
  }
}
