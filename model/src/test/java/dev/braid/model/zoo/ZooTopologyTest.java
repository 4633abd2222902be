package dev.braid.model.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.NodeProto;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The graphs have the reference topologies and the import paths the brief asks to exercise. */
class ZooTopologyTest {
  private static final ZooOptions SMALL = ZooOptions.defaults().withImageSize(32);

  private static GraphProto graph(String name) {
    return ModelZoo.build(name, SMALL).model().getGraph();
  }

  private static Map<String, Long> opCounts(GraphProto g) {
    return g.getNodeList().stream()
        .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));
  }

  private static long attr(NodeProto n, String name) {
    return n.getAttributeList().stream().filter(a -> a.getName().equals(name))
        .mapToLong(AttributeProto::getI).findFirst().orElseThrow();
  }

  @Test
  void resnet18HasTwentyConvsEachWithARealBatchNorm() {
    Map<String, Long> ops = opCounts(graph("resnet18"));
    assertEquals(20, ops.get("Conv"), "1 stem + 16 block convs + 3 downsamples");
    assertEquals(20, ops.get("BatchNormalization"));
    assertEquals(8, ops.get("Add"), "one residual sum per BasicBlock");
    assertEquals(17, ops.get("Relu"));
    assertEquals(1, ops.get("MaxPool"));
    assertEquals(List.of("GlobalAveragePool", "Flatten", "Gemm"),
        lastOps(graph("resnet18"), 3));
  }

  @Test
  void mobilenetV2HasDepthwiseConvsClipsWithConstantBoundsAndTenResiduals() {
    GraphProto g = graph("mobilenetv2");
    Map<String, Long> ops = opCounts(g);
    assertEquals(52, ops.get("Conv"), "stem + 16 * 3 + 2 (t=1 block) + last 1x1");
    assertEquals(52, ops.get("BatchNormalization"));
    assertEquals(35, ops.get("Clip"), "after every conv but the 17 linear projections");
    assertEquals(10, ops.get("Add"), "stride 1 and in == out channels");
    long depthwise = g.getNodeList().stream()
        .filter(n -> n.getOpType().equals("Conv") && attr(n, "group") > 1).count();
    assertEquals(17, depthwise);
    Map<String, Float> scalars = g.getInitializerList().stream()
        .filter(t -> t.getDimsCount() == 0)
        .collect(Collectors.toMap(t -> t.getName(),
            t -> t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getFloat()));
    for (NodeProto clip : g.getNodeList()) {
      if (clip.getOpType().equals("Clip")) {
        assertEquals(3, clip.getInputCount());
        assertEquals(0f, scalars.get(clip.getInput(1)));
        assertEquals(6f, scalars.get(clip.getInput(2)));
      }
    }
  }

  @Test
  void bertExercisesBothImportPaths() {
    GraphProto g = graph("bert");
    Map<String, Long> ops = opCounts(g);
    Map<String, Long> expected = Map.ofEntries(
        Map.entry("Shape", 1L), Map.entry("Gather", 2L), Map.entry("Unsqueeze", 2L),
        Map.entry("Concat", 2L), Map.entry("Gelu", 1L), Map.entry("Erf", 1L),
        Map.entry("LayerNormalization", 3L), Map.entry("ReduceMean", 2L), Map.entry("Pow", 1L),
        Map.entry("Sqrt", 1L), Map.entry("Softmax", 2L), Map.entry("Reshape", 8L),
        Map.entry("Transpose", 8L), Map.entry("Dropout", 2L), Map.entry("Identity", 1L));
    expected.forEach((op, n) -> assertEquals(n, ops.get(op), op));
    assertEquals(12 + 4, ops.get("MatMul"), "6 projections + 2 attention products per layer");
    Map<String, List<Long>> shapes = g.getInitializerList().stream()
        .filter(t -> t.getName().startsWith("encoder.layer.1.shape."))
        .collect(Collectors.toMap(t -> t.getName(), t -> {
          var buf = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
          return java.util.stream.LongStream.range(0, t.getDims(0)).map(i -> buf.getLong())
              .boxed().toList();
        }));
    assertEquals(List.of(0L, 0L, 4L, 64L), shapes.get("encoder.layer.1.shape.heads"));
    assertEquals(List.of(0L, 0L, -1L, 64L), shapes.get("encoder.layer.1.shape.key_heads"));
    assertEquals(List.of(0L, 0L, 256L), shapes.get("encoder.layer.1.shape.merge"));
    NodeProto last = g.getNode(g.getNodeCount() - 1);
    assertEquals("Add", last.getOpType(), "the decomposed LayerNorm ends layer 2");
    assertEquals(List.of("hidden"), last.getOutputList());
    assertEquals(20, ModelZoo.build("bert", SMALL).model().getOpsetImport(0).getVersion());
  }

  @Test
  void everyInitializerNameIsUniqueAndReadable() {
    for (String name : ModelZoo.MODEL_NAMES) {
      GraphProto g = graph(name);
      Map<String, Long> names = g.getInitializerList().stream()
          .collect(Collectors.groupingBy(t -> t.getName(), Collectors.counting()));
      assertTrue(names.values().stream().allMatch(c -> c == 1), name);
    }
    assertTrue(graph("resnet18").getInitializerList().stream()
        .map(t -> t.getName()).anyMatch("layer4.0.downsample.0.weight"::equals));
  }

  private static List<String> lastOps(GraphProto g, int n) {
    return g.getNodeList().subList(g.getNodeCount() - n, g.getNodeCount()).stream()
        .map(NodeProto::getOpType).toList();
  }
}
