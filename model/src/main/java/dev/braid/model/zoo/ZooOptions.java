package dev.braid.model.zoo;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@link ModelZoo#generate} writes.
 *
 * @param seed the seed every weight is drawn from; the same seed gives byte-identical files
 * @param imageSize the height and width S of the image models' [batch, 3, S, S] input: a
 *     multiple of 32 (both CNNs downsample by 32) and at least 32
 * @param models the names of the models to write, in order, each one of {@link
 *     ModelZoo#MODEL_NAMES} and none twice
 */
public record ZooOptions(long seed, int imageSize, List<String> models) {
  /** The default seed. */
  public static final long DEFAULT_SEED = 42;
  /** The default image size, ImageNet's 224 x 224. */
  public static final int DEFAULT_IMAGE_SIZE = 224;

  public ZooOptions {
    if (imageSize < 32 || imageSize % 32 != 0) {
      throw new IllegalArgumentException(
          "imageSize: expected a multiple of 32 that is >= 32, got " + imageSize);
    }
    if (models == null || models.isEmpty()) {
      throw new IllegalArgumentException(
          "models: expected a non-empty subset of " + ModelZoo.MODEL_NAMES + ", got " + models);
    }
    models = List.copyOf(models);
    Set<String> seen = new HashSet<>();
    for (String m : models) {
      if (!ModelZoo.MODEL_NAMES.contains(m)) {
        throw new IllegalArgumentException(
            "models: expected names from " + ModelZoo.MODEL_NAMES + ", got \"" + m + "\"");
      }
      if (!seen.add(m)) {
        throw new IllegalArgumentException(
            "models: expected each name at most once, got \"" + m + "\" twice in " + models);
      }
    }
  }

  /** Seed 42, 224 x 224 images, every model. */
  public static ZooOptions defaults() {
    return new ZooOptions(DEFAULT_SEED, DEFAULT_IMAGE_SIZE, ModelZoo.MODEL_NAMES);
  }

  public ZooOptions withSeed(long newSeed) {
    return new ZooOptions(newSeed, imageSize, models);
  }

  public ZooOptions withImageSize(int newImageSize) {
    return new ZooOptions(seed, newImageSize, models);
  }

  public ZooOptions withModels(String... names) {
    return new ZooOptions(seed, imageSize, List.of(names));
  }
}
