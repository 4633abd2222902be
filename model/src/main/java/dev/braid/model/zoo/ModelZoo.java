package dev.braid.model.zoo;

import dev.braid.model.onnx.OnnxProto.ModelProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Braid's model zoo: seeded, synthetic-weight ONNX models with real topologies (an MLP,
 * ResNet-18, MobileNetV2 and a small BERT encoder), written in Triton's model-repository layout:
 *
 * <pre>
 * &lt;out&gt;/&lt;name&gt;/config.pbtxt
 * &lt;out&gt;/&lt;name&gt;/1/model.onnx
 * </pre>
 *
 * Every input and output has the symbolic first dim "batch". Weights are drawn from a {@link
 * java.util.SplittableRandom} seeded from {@link ZooOptions#seed()} and the model's name, in a
 * fixed order, so the same options give byte-identical files, and one model's bytes do not
 * depend on which other models are generated with it.
 */
public final class ModelZoo {
  /** Every model the zoo knows, in the order {@link ZooOptions#defaults()} writes them. */
  public static final List<String> MODEL_NAMES = List.of("mlp", "resnet18", "mobilenetv2", "bert");

  private static final Map<String, Supplier<ZooModel>> MODELS = Map.of(
      "mlp", Mlp::new,
      "resnet18", ResNet18::new,
      "mobilenetv2", MobileNetV2::new,
      "bert", Bert::new);

  /** The version directory every model is written under. */
  static final String VERSION = "1";

  private ModelZoo() {}

  /**
   * Writes the chosen models under {@code outDir} (created if missing; existing files of these
   * models are replaced) and returns their model directories, in the order of {@link
   * ZooOptions#models()}.
   */
  public static List<Path> generate(Path outDir, ZooOptions options) {
    List<Path> dirs = new ArrayList<>();
    for (String name : options.models()) {
      BuiltModel built = build(name, options);
      Path dir = outDir.resolve(name);
      try {
        Files.createDirectories(dir.resolve(VERSION));
        Files.writeString(dir.resolve("config.pbtxt"),
            TritonConfig.text(name, built.model().getGraph()), StandardCharsets.UTF_8);
        Files.write(dir.resolve(VERSION).resolve("model.onnx"), built.model().toByteArray());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write zoo model " + name + " to " + dir, e);
      }
      dirs.add(dir);
    }
    return dirs;
  }

  /** Parameter counts and FLOPs of the chosen models, without writing anything. */
  public static List<ZooModelInfo> describe(ZooOptions options) {
    return options.models().stream().map(name -> build(name, options).info()).toList();
  }

  /** {@link #describe(ZooOptions)} with {@link ZooOptions#defaults()}. */
  public static List<ZooModelInfo> describe() {
    return describe(ZooOptions.defaults());
  }

  /** Builds one model in memory. */
  static BuiltModel build(String name, ZooOptions options) {
    Supplier<ZooModel> factory = MODELS.get(name);
    if (factory == null) {
      throw new IllegalArgumentException("model: expected one of " + MODEL_NAMES + ", got " + name);
    }
    ZooModel model = factory.get();
    ZooGraph g = new ZooGraph(name, model.opset(), ZooWeights.forModel(options.seed(), name));
    model.define(g, options);
    ModelProto proto = g.onnx.build();
    return new BuiltModel(proto, new ZooModelInfo(name, model.opset(), g.parameters(), g.flops()));
  }
}
