package dev.braid.model.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ZooOptionsTest {
  @Test
  void defaultsAreSeed42ImageSize224AndEveryModel() {
    ZooOptions d = ZooOptions.defaults();
    assertEquals(42, d.seed());
    assertEquals(224, d.imageSize());
    assertEquals(List.of("mlp", "resnet18", "mobilenetv2", "bert"), d.models());
  }

  @Test
  void imageSizeMustBeAMultipleOf32AtLeast32() {
    for (int bad : new int[] {0, 16, 100, 225, -32}) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> ZooOptions.defaults().withImageSize(bad));
      assertTrue(e.getMessage().startsWith("imageSize: expected a multiple of 32"), e.getMessage());
      assertTrue(e.getMessage().endsWith("got " + bad), e.getMessage());
    }
    assertEquals(32, ZooOptions.defaults().withImageSize(32).imageSize());
  }

  @Test
  void modelsMustBeKnownNonEmptyAndDistinct() {
    var unknown = assertThrows(IllegalArgumentException.class,
        () -> ZooOptions.defaults().withModels("mlp", "vgg16"));
    assertTrue(unknown.getMessage().contains("models: expected names from"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("got \"vgg16\""), unknown.getMessage());
    var twice = assertThrows(IllegalArgumentException.class,
        () -> ZooOptions.defaults().withModels("bert", "bert"));
    assertTrue(twice.getMessage().contains("\"bert\" twice"), twice.getMessage());
    var empty = assertThrows(IllegalArgumentException.class,
        () -> ZooOptions.defaults().withModels());
    assertTrue(empty.getMessage().startsWith("models: expected a non-empty subset"));
  }

  @Test
  void modelListIsCopied() {
    List<String> names = new ArrayList<>(List.of("mlp"));
    ZooOptions o = new ZooOptions(1, 32, names);
    names.add("bert");
    assertEquals(List.of("mlp"), o.models());
  }
}
