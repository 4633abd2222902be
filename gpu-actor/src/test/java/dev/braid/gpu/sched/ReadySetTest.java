package dev.braid.gpu.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.plan.KernelPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link ReadySet} kept up to date job by job gives the order a full sort by {@link
 * Urgency#agedDeadlineFirst} gives, and each op's fusion partners are exactly the ready ops of its
 * key and level, in that order: over seeded sequences of jobs becoming ready and leaving, with
 * ties in admission and deadline, two priority levels and aging on.
 */
class ReadySetTest {
  private static final long AGING_NANOS = 1_000;

  @Test
  void incrementalOrderAndPartnersEqualAFullSortAndScan() {
    KernelPlan[] plans = {
        TestPlans.plan("a", TestPlans.op(TestPlans.K1, 1), TestPlans.op(null, 1), TestPlans.op(TestPlans.K2, 1)),
        TestPlans.plan("b", TestPlans.op(TestPlans.K2, 1), TestPlans.op(TestPlans.K1, 1)),
        TestPlans.plan("c", TestPlans.op(null, 1), TestPlans.op(TestPlans.K1, 1), TestPlans.op(TestPlans.K1, 1))};
    for (long seed = 1; seed <= 50; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      ReadySet set = new ReadySet();
      List<JobState> ready = new ArrayList<>();
      long now = 0;
      for (int step = 0; step < 300; step++) {
        now += r.nextInt(200);
        if (ready.isEmpty() || r.nextInt(3) > 0) {
          KernelPlan plan = plans[r.nextInt(plans.length)];
          Job job = new Job(step, plan, now + 100 * r.nextInt(20), r.nextInt(2), now - 100 * r.nextInt(20));
          JobState s = new JobState(job);
          s.nextOp = r.nextInt(plan.size());
          set.add(s);
          ready.add(s);
        } else {
          set.remove(ready.remove(r.nextInt(ready.size())));
        }
        List<OpRef> got = new ArrayList<>();
        set.order(now, AGING_NANOS, got);
        List<OpRef> want = new ArrayList<>(ready.stream().map(s -> s.ready).toList());
        want.sort(Urgency.agedDeadlineFirst(now, AGING_NANOS));
        assertEquals(want, got, "seed " + seed + " step " + step);
        for (int i = 0; i < got.size(); i++) {
          OpRef op = got.get(i);
          List<Integer> expected = new ArrayList<>();
          for (int j = 0; j < got.size(); j++) {
            if (op.fusionKey().isPresent() && got.get(j).fusionKey().equals(op.fusionKey())
                && got.get(j).job().priority() == op.job().priority()) {
              expected.add(j);
            }
          }
          assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), set.partners(i),
              "seed " + seed + " step " + step + " position " + i);
        }
      }
    }
  }
}
