package dev.braid.model.zoo;

/**
 * One architecture of the {@link ModelZoo}. An implementation adds its whole graph to a {@link
 * ZooGraph}, drawing weights in a fixed order, so the graph depends only on the options.
 */
interface ZooModel {
  /** The model's name in the repository, e.g. "resnet18". */
  String name();

  /** The default-domain opset the graph is written for. */
  int opset();

  /** Adds the inputs, weights, nodes and outputs of this model to {@code g}. */
  void define(ZooGraph g, ZooOptions options);
}
