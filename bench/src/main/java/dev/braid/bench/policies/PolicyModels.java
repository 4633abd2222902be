package dev.braid.bench.policies;

import dev.braid.coordinator.cli.RandomInputs;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.repo.DynamicBatching;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The models a {@code bench policies} run co-locates: the zoo's architectures loaded from a
 * temporary repository, the N instances cycling through them with their rates and SLOs, the
 * inputs each instance's requests carry, and a model's copy with Triton priority levels.
 */
final class PolicyModels {
  /**
   * The automatic rate's offered load: each model's rate is this over the sum of the N instances'
   * isolated batch-1 service times, so that running every request alone, one after another, would
   * keep the device busy exactly all the time. Batching and overlap give a policy room below
   * that; a policy without either is at its limit. Loaded, not hopelessly overloaded.
   */
  static final double AUTO_OFFERED_LOAD = 1.0;

  private PolicyModels() {}

  /** The N instances: architectures cycling through {@code archs}, each with its rate and SLO. */
  static List<Workload.Instance> instances(int n, List<String> archs, Double ratePerModel, PoliciesFlags.Slo slo,
      Map<String, PolicyRunner.Isolated> isolated, Map<String, Long> flops) {
    double rate;
    if (ratePerModel != null) {
      rate = ratePerModel;
    } else {
      long serviceSum = 0;
      for (int i = 0; i < n; i++) {
        serviceSum += isolated.get(archs.get(i % archs.size())).serviceNanos();
      }
      rate = AUTO_OFFERED_LOAD * 1e9 / serviceSum;
    }
    List<Workload.Instance> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String arch = archs.get(i % archs.size());
      long sloNanos = slo.multiple() > 0 ? Math.round(slo.multiple() * isolated.get(arch).latencyNanos())
          : slo.fixedNanos();
      out.add(new Workload.Instance(arch + "#" + i, arch, rate, sloNanos, flops.get(arch)));
    }
    return out;
  }

  /**
   * {@code m} with two Triton priority levels, requests asking for none at level 2: so that a
   * request at level 1 forms batches of priority 0 (the most urgent) and the others of priority 1,
   * and the scheduler's jobs differ by priority. Without levels every batch has priority 0.
   */
  static RepositoryModel withPriorityLevels(RepositoryModel m) {
    ModelConfig c = m.config();
    DynamicBatching db = c.dynamicBatching() == null ? DynamicBatching.immediate() : c.dynamicBatching();
    DynamicBatching levels = new DynamicBatching(db.preferredBatchSizes(), db.maxQueueDelay(), db.preserveOrdering(),
        2, 2);
    return new RepositoryModel(m.name(), new ModelConfig(c.name(), c.platform(), c.backend(), c.maxBatchSize(),
        c.inputs(), c.outputs(), c.versionPolicy(), c.instanceGroups(), levels, c.parameters(),
        c.defaultModelFilename()), m.versions());
  }

  /**
   * The inputs of each instance's requests: on a timing-only (simulated) device one zero tensor set
   * per architecture, shared; elsewhere random values per instance, reproducible from {@code seed}
   * and the instance's name.
   */
  static Function<Workload.Instance, Map<String, Tensor>> inputs(Map<String, RepositoryModel> repo, boolean virtual,
      long seed) {
    return virtual ? sharedZeros(repo) : randomPerInstance(repo, seed);
  }

  /** Writes the zoo's {@code archs} to a temporary repository, loads them, and deletes the files. */
  static Map<String, RepositoryModel> loadZoo(List<String> archs, int imageSize) throws IOException {
    Path dir = Files.createTempDirectory("braid-bench-policies-zoo");
    try {
      ModelZoo.generate(dir, ZooOptions.defaults().withImageSize(imageSize).withModels(archs.toArray(String[]::new)));
      ModelRepository repository = ModelRepository.open(dir);
      Map<String, RepositoryModel> out = new LinkedHashMap<>();
      for (String a : archs) {
        out.put(a, repository.load(a));
      }
      return out;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** One zero tensor set per architecture, shared by every request: a timing-only device never reads them. */
  private static Function<Workload.Instance, Map<String, Tensor>> sharedZeros(Map<String, RepositoryModel> repo) {
    Map<String, Map<String, Tensor>> cache = new HashMap<>();
    return inst -> cache.computeIfAbsent(inst.arch(), a -> tensors(repo.get(a), null));
  }

  /** Random inputs per instance, reproducible from the seed and the instance's name. */
  private static Function<Workload.Instance, Map<String, Tensor>> randomPerInstance(Map<String, RepositoryModel> repo,
      long seed) {
    Map<String, Map<String, Tensor>> cache = new HashMap<>();
    return inst -> cache.computeIfAbsent(inst.name(),
        n -> tensors(repo.get(inst.arch()), new SplittableRandom(seed ^ n.hashCode())));
  }

  /** Batch-1 inputs of {@code model}: zeros, or values from {@code rnd} (floats in [-1, 1), ids in [0, 16)). */
  private static Map<String, Tensor> tensors(RepositoryModel model, SplittableRandom rnd) {
    ModelGraph graph = model.latest().bind(1);
    return rnd == null ? RandomInputs.zeros(graph) : RandomInputs.drawn(graph, rnd);
  }
}
