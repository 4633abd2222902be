package dev.braid.device.cpu;

import dev.braid.device.kernel.DirectConvolution;

/**
 * The arrays and element offsets of a {@link DirectConvolution} launch's X, W, optional B and Y
 * (arguments 0, 1, then 2 and 3 with a bias, 2 without); {@code b} is null without a bias.
 */
record ConvOperands(float[] x, int xo, float[] w, int wo, float[] b, int bo, float[] y, int yo) {
  static ConvOperands of(DirectConvolution k, Args args) {
    int yArg = k.hasBias() ? 3 : 2;
    return new ConvOperands(args.array(0), args.offset(0), args.array(1), args.offset(1),
        k.hasBias() ? args.array(2) : null, k.hasBias() ? args.offset(2) : 0, args.array(yArg), args.offset(yArg));
  }
}
