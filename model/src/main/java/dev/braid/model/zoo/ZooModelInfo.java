package dev.braid.model.zoo;

/**
 * What {@link ModelZoo#describe} reports for one model.
 *
 * @param name the model's name in the repository
 * @param opset the default-domain ONNX opset of its graph
 * @param parameters trainable parameters (weights, biases, normalization scales and shifts; not
 *     BatchNorm running statistics or shape constants), as PyTorch counts them
 * @param flopsAtBatch1 the FLOPs of one sample: Conv, Gemm and MatMul multiply-adds, two each
 */
public record ZooModelInfo(String name, int opset, long parameters, long flopsAtBatch1) {}
