package dev.braid.model.zoo;

import dev.braid.model.onnx.OnnxModelBuilder;

/**
 * One zoo model under construction: the ONNX builder, the weight stream, and the running
 * parameter and FLOP counts. Trainable tensors go through {@link #param}, running statistics
 * and constants through {@link #buffer} or the builder directly, so {@link #parameters()}
 * counts what PyTorch's {@code numel()} over {@code parameters()} counts.
 *
 * <p>FLOPs count the multiply-adds of Conv, Gemm and MatMul at batch 1, two FLOPs each; the
 * element-wise, normalization and pooling ops are left out, as torchvision's tables do.
 */
final class ZooGraph {
  final OnnxModelBuilder onnx;
  final ZooWeights weights;
  private long parameters;
  private long flops;

  ZooGraph(String name, int opset, ZooWeights weights) {
    this.onnx = new OnnxModelBuilder(name).opset(opset);
    this.weights = weights;
  }

  /** Adds a trainable FLOAT initializer and counts its elements. */
  String param(String name, float[] data, long... dims) {
    parameters += data.length;
    return onnx.initializer(name, data, dims);
  }

  /** Adds a FLOAT initializer that is not a trainable parameter (BN running stats). */
  String buffer(String name, float[] data, long... dims) {
    return onnx.initializer(name, data, dims);
  }

  /** Counts {@code macs} multiply-adds at batch 1. */
  void addMacs(long macs) {
    flops += 2 * macs;
  }

  long parameters() {
    return parameters;
  }

  long flops() {
    return flops;
  }
}
