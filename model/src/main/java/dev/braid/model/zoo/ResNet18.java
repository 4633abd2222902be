package dev.braid.model.zoo;

/**
 * ResNet-18 in torchvision's layout: "input" [batch, 3, S, S] -> conv 7x7/2 (no bias) -> BN ->
 * ReLU -> MaxPool 3x3/2 pad 1 -> four stages of two BasicBlocks (64, 128, 256, 512 channels;
 * the first block of stages 2-4 has stride 2 and a 1x1/2 conv + BN downsample on the shortcut)
 * -> GlobalAveragePool -> Flatten -> Gemm 1000 -> "logits" [batch, 1000].
 *
 * <p>BatchNormalization stays as real nodes, so the importer's folding is exercised. 11,689,512
 * parameters, like torchvision's {@code resnet18()}. The last BN of each residual branch draws
 * gamma from [0.4, 0.6] so that the eight residual sums do not double the activations' variance
 * each time (torchvision's {@code zero_init_residual} idea, softened to keep the branch live).
 */
final class ResNet18 extends ImageClassifier {
  private static final int[] STAGE_CHANNELS = {64, 128, 256, 512};
  private static final int BLOCKS_PER_STAGE = 2;

  @Override
  public String name() {
    return "resnet18";
  }

  @Override
  String classifierPrefix() {
    return "fc";
  }

  @Override
  FeatureMap features(ConvLayers l, FeatureMap image) {
    FeatureMap x = l.relu(l.batchNorm("bn1", l.conv("conv1", image, 64, 7, 2, 1)));
    x = l.maxPool(x, 3, 2, 1);
    for (int stage = 0; stage < STAGE_CHANNELS.length; stage++) {
      for (int block = 0; block < BLOCKS_PER_STAGE; block++) {
        int stride = stage > 0 && block == 0 ? 2 : 1;
        String prefix = "layer" + (stage + 1) + "." + block;
        x = basicBlock(l, prefix, x, STAGE_CHANNELS[stage], stride);
      }
    }
    return x;
  }

  private static FeatureMap basicBlock(
      ConvLayers l, String prefix, FeatureMap x, int channels, int stride) {
    FeatureMap y = l.conv(prefix + ".conv1", x, channels, 3, stride, 1);
    y = l.relu(l.batchNorm(prefix + ".bn1", y));
    y = l.batchNorm(prefix + ".bn2", l.conv(prefix + ".conv2", y, channels, 3, 1, 1), 0.4, 0.6);
    FeatureMap shortcut = x;
    if (stride != 1 || x.channels() != channels) {
      shortcut = l.batchNorm(prefix + ".downsample.1",
          l.conv(prefix + ".downsample.0", x, channels, 1, stride, 1));
    }
    return l.relu(l.add(y, shortcut));
  }
}
