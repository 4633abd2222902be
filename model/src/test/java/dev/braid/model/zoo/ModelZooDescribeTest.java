package dev.braid.model.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Parameter counts and FLOPs against the reference architectures' published numbers. */
class ModelZooDescribeTest {
  private static Map<String, ZooModelInfo> describe(ZooOptions options) {
    return ModelZoo.describe(options).stream()
        .collect(Collectors.toMap(ZooModelInfo::name, Function.identity()));
  }

  @Test
  void parameterCountsMatchTorchvisionAndTheLayerArithmetic() {
    Map<String, ZooModelInfo> info = describe(ZooOptions.defaults());
    assertEquals(11_689_512, info.get("resnet18").parameters(), "torchvision resnet18()");
    assertEquals(3_504_872, info.get("mobilenetv2").parameters(), "torchvision mobilenet_v2()");
    // 784*1024 + 1024 + 1024*1024 + 1024 + 1024*10 + 10
    assertEquals(1_863_690, info.get("mlp").parameters());
    // per layer: 4 * (256*256 + 256) + (256*1024 + 1024) + (1024*256 + 256) + 2 * 2 * 256
    assertEquals(2 * 789_760, info.get("bert").parameters());
  }

  @Test
  void flopsAtBatchOneMatchPublishedMultiplyAdds() {
    Map<String, ZooModelInfo> info = describe(ZooOptions.defaults());
    // torchvision lists 1.81 G multiply-adds for resnet18 and 0.30 G for mobilenet_v2 at 224
    assertEquals(2 * 1.814e9, info.get("resnet18").flopsAtBatch1(), 0.01 * 2 * 1.814e9);
    assertEquals(2 * 0.3006e9, info.get("mobilenetv2").flopsAtBatch1(), 0.01 * 2 * 0.3006e9);
    assertEquals(2L * (784 * 1024 + 1024 * 1024 + 1024 * 10), info.get("mlp").flopsAtBatch1());
    long linear = 64L * (4 * 256 * 256 + 2 * 256 * 1024);
    long attention = 2L * 4 * 64 * 64 * 64;
    assertEquals(2 * 2 * (linear + attention), info.get("bert").flopsAtBatch1());
  }

  @Test
  void convFlopsScaleWithImageAreaAndParametersDoNot() {
    ZooOptions small = ZooOptions.defaults().withImageSize(32).withModels("resnet18");
    ZooModelInfo at32 = ModelZoo.describe(small).get(0);
    ZooModelInfo at224 = ModelZoo.describe(small.withImageSize(224)).get(0);
    assertEquals(at224.parameters(), at32.parameters());
    // every conv map is 7x smaller per side at 32 (224 / 32); the 512 -> 1000 Gemm is not
    long fc = 2L * 512 * 1000;
    double expected = (at224.flopsAtBatch1() - fc) / 49.0;
    assertEquals(expected, at32.flopsAtBatch1() - fc, 0.02 * expected);
    assertEquals(List.of(17, 17, 17, 20),
        ModelZoo.describe(small.withModels("mlp", "resnet18", "mobilenetv2", "bert")).stream()
            .map(ZooModelInfo::opset).toList());
  }
}
