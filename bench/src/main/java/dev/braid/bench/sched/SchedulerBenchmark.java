package dev.braid.bench.sched;

import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.gpu.cost.CostModel;
import dev.braid.gpu.sched.Job;
import dev.braid.gpu.sched.PlannedLaunch;
import dev.braid.gpu.sched.SchedulerConfig;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One scheduling decision, {@link SpaceTimeScheduler#plan(long)}, with {@code jobs} jobs ready over
 * {@value #MODELS} models, under each policy: what a GPU actor pays on its own thread every time a
 * launch completes or a request arrives. The host path of one GPU launch is a few microseconds; a
 * decision has to cost far less for the scheduler to keep the launch path busy.
 *
 * <p><b>The state.</b> The 16 models are 4 instances each of the zoo's {@code resnet18},
 * {@code mobilenetv2}, {@code bert} and {@code mlp} (224 px images), their real batch-1
 * {@link KernelPlan}s from {@link KernelPlanner} under per-instance names, so fusion keys are the
 * real ones (instances of an architecture share every key, different architectures some). Job
 * {@code j} runs model {@code j mod 16}, starts at a seeded random op of its plan (so the ready
 * ops are a realistic mix of kernel kinds, not all at op 0) and has a deadline 1 to 10 ms after
 * the decision time. The cost model is the H100 roofline the engine starts from. The scheduler has
 * the engine's default configuration ({@link SchedulerConfig#defaults}: 8 streams, one launch in
 * flight each, up to 64 ops per super-kernel, the launch-path limit at 1 ns: 10 us apart, the path
 * has drained the previous decision's launch, so space-time launches one group per decision).
 *
 * <p><b>One invocation.</b> Before each (not timed, {@link Level#Invocation}) the previous
 * decision's launches complete, advancing their jobs one op, and a job past its last op is
 * replaced by a new one of the same model at op 0; so every decision sees all {@code jobs} ready
 * and nothing in flight, and successive decisions see the ready set move on as it does while
 * serving. The time advances 10 us per decision. Timed: {@code plan(now)} alone, including the
 * policy's {@code decide} and the scheduler's check of its decisions.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SchedulerBenchmark {
  /** Models the ready jobs are spread over. */
  static final int MODELS = 16;

  /** The zoo architectures the models are instances of. */
  static final List<String> ARCHS = List.of("resnet18", "mobilenetv2", "bert", "mlp");

  /** Virtual time between decisions. */
  private static final long STEP_NANOS = 10_000;

  @Param({"8", "64", "256"})
  public int jobs;

  @Param({"space-time", "space-only", "time-only"})
  public String policy;

  private List<KernelPlan> plans;
  /** {@code suffixes[m][k]}: model {@code m}'s plan from op {@code k}, made once and shared. */
  private KernelPlan[][] suffixes;
  private SpaceTimeScheduler scheduler;
  private SplittableRandom random;
  private List<PlannedLaunch> last = List.of();
  private long now;
  private long nextJobId;

  @Setup(Level.Trial)
  public void setUp() {
    plans = zooPlans();
    suffixes = new KernelPlan[plans.size()][];
    for (int m = 0; m < plans.size(); m++) {
      suffixes[m] = new KernelPlan[plans.get(m).size()];
      suffixes[m][0] = plans.get(m);
    }
    scheduler = new SpaceTimeScheduler(SchedulerConfig.defaults(Optional.of(GpuProfiles.H100.spec())),
        CostModel.forGpu(GpuProfiles.H100.spec()), SchedulingPolicies.named(policy));
    random = new SplittableRandom(1);
    now = 1_000_000_000L;
    for (int j = 0; j < jobs; j++) {
      admit(j % MODELS, random.nextInt(plans.get(j % MODELS).size()));
    }
  }

  /** Completes the previous decision's launches; replaces the jobs that finished. */
  @Setup(Level.Invocation)
  public void settlePrevious() {
    now += STEP_NANOS;
    for (PlannedLaunch l : last) {
      for (Job finished : scheduler.completed(l.launchId(), now).finished()) {
        admit(modelIndex(finished.model()), 0);
      }
    }
    last = List.of();
  }

  @Benchmark
  public List<PlannedLaunch> plan() {
    last = scheduler.plan(now);
    return last;
  }

  /** Jobs the scheduler holds now (for tests: the benchmark keeps it at {@code jobs}). */
  int jobCount() {
    return scheduler.jobCount();
  }

  /**
   * Admits a job of model {@code model} that has already run its first {@code doneOps} ops: the
   * scheduler starts every job at op 0, so such a job gets the plan's suffix from op {@code doneOps}
   * (ops renumbered from 0, dependencies on the ops already run dropped), the same kernels with the
   * same fusion keys and the same model name. Jobs at the same suffix share one plan object, as
   * the engine's jobs of one model and batch size share theirs (the cost model caches per plan).
   */
  private void admit(int model, int doneOps) {
    KernelPlan rest = suffixes[model][doneOps];
    if (rest == null) {
      rest = suffix(plans.get(model), doneOps);
      suffixes[model][doneOps] = rest;
    }
    scheduler.admit(new Job(nextJobId++, rest, now + 1_000_000 + random.nextLong(9_000_000), 0, now));
  }

  /** Ops {@code from} to the end of {@code plan}, renumbered from 0. */
  static KernelPlan suffix(KernelPlan plan, int from) {
    List<KernelOp> ops = new ArrayList<>();
    for (int i = from; i < plan.size(); i++) {
      KernelOp o = plan.op(i);
      List<Integer> deps = o.dependsOn().stream().filter(d -> d >= from).map(d -> d - from).toList();
      ops.add(new KernelOp(i - from, o.node(), o.kernel(), deps, o.geometry(), o.fusionKey()));
    }
    return new KernelPlan(plan.model(), plan.batchSize(), ops);
  }

  /** The index of {@code model} ({@code <arch>#<index>}) among the plans. */
  private static int modelIndex(String model) {
    return Integer.parseInt(model.substring(model.indexOf('#') + 1));
  }

  /** The zoo's plans at batch 1, four instances of each architecture under their own names. */
  static List<KernelPlan> zooPlans() {
    Path dir;
    try {
      dir = Files.createTempDirectory("braid-bench-scheduler-zoo");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      ModelZoo.generate(dir, ZooOptions.defaults().withModels(ARCHS.toArray(String[]::new)));
      ModelRepository repo = ModelRepository.open(dir);
      List<KernelPlan> archPlans = new ArrayList<>();
      for (String a : ARCHS) {
        archPlans.add(KernelPlanner.plan(repo.load(a).latest().bind(1)));
      }
      List<KernelPlan> out = new ArrayList<>();
      for (int i = 0; i < MODELS; i++) {
        KernelPlan p = archPlans.get(i % ARCHS.size());
        out.add(new KernelPlan(ARCHS.get(i % ARCHS.size()) + "#" + i, p.batchSize(), p.ops()));
      }
      return out;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException ignored) {
        // a temporary directory left behind is harmless
      }
    }
  }
}
