package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the coordinator reads of the repository: fusion profiles from the models' kernel plans. */
class ModelCatalogTest {
  @Test
  void eachModelsFusionProfileComesFromItsKernelPlan(@TempDir Path repo) {
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp", "resnet18"));
    ModelRepository repository = ModelRepository.open(repo);
    ModelCatalog catalog = ModelCatalog.of(repository);
    FusionProfile mlp = catalog.fusion("mlp");
    assertEquals(FusionProfile.of(KernelPlanner.plan(repository.load("mlp").latest().bind(1))), mlp);
    assertNotEquals(FusionProfile.NONE, mlp, "an MLP's GEMMs fuse");
    assertSame(mlp, catalog.fusion("mlp"), "computed once");
    assertEquals(1.0, mlp.overlap(mlp), 1e-9);
    assertTrue(mlp.overlap(catalog.fusion("resnet18")) < 1, "different architectures share less");
    assertEquals(FusionProfile.NONE, catalog.fusion("missing"), "a model it cannot read fuses with nothing");
  }
}
