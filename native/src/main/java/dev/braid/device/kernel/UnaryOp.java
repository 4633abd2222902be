package dev.braid.device.kernel;

/** Elementwise unary operators. CLIP reads its bounds from the {@link Unary} kernel. */
public enum UnaryOp {
  RELU, CLIP, SIGMOID, TANH, ERF,
  /** Gelu with the exact erf form, {@code 0.5 x (1 + erf(x / sqrt 2))}. */
  GELU,
  /** Gelu's tanh approximation, ONNX {@code approximate="tanh"}. */
  GELU_TANH,
  SQRT,
  /** A plain copy. */
  IDENTITY
}
