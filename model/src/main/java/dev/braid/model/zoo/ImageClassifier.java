package dev.braid.model.zoo;

/**
 * A torchvision ImageNet classifier: "input" [batch, 3, S, S] (S from the options) -> the
 * architecture's {@link #features} -> its classifier head (GlobalAveragePool -> Flatten -> Gemm
 * 1000) -> "logits" [batch, 1000], written for opset 17. Subclasses give the layers between the
 * image and the head, and the head's weight prefix.
 */
abstract class ImageClassifier implements ZooModel {
  /** ImageNet's classes. */
  static final int CLASSES = 1000;

  @Override
  public final int opset() {
    return 17;
  }

  @Override
  public final void define(ZooGraph g, ZooOptions options) {
    ConvLayers l = new ConvLayers(g);
    FeatureMap x = features(l, l.image("input", 3, options.imageSize()));
    l.classifier(classifierPrefix(), x, CLASSES, "logits");
  }

  /** The layers from the 3-channel image to the feature map the head pools. */
  abstract FeatureMap features(ConvLayers l, FeatureMap image);

  /** The head's weight prefix in torchvision's state dict, e.g. "fc". */
  abstract String classifierPrefix();
}
