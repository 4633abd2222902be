package dev.braid.bench.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.gpu.batch.DynamicBatcher;
import dev.braid.gpu.batch.Request;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a request's Triton priority level reaches the scheduler's jobs in {@code --critical}: through
 * its model's batcher, which gives a batch a priority only when the model has priority levels.
 */
class PriorityFlowTest {
  private static final long LATE = Long.MAX_VALUE / 4;

  private static int batchPriority(RepositoryModel model, int level) {
    DynamicBatcher b = DynamicBatcher.of(model.config());
    b.offer(new Request(1, 0, LATE, level, 1), 0);
    return b.poll(1_000_000_000L).orElseThrow().priority();
  }

  @Test
  void withTwoLevelsTheCriticalRequestsBatchesAreMoreUrgentThanTheOthers(@TempDir Path dir) {
    ModelZoo.generate(dir, ZooOptions.defaults().withModels("mlp"));
    RepositoryModel zoo = ModelRepository.open(dir).load("mlp");
    // the zoo's configuration has no priority levels: every batch is priority 0, whatever it asks
    assertEquals(0, batchPriority(zoo, 1));
    assertEquals(0, batchPriority(zoo, 0));
    RepositoryModel levels = PolicyModels.withPriorityLevels(zoo);
    assertEquals(0, batchPriority(levels, 1), "priority level 1: the scheduler's most urgent priority");
    assertEquals(1, batchPriority(levels, 0), "no level asked: the default level 2, priority 1");
    assertEquals(zoo.config().maxBatchSize(), levels.config().maxBatchSize());
  }
}
