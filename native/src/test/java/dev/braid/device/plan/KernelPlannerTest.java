package dev.braid.device.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooModelInfo;
import dev.braid.model.zoo.ZooOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plans of the zoo models at image size 64: structure, FLOPs against the zoo's count, fusion keys. */
class KernelPlannerTest {
  private static final ZooOptions OPTIONS = ZooOptions.defaults().withImageSize(64);
  @TempDir static Path zoo;
  private static ModelRepository repo;

  @BeforeAll
  static void generate() {
    ModelZoo.generate(zoo, OPTIONS);
    repo = ModelRepository.open(zoo);
  }

  private static KernelPlan plan(String model, int batch) {
    return KernelPlanner.plan(repo.load(model).latest().bind(batch));
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "resnet18", "mobilenetv2", "bert"})
  void dependenciesPointBackwardsAndEveryOpButTheFirstHasAnInputProducedOrGiven(String model) {
    KernelPlan p = plan(model, 1);
    assertTrue(p.size() > 0);
    assertEquals(model, p.model());
    for (KernelOp op : p.ops()) {
      for (int d : op.dependsOn()) {
        assertTrue(d < op.index(), op + " depends forward on " + d);
      }
      assertEquals(op.geometry(), KernelGeometry.of(op.kernel()));
      assertEquals(op.fusionKey(), FusionKeys.of(op.kernel()));
    }
    // the last op (an output) depends on something: the plan is one connected computation
    assertTrue(!p.op(p.size() - 1).dependsOn().isEmpty() || p.size() == 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "resnet18", "mobilenetv2", "bert"})
  void gemmAndConvFlopsMatchTheZooCountAndScaleWithBatch(String model) {
    ZooModelInfo info = ModelZoo.describe(OPTIONS.withModels(model)).get(0);
    for (int batch : new int[] {1, 4}) {
      KernelPlan p = plan(model, batch);
      long multiplyAdds = 0;
      long biasAndOthers = 0;
      for (KernelOp op : p.ops()) {
        if (op.kernel() instanceof Gemm g) {
          long mac = 2L * g.batch() * g.m() * g.n() * g.k();
          multiplyAdds += mac;
          biasAndOthers += g.flops() - mac;
        } else if (op.kernel() instanceof Conv2d c) {
          long mac = 2L * c.n() * c.k() * c.outH() * c.outW() * c.channelsPerGroup() * c.kernelH() * c.kernelW();
          multiplyAdds += mac;
          biasAndOthers += c.flops() - mac;
        } else {
          biasAndOthers += op.flops();
        }
      }
      assertEquals(batch * info.flopsAtBatch1(), multiplyAdds, model + " at batch " + batch);
      assertEquals(multiplyAdds + biasAndOthers, p.totalFlops());
      // biases, activations and normalisations are a small fraction of a DNN's work
      assertTrue(biasAndOthers < 0.1 * multiplyAdds, model + ": " + biasAndOthers + " of " + multiplyAdds);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "resnet18", "mobilenetv2", "bert"})
  void everyOpButLayoutHasAFusionKey(String model) {
    for (KernelOp op : plan(model, 1).ops()) {
      boolean layout = KernelFamily.of(op.kernel()) == KernelFamily.LAYOUT;
      assertEquals(!layout, op.fusionKey().isPresent(), op.node() + " " + op.kernel());
    }
  }

  @org.junit.jupiter.api.Test
  void mobileNetPointwiseConvolutionsAreGemmsAndOnlyItsOtherConvolutionsStayConvolutions() {
    KernelPlan p = plan("mobilenetv2", 1);
    long gemms = p.ops().stream().filter(o -> o.kernel() instanceof Gemm).count();
    long dense = p.ops().stream().filter(o -> o.kernel() instanceof Conv2d c && !c.isDepthwise()).count();
    long depthwise = p.ops().stream().filter(o -> o.kernel() instanceof Conv2d c && c.isDepthwise()).count();
    // The 17 projections are 1x1 convs whose BatchNormalization folds into a bias and that no
    // activation follows: GEMMs, beside the classifier. The 16 expansions and the head are 1x1 too
    // but carry the fused ReLU6 (GEMM has no activation epilogue), so they stay convolutions with
    // the 3x3 stem.
    assertEquals(17 + 1, gemms);
    assertEquals(1 + 16 + 1, dense);
    assertEquals(17, depthwise);
  }

  @org.junit.jupiter.api.Test
  void resnet18ConvolutionsShareOneKeyAcrossShapes() {
    KernelPlan p = plan("resnet18", 1);
    Map<FusionKey, Integer> count = new HashMap<>();
    for (KernelOp op : p.ops()) {
      op.fusionKey().ifPresent(k -> count.merge(k, 1, Integer::sum));
    }
    FusionKey conv = FusionKeys.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1)).orElseThrow();
    assertEquals(20, count.get(conv), count.toString()); // 17 3x3/7x7 convs + 3 1x1 downsamples
    List<KernelOp> convs = p.ops().stream().filter(o -> o.fusionKey().equals(java.util.Optional.of(conv))).toList();
    assertTrue(convs.stream().map(KernelOp::kernel).distinct().count() > 5, "shapes differ");
  }
}
