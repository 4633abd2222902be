package dev.braid.bench.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.plan.KernelPlan;
import dev.braid.gpu.sched.PlannedLaunch;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link SchedulerBenchmark} measures, checked without timing anything (JMH runs it from
 * {@code braid bench scheduler}, never from the build): every decision sees all its jobs ready and
 * launches something, and the suffix plans keep the kernels and fusion keys of the ops they start
 * at.
 */
class SchedulerBenchmarkTest {
  @Test
  void everyDecisionSeesAllJobsAndLaunchesUnderEveryPolicy() {
    for (String policy : SchedulerBenchmarkRows.POLICIES) {
      SchedulerBenchmark b = new SchedulerBenchmark();
      b.jobs = 64;
      b.policy = policy;
      b.setUp();
      int fused = 0;
      for (int i = 0; i < 200; i++) {
        b.settlePrevious();
        assertEquals(64, b.jobCount(), policy + ": decision " + i + " sees every job");
        List<PlannedLaunch> launches = b.plan();
        assertFalse(launches.isEmpty(), policy + ": decision " + i + " launches nothing");
        fused += (int) launches.stream().filter(PlannedLaunch::isSuperKernel).count();
      }
      assertEquals(policy.equals("space-time"), fused > 0, policy + ": super-kernels formed: " + fused);
    }
  }

  @Test
  void aSuffixPlanStartsAtTheGivenOpWithItsKernelAndFusionKey() {
    KernelPlan resnet = SchedulerBenchmark.zooPlans().get(0);
    KernelPlan rest = SchedulerBenchmark.suffix(resnet, 5);
    assertEquals(resnet.size() - 5, rest.size());
    assertEquals(resnet.model(), rest.model());
    for (int i = 0; i < rest.size(); i++) {
      assertEquals(resnet.op(i + 5).kernel(), rest.op(i).kernel());
      assertEquals(resnet.op(i + 5).fusionKey(), rest.op(i).fusionKey());
      int index = rest.op(i).index();
      assertEquals(i, index);
      assertTrue(rest.op(i).dependsOn().stream().allMatch(d -> d < index));
    }
  }
}
